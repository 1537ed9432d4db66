import { compileTopicTemplate, decodePayload, type PayloadOptions } from '../../core/mqtt-mapping.js';
import { validateTelemetry } from '../../core/telemetry.js';
import type { ConnectionState, TwinMqttBrokerNode } from '../twin-mqtt-broker/broker-api.js';
import { numberSetting, type Node, type NodeAPI, type NodeDef } from '../shared/node-red.js';

interface TwinMqttInConfig extends NodeDef {
  broker: string;
  topic: string;
  qos: string | number;
  format: string;
  valuePath: string;
  timestampPath: string;
  assetId: string;
  signal: string;
  maxBytes: string | number;
}

export = function register(RED: NodeAPI): void {
  function TwinMqttIn(this: Node, config: TwinMqttInConfig): void {
    RED.nodes.createNode(this, config);
    const broker = RED.nodes.getNode(config.broker) as TwinMqttBrokerNode | null;
    const template = compileTopicTemplate(config.topic || 'plant/{assetId}/telemetry');
    if (!broker) {
      this.status({ fill: 'red', shape: 'ring', text: RED._('twin-mqtt-in.status.no-broker') });
      this.error(RED._('twin-mqtt-in.errors.no-broker'));
      return;
    }
    if (!template.ok) {
      this.status({ fill: 'red', shape: 'ring', text: RED._('twin-mqtt-in.status.bad-topic') });
      this.error(template.reason);
      return;
    }
    const qosSetting = Math.round(numberSetting(config.qos, 1));
    const qos: 0 | 1 | 2 = qosSetting === 0 ? 0 : qosSetting === 2 ? 2 : 1;
    const options: PayloadOptions = {
      format: config.format === 'value-path' ? 'value-path' : 'auto',
      valuePath: config.valuePath || '',
      timestampPath: config.timestampPath || '',
      assetId: config.assetId || '',
      signal: config.signal || '',
      maxBytes: numberSetting(config.maxBytes, 256 * 1024),
    };
    const { match } = template.value;

    const onState = (state: ConnectionState): void => this.status(broker.statusFor(state));
    broker.events.on('state', onState);
    onState(broker.state);

    const unsubscribe = broker.subscribe(template.value.filter, qos, (topic, payload) => {
      const fields = match(topic);
      if (fields === undefined) return; // another node's subscription on the same connection
      const decoded = decodePayload(payload, fields, options);
      if (!decoded.ok) {
        this.error(`${topic}: ${decoded.reason}`, { topic, payload: payload.toString('utf8', 0, 1000) });
        return;
      }
      const checked = validateTelemetry(decoded.value, Date.now());
      if (!checked.ok) {
        this.error(`${topic}: ${checked.reason}`, { topic, payload: payload.toString('utf8', 0, 1000) });
        return;
      }
      const { telemetry, rejected } = checked.value;
      if (Object.keys(telemetry.signals).length === 0) {
        const reasons = rejected.map((r) => `${r.signal}: ${r.reason}`).join('; ');
        this.error(`${topic}: no usable signal (${reasons})`, { topic, payload: payload.toString('utf8', 0, 1000) });
        return;
      }
      const msg: Record<string, unknown> = { topic, payload: telemetry };
      if (rejected.length > 0) msg.rejected = rejected;
      this.send(msg);
    });

    this.on('close', (done: () => void) => {
      broker.events.off('state', onState);
      unsubscribe();
      done();
    });
  }
  RED.nodes.registerType('twin-mqtt-in', TwinMqttIn);
};
