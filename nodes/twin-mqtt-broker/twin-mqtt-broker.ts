import { EventEmitter } from 'node:events';
import { randomBytes } from 'node:crypto';
import { connect, type IClientOptions, type MqttClient } from 'mqtt';
import { topicMatchesFilter } from '../../core/mqtt-mapping.js';
import { errorMessage, numberSetting, type Node, type NodeAPI, type NodeDef } from '../shared/node-red.js';

interface TwinMqttBrokerConfig extends NodeDef {
  url: string;
  clientId: string;
  protocolVersion: string | number;
  cleanSession: boolean;
  sessionExpiry: string | number;
  keepalive: string | number;
}

import type { ConnectionState, Credentials, MessageHandler, TwinMqttBrokerNode } from './broker-api.js';

interface Subscription {
  qos: 0 | 1 | 2;
  handlers: Set<MessageHandler>;
}

export = function register(RED: NodeAPI): void {
  function TwinMqttBroker(this: Node<Credentials>, config: TwinMqttBrokerConfig): void {
    RED.nodes.createNode(this, config);
    const node = this as TwinMqttBrokerNode;
    (node as { events: EventEmitter }).events = new EventEmitter();
    node.events.setMaxListeners(0);
    node.state = 'disconnected';
    node.lastError = undefined;
    const subscriptions = new Map<string, Subscription>();
    let client: MqttClient | undefined;
    let closing = false;

    const setState = (state: ConnectionState, error?: string): void => {
      node.state = state;
      node.lastError = error;
      node.events.emit('state', state, error);
    };

    const protocolVersion = Number(config.protocolVersion) === 5 ? 5 : 4;
    const clean = config.cleanSession !== false;
    // A persistent session is found again only under the same client id, so one is made up only for clean sessions.
    const clientId = config.clientId?.trim() || `twinflow-${randomBytes(4).toString('hex')}`;

    const open = (): MqttClient => {
      const options: IClientOptions = {
        clientId,
        protocolVersion,
        clean,
        keepalive: numberSetting(config.keepalive, 60),
        reconnectPeriod: 2000,
        connectTimeout: 10_000,
        // Subscriptions are restored by this node when the broker lost the session (see 'connect' below).
        resubscribe: false,
      };
      if (node.credentials?.user) options.username = node.credentials.user;
      if (node.credentials?.password) options.password = node.credentials.password;
      if (protocolVersion === 5) {
        const expiry = numberSetting(config.sessionExpiry, clean ? 0 : 3600);
        options.properties = { sessionExpiryInterval: expiry };
      }
      setState('connecting');
      const c = connect(config.url || 'mqtt://127.0.0.1:1883', options);
      c.on('connect', (connack) => {
        setState('connected');
        // The broker kept our subscriptions only when it reports a present session.
        if (!connack.sessionPresent) {
          for (const [filter, sub] of subscriptions) subscribeOnBroker(c, filter, sub.qos);
        }
      });
      c.on('reconnect', () => setState('connecting'));
      c.on('close', () => {
        if (!closing && node.state !== 'error') setState('disconnected');
      });
      c.on('offline', () => setState('disconnected'));
      c.on('error', (err) => {
        // Never log credentials: mqtt.js errors carry only the broker's reason.
        setState('error', errorMessage(err));
        node.warn(`MQTT ${config.url}: ${errorMessage(err)}`);
      });
      c.on('message', (topic, payload, packet) => {
        for (const [filter, sub] of subscriptions) {
          if (!topicMatchesFilter(filter, topic)) continue;
          for (const handler of sub.handlers) handler(topic, payload, packet);
        }
      });
      return c;
    };

    const subscribeOnBroker = (c: MqttClient, filter: string, qos: 0 | 1 | 2): void => {
      c.subscribe(filter, { qos }, (err, granted) => {
        const refused = granted?.find((g) => g.qos === 128);
        if (err || refused) {
          const reason = err ? errorMessage(err) : 'the broker refused the subscription';
          setState('error', `${filter}: ${reason}`);
          node.warn(`MQTT subscribe ${filter}: ${reason}`);
        }
      });
    };

    node.subscribe = (filter, qos, handler) => {
      let sub = subscriptions.get(filter);
      if (!sub) {
        sub = { qos, handlers: new Set() };
        subscriptions.set(filter, sub);
        if (client?.connected) subscribeOnBroker(client, filter, qos);
      } else if (qos > sub.qos) {
        sub.qos = qos;
        if (client?.connected) subscribeOnBroker(client, filter, qos);
      }
      sub.handlers.add(handler);
      client ??= open();
      return () => {
        const current = subscriptions.get(filter);
        if (!current) return;
        current.handlers.delete(handler);
        if (current.handlers.size === 0) {
          subscriptions.delete(filter);
          // With a persistent session the broker keeps queueing for us while the flow is redeployed: keep it.
          if (clean && client?.connected && !closing) client.unsubscribe(filter);
        }
      };
    };

    node.statusFor = (state) => {
      switch (state) {
        case 'connected':
          return { fill: 'green', shape: 'dot', text: 'node-red:common.status.connected' };
        case 'connecting':
          return { fill: 'yellow', shape: 'ring', text: 'node-red:common.status.connecting' };
        case 'error':
          return { fill: 'red', shape: 'ring', text: 'node-red:common.status.error' };
        default:
          return { fill: 'red', shape: 'ring', text: 'node-red:common.status.disconnected' };
      }
    };

    node.on('close', (done: () => void) => {
      closing = true;
      subscriptions.clear();
      const c = client;
      client = undefined;
      if (!c) {
        done();
        return;
      }
      // A broker that does not answer must not hold up a redeploy: force the socket shut after 2 s.
      const force = setTimeout(() => c.end(true, {}, () => undefined), 2000);
      c.end(false, {}, () => {
        clearTimeout(force);
        setState('disconnected');
        node.events.removeAllListeners();
        done();
      });
    });
  }

  RED.nodes.registerType<Node<Credentials>, TwinMqttBrokerConfig, object, Credentials>('twin-mqtt-broker', TwinMqttBroker, {
    credentials: { user: { type: 'text' }, password: { type: 'password' } },
  });
};
