import { EventEmitter } from 'node:events';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { connect, type DoneCallback, type IPublishPacket, type MqttClient } from 'mqtt';
import { topicMatchesFilter } from '../../core/mqtt-mapping.js';
import { connectionStatus } from '../shared/connection-status.js';
import { errorMessage, shortText, type Node, type NodeAPI } from '../shared/node-red.js';
import type { ConnectionEvent, ConnectionState, Credentials, MessageHandler, TwinMqttBrokerNode } from './broker-api.js';
import { connectionPlan, displayUrl, RECONNECT_MAX_MS, RECONNECT_MIN_MS, type TwinMqttBrokerConfig } from './connection-options.js';

interface Subscription {
  qos: 0 | 1 | 2;
  /** Nodes taking readings from the filter. */
  handlers: Set<MessageHandler>;
  /** Nodes watching a command topic for what others left there (see `watch`): never readings. */
  watchers: Set<MessageHandler>;
  /** Some node took readings from it: on a redeploy it is parked, not dropped, whoever lets go of it last. */
  hadHandlers?: boolean;
  /** Set while no node handles the filter but one is expected back (redeploy of a persistent session). */
  parkedTimer?: NodeJS.Timeout;
}

/** A message received for a parked filter: not acknowledged yet, so the broker still owns it. */
interface HeldMessage {
  packet: IPublishPacket;
  ack: DoneCallback;
}

/** How long a persistent-session filter waits for its node to come back after a redeploy before it is dropped. */
const PARK_MS = 10_000;

/**
 * CONNACK codes of a refused login: MQTT 3.1.1 4 (bad user name or password) and 5 (not authorised), MQTT 5 134 and
 * 135. Shown as "access denied", so the status says what to fix instead of a truncated "Connection refused: Not…".
 */
const ACCESS_DENIED_CODES = new Set([4, 5, 134, 135]);
/** How long after a refused connection (wrong password, client id refused) it is tried again. */
const REFUSED_RETRY_MS = 15_000;

/**
 * A client id used twice: the broker ends the older connection when the newer one logs in, both reconnect, and each
 * ends the other's in turn. An MQTT 5 broker may say so (DISCONNECT reason 142, "session taken over"; Mosquitto 2.0
 * does not); otherwise it shows only as connections the broker closes soon after they opened, TAKEOVERS_SUSPECTED of
 * them within TAKEOVER_WINDOW_MS.
 */
const SESSION_TAKEN_OVER = 142;
const SHORT_CONNECTION_MS = 5_000;
const TAKEOVER_WINDOW_MS = 120_000;
const TAKEOVERS_SUSPECTED = 3;
/** Connected this long without being taken over again: the other client has gone, the status turns green. */
const CALM_MS = 10_000;

/** Network failures that fix themselves when the broker is back: shown as "disconnected", not "error". */
const TRANSIENT_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN', 'ENOTFOUND']);

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
    let held: HeldMessage | undefined;
    let closing = false;
    /** The last error logged, so a broker refusing us every 2 s does not fill the log. */
    let loggedError: string | undefined;
    /** The broker refused the user name or password (or the client certificate's identity). */
    let accessDenied = false;
    /** Why the connection seems to share its client id with another client, while that lasts. */
    let idInUse: string | undefined;
    let connectedAt: number | undefined;
    /** When recent connections that the broker closed soon after they opened ended. */
    let shortConnections: number[] = [];
    /** When the last connection ended, if it was short and nothing has failed since. */
    let closedSoon: number | undefined;
    /** The broker ended the connection with an MQTT 5 reason other than a session taken over. */
    let endedWithReason = false;
    let calmTimer: NodeJS.Timeout | undefined;

    const plan = connectionPlan(config, node.credentials ?? {}, (path) => readFileSync(path), `twinflow-${randomBytes(4).toString('hex')}`);
    const broker = displayUrl(plan.ok ? plan.value.url : config.url || '');
    const clean = plan.ok ? plan.value.options.clean !== false : true;
    (node as { protocolVersion: 4 | 5 }).protocolVersion = plan.ok && plan.value.options.protocolVersion === 5 ? 5 : 4;
    /**
     * What this connection published (topic and payload) and until when, so that its own command coming back on a
     * subscription that also matches the command topic is dropped, never taken as the machine's reading (MQTT 3.1.1
     * brokers send a client its own messages; MQTT 5 subscriptions here ask them not to, with no-local).
     */
    const ownMessages = new Map<string, { payload: Buffer; until: number; copies: number }>();
    /** Subscription filters already warned about matching a command topic. */
    const warnedEcho = new Set<string>();
    if (plan.ok) for (const warning of plan.value.warnings) node.warn(warning);

    const setState = (state: ConnectionState, error?: string): void => {
      if (state === node.state && error === node.lastError) return;
      node.state = state;
      node.lastError = error;
      node.events.emit('state', state, error);
    };

    const fail = (reason: string, state: ConnectionState = 'error'): void => {
      setState(state, reason);
      if (reason !== loggedError) {
        loggedError = reason;
        // mqtt.js errors carry the broker's or the TLS layer's reason, never the credentials.
        node.warn(`MQTT ${broker}: ${reason}`);
      }
    };

    if (!plan.ok) fail(plan.reason);

    node.connectionEvent = (): ConnectionEvent => {
      const event: ConnectionEvent = { state: node.state, broker };
      if (node.lastError !== undefined) event.error = node.lastError;
      return event;
    };

    /** Hands a message to the nodes of every matching filter; acknowledges it only once a node has taken it. */
    const dispatch = (packet: IPublishPacket, ack: DoneCallback): void => {
      const payload = Buffer.isBuffer(packet.payload) ? packet.payload : Buffer.from(packet.payload);
      const own = ownMessages.size > 0 ? ownMessages.get(packet.topic) : undefined;
      if (own !== undefined) {
        // A broker may send one copy per matching subscription (MQTT 3.1.1 allows it): as many copies are dropped as
        // filters matched when it was published, so a second copy is no reading either.
        const mine = own.until >= Date.now() && payload.equals(own.payload);
        if (!mine || --own.copies <= 0) ownMessages.delete(packet.topic);
        if (mine) {
          ack();
          return;
        }
      }
      let delivered = false;
      let parked = false;
      for (const [filter, sub] of subscriptions) {
        if (!topicMatchesFilter(filter, packet.topic)) continue;
        if (sub.parkedTimer) parked = true;
        for (const handler of sub.handlers) {
          delivered = true;
          handler(packet.topic, payload, packet);
        }
        for (const watcher of sub.watchers) watcher(packet.topic, payload, packet);
      }
      if (!delivered && parked && !clean) {
        // The node for this filter is being redeployed. Withholding the PUBACK pauses mqtt.js's input (it handles
        // one packet at a time), and if the connection closes first the broker redelivers the message later.
        held = { packet, ack };
        return;
      }
      ack();
    };

    const releaseHeld = (): void => {
      const message = held;
      held = undefined;
      if (message && !closing) dispatch(message.packet, message.ack);
    };

    const subscribeOnBroker = (c: MqttClient, filter: string, qos: 0 | 1 | 2): void => {
      // rh 1 (MQTT 5): retained messages only for a new subscription, not again on every reconnect; nl (no local):
      // never this connection's own messages, such as an actuator's commands on a topic the filter also matches.
      c.subscribe(filter, { qos, rh: 1, nl: true }, (err, granted) => {
        if (closing) return;
        const refused = granted?.find((g) => g.qos >= 128);
        if (err || refused) fail(`subscription ${filter} refused: ${err ? errorMessage(err) : `reason code ${refused?.qos ?? ''}`}`);
      });
    };

    const clientId = plan.ok ? String(plan.value.options.clientId ?? '') : '';
    /** Another client shares this client id: said once, shown red until this connection stays for CALM_MS. */
    const takenOver = (reason: string): void => {
      // Each reconnect ends the other client's connection: not every 250 ms.
      if (client) client.options.reconnectPeriod = RECONNECT_MAX_MS;
      if (idInUse !== undefined) {
        setState('error', idInUse);
        return;
      }
      idInUse = `${reason}; give every Node-RED and every device its own client id (the broker node's Client id; empty makes a unique one)`;
      fail(idInUse);
    };

    const open = (): MqttClient | undefined => {
      if (!plan.ok) return undefined;
      setState('connecting');
      const c = connect(plan.value.url, plan.value.options);
      c.handleMessage = dispatch;
      c.on('connect', () => {
        c.options.reconnectPeriod = idInUse === undefined ? RECONNECT_MIN_MS : RECONNECT_MAX_MS;
        loggedError = undefined;
        accessDenied = false;
        connectedAt = Date.now();
        if (closedSoon !== undefined) {
          // The broker closed the last connection soon after it opened, and took this one at the first attempt: it was
          // up all along (a restarting broker refuses a while), so something ended a working connection.
          shortConnections = shortConnections.filter((t) => connectedAt! - t < TAKEOVER_WINDOW_MS);
          shortConnections.push(closedSoon);
          closedSoon = undefined;
          if (shortConnections.length >= TAKEOVERS_SUSPECTED) {
            takenOver(`the broker closed the connection soon after it opened, ${shortConnections.length} times in ${TAKEOVER_WINDOW_MS / 60_000} minutes: another client probably uses the same client id "${clientId}"`);
          }
        }
        if (idInUse === undefined) setState('connected');
        else {
          // Still red while the two clients keep ending each other's connection; green once this one stays.
          setState('error', idInUse);
          clearTimeout(calmTimer);
          calmTimer = setTimeout(() => {
            if (!c.connected || closing) return;
            idInUse = undefined;
            shortConnections = [];
            c.options.reconnectPeriod = RECONNECT_MIN_MS;
            setState('connected');
          }, CALM_MS);
        }
        // Subscribing again is harmless when the broker kept the session, and restores it when the broker lost it
        // (restart without persistence, session expired), including filters added while the session was away.
        for (const [filter, sub] of subscriptions) subscribeOnBroker(c, filter, sub.qos);
      });
      c.on('reconnect', () => {
        // mqtt.js reads the period each time it schedules the next attempt: back off while the broker stays away.
        c.options.reconnectPeriod = Math.min((c.options.reconnectPeriod ?? RECONNECT_MIN_MS) * 2, RECONNECT_MAX_MS);
        if (node.state !== 'error') setState('connecting');
      });
      c.on('disconnect', (packet: { reasonCode?: number }) => {
        if (packet.reasonCode === SESSION_TAKEN_OVER) takenOver(`the broker ended this connection because another client logged in with the same client id "${clientId}"`);
        // The broker said why (not authorised, packet too large …): no sign of a client id used twice.
        else endedWithReason = true;
      });
      c.on('close', () => {
        clearTimeout(calmTimer);
        const lasted = connectedAt === undefined ? undefined : Date.now() - connectedAt;
        connectedAt = undefined;
        // Counted when the next connection opens at the first attempt (see 'connect'); a failed attempt forgets it.
        closedSoon = !closing && !endedWithReason && lasted !== undefined && lasted < SHORT_CONNECTION_MS ? Date.now() : undefined;
        endedWithReason = false;
        if (!closing && node.state === 'connected') setState('disconnected');
      });
      c.on('error', (err: Error & { code?: string | number }) => {
        closedSoon = undefined;
        accessDenied = typeof err.code === 'number' && ACCESS_DENIED_CODES.has(err.code);
        // The broker refused the connection (a CONNACK code): ask again, but slowly, not every 2 s.
        if (typeof err.code === 'number') c.options.reconnectPeriod = REFUSED_RETRY_MS;
        fail(errorMessage(err), typeof err.code === 'string' && TRANSIENT_CODES.has(err.code) ? 'disconnected' : 'error');
      });
      return c;
    };

    const release = (filter: string, sub: Subscription, removed: boolean): void => {
      if (sub.handlers.size > 0 || sub.watchers.size > 0 || subscriptions.get(filter) !== sub) return;
      if (!clean && !removed && !closing) {
        // Persistent session and the node is only being redeployed: keep the broker queueing for it.
        sub.parkedTimer = setTimeout(() => {
          sub.parkedTimer = undefined;
          release(filter, sub, true);
        }, PARK_MS);
        return;
      }
      subscriptions.delete(filter);
      if (client?.connected && !closing) client.unsubscribe(filter);
      // A message held for this filter has no taker any more: acknowledge it so the input flows again.
      if (held && ![...subscriptions.keys()].some((f) => topicMatchesFilter(f, held!.packet.topic))) {
        const message = held;
        held = undefined;
        message.ack();
      }
    };

    node.watch = (filter, watcher) => {
      let sub = subscriptions.get(filter);
      if (!sub) {
        sub = { qos: 0, handlers: new Set(), watchers: new Set() };
        subscriptions.set(filter, sub);
        if (client?.connected) subscribeOnBroker(client, filter, 0);
      }
      sub.watchers.add(watcher);
      client ??= open();
      const mine = sub;
      return () => {
        mine.watchers.delete(watcher);
        // Nothing to keep queued for a watcher alone: released at once, also with a persistent session; a filter that
        // also takes readings is parked like theirs (a redeploy of the reading node must not lose its queue).
        release(filter, mine, mine.hadHandlers !== true);
      };
    };

    node.subscribe = (filter, qos, handler) => {
      let sub = subscriptions.get(filter);
      if (!sub) {
        sub = { qos, handlers: new Set(), watchers: new Set() };
        subscriptions.set(filter, sub);
        if (client?.connected) subscribeOnBroker(client, filter, qos);
      } else if (qos > sub.qos) {
        sub.qos = qos;
        if (client?.connected) subscribeOnBroker(client, filter, qos);
      }
      sub.handlers.add(handler);
      sub.hadHandlers = true;
      if (sub.parkedTimer) {
        clearTimeout(sub.parkedTimer);
        sub.parkedTimer = undefined;
        releaseHeld();
      }
      client ??= open();
      const mine = sub;
      return (removed = false) => {
        mine.handlers.delete(handler);
        release(filter, mine, removed);
      };
    };

    node.connect = () => {
      client ??= open();
    };

    node.publish = (topic, payload, options) => {
      client ??= open();
      const c = client;
      if (!c?.connected) return Promise.reject(new Error(`not connected to ${broker}: not sent`));
      const ttlS = Math.max(1, Math.ceil(options.ttlMs / 1000));
      const v5 = plan.ok && plan.value.options.protocolVersion === 5;
      if (!v5 && options.responseTopic) return Promise.reject(new Error(`a response topic needs MQTT 5; ${broker} is set to MQTT 3.1.1`));
      const properties = { messageExpiryInterval: ttlS, ...(options.responseTopic ? { responseTopic: options.responseTopic } : {}), ...(options.correlationData ? { correlationData: options.correlationData } : {}) };
      const publishOptions = v5 ? { qos: options.qos, retain: options.retain === true, properties } : { qos: options.qos, retain: options.retain === true };
      const matching = [...subscriptions.keys()].filter((filter) => topicMatchesFilter(filter, topic));
      // A filter some node takes readings from; a watcher of command topics expects commands there.
      const echoes = matching.filter((filter) => subscriptions.get(filter)!.handlers.size > 0);
      if (matching.length > 0) {
        // MQTT 5 subscriptions here are no-local: the broker sends no echo, and none must be waited for (a device
        // writing the same value back on that topic would be taken for it).
        if (!v5) {
          const now = Date.now();
          for (const [key, entry] of ownMessages) if (entry.until < now) ownMessages.delete(key);
          ownMessages.set(topic, { payload: Buffer.from(payload), until: now + Math.max(options.ttlMs, 10_000), copies: matching.length });
        }
        for (const filter of echoes.filter((f) => !warnedEcho.has(f))) {
          warnedEcho.add(filter);
          node.warn(`the command topic ${topic} matches the subscription ${filter} of this broker: the commands are not taken as readings, but give the readings a topic of their own`);
        }
      }
      return new Promise<void>((resolve, reject) => {
        let settled = false;
        let messageId: number | undefined;
        // A command that outlived its time to live must never reach the machine later (after a reconnect). Set before
        // publishing: with QoS 0, mqtt.js may call back at once, and the callback clears it.
        const timer = setTimeout(() => {
          if (settled) return;
          settled = true;
          if (messageId !== undefined) c.removeOutgoingMessage(messageId);
          reject(new Error(`${broker} did not acknowledge within ${ttlS} s: withdrawn, never sent later`));
        }, options.ttlMs);
        c.publish(topic, payload, publishOptions, (err) => {
          if (settled) return;
          settled = true;
          clearTimeout(timer);
          if (err) reject(err);
          else resolve();
        });
        if (options.qos > 0) messageId = c.getLastMessageId();
      });
    };

    node.statusFor = (state) =>
      connectionStatus(state, () =>
        accessDenied
          ? RED._('twin-mqtt-broker.status.access-denied')
          : idInUse !== undefined
            ? RED._('twin-mqtt-broker.status.client-id-in-use')
            : RED._('twin-mqtt-broker.status.error', { reason: shortText(node.lastError ?? '', 24) }),
      );

    node.on('close', (done: () => void) => {
      closing = true;
      clearTimeout(calmTimer);
      for (const sub of subscriptions.values()) clearTimeout(sub.parkedTimer);
      subscriptions.clear();
      // Never acknowledged: with a persistent session the broker delivers it again on the next connect.
      held = undefined;
      const c = client;
      client = undefined;
      let finished = false;
      const finish = (): void => {
        if (finished) return;
        finished = true;
        setState('disconnected');
        node.events.removeAllListeners();
        done();
      };
      if (!c) {
        finish();
        return;
      }
      // A broker that does not answer must not hold up a redeploy: force the socket shut after 2 s.
      const force = setTimeout(() => c.end(true, {}, finish), 2000);
      c.end(false, {}, () => {
        clearTimeout(force);
        finish();
      });
    });
  }

  RED.nodes.registerType<Node<Credentials>, TwinMqttBrokerConfig, object, Credentials>('twin-mqtt-broker', TwinMqttBroker, {
    credentials: { user: { type: 'text' }, password: { type: 'password' }, tlsPassphrase: { type: 'password' } },
  });
};
