import { compileTopicTemplate, decodePayload, type PayloadOptions, type TopicTemplate } from '../../core/mqtt-mapping.js';
import { validateTelemetry } from '../../core/telemetry.js';
import { compileSignalConversions, type SignalConverter } from '../../core/units.js';
import { ZonelessTimesSetting } from '../shared/zoneless-times.js';
import type { ConnectionState, TwinMqttBrokerNode } from '../twin-mqtt-broker/broker-api.js';
import { numberSetting, type Node, type NodeAPI, type NodeDef, type NodeMessage } from '../shared/node-red.js';

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
  /** Per-signal unit conversions and scalings (absent in flows saved before they existed). */
  conversions?: unknown;
  /** Adds a second output with connection changes. */
  stateOutput?: boolean;
  /** How times without a zone offset are read: empty (this server's zone), `UTC` or a zone name. */
  zonelessTimes?: string;
}

/** Everything that can refuse the node's settings at deploy, checked before anything connects. */
type Settings = { ok: true; template: TopicTemplate; convert: SignalConverter; times: ZonelessTimesSetting } | { ok: false; status: string; reason: string };

function compileSettings(node: Node, config: TwinMqttInConfig): Settings {
  const template = compileTopicTemplate(config.topic || 'plant/{assetId}/telemetry');
  if (!template.ok) return { ok: false, status: 'twin-mqtt-in.status.bad-topic', reason: template.reason };
  const conversions = compileSignalConversions(config.conversions);
  if (!conversions.ok) return { ok: false, status: 'twin-mqtt-in.status.bad-conversion', reason: conversions.reason };
  const times = ZonelessTimesSetting.of(node, config.zonelessTimes);
  if (!times.ok) return { ok: false, status: 'twin-mqtt-in.status.bad-time-zone', reason: times.reason };
  return { ok: true, template: template.value, convert: conversions.value, times: times.value };
}

/**
 * FNV-1a, 32 bits: a fingerprint of a payload that costs no allocation (a copy of each payload would). Two different
 * payloads of one topic share one with a chance of 1 in 4 billion; the cost then is one retained replay not taken.
 */
function fnv1a(bytes: Uint8Array): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < bytes.length; i++) hash = Math.imul(hash ^ bytes[i]!, 0x01000193);
  return hash >>> 0;
}

export = function register(RED: NodeAPI): void {
  function TwinMqttIn(this: Node, config: TwinMqttInConfig): void {
    RED.nodes.createNode(this, config);
    const broker = RED.nodes.getNode(config.broker) as TwinMqttBrokerNode | null;
    if (!broker) {
      this.status({ fill: 'red', shape: 'ring', text: RED._('twin-mqtt-in.status.no-broker') });
      this.error(RED._('twin-mqtt-in.errors.no-broker'));
      return;
    }
    const settings = compileSettings(this, config);
    if (!settings.ok) {
      this.status({ fill: 'red', shape: 'ring', text: RED._(settings.status) });
      this.error(settings.reason);
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
    const { template, convert, times } = settings;
    const telemetryOptions = { zonelessTimes: times.zone };
    const { match } = template;
    const stateOutput = config.stateOutput === true;

    /** Sends telemetry on output 1 (and nothing on the connection output). */
    const sendTelemetry = (msg: NodeMessage): void => this.send(stateOutput ? [msg, null] : msg);

    let constructed = false;
    let reportedError: string | undefined;
    const onState = (state: ConnectionState): void => {
      this.status(broker.statusFor(state));
      const event = broker.connectionEvent();
      if (state === 'error' && event.error !== reportedError) {
        // Once per distinct reason, so a Catch node hears about a refused certificate without a flood every 2 s.
        reportedError = event.error;
        this.error(`MQTT ${event.broker}: ${event.error ?? 'error'}`, { topic: 'connection', payload: event });
      }
      if (state === 'connected') reportedError = undefined;
      // Changes during construction (the first "connecting") would go to nodes that do not exist yet.
      if (stateOutput && constructed) this.send([null, { topic: 'connection', payload: event }]);
    };
    broker.events.on('state', onState);
    onState(broker.state);

    const refuse = (topic: string, payload: Buffer, reason: string): void => {
      this.error(`${topic}: ${reason}`, { topic, payload: payload.toString('utf8', 0, 1000) });
    };

    /**
     * A fingerprint of the payload last taken per topic (MQTT 3.1.1). A broker replays a retained message on every new
     * subscription (each reconnect) with the retain flag set, while the same message reached this node live without
     * it. MQTT 5 subscriptions here ask for retained messages on a new subscription only (rh 1): nothing to tell.
     */
    const lastTaken = broker.protocolVersion === 5 ? undefined : new Map<string, number>();
    const unsubscribe = broker.subscribe(template.filter, qos, (topic, payload, packet) => {
      const fields = match(topic);
      if (fields === undefined) return; // another node's subscription on the same connection
      // An empty message deletes a retained one: no reading, and nothing wrong.
      if (payload.length === 0) return;
      // A retained message is the last one the device left, of unknown age: taken once (the asset's state at
      // start), and not again when the broker replays it after a reconnect, which would make a device that has
      // gone quiet look fresh.
      if (lastTaken !== undefined) {
        const fingerprint = fnv1a(payload);
        if (packet.retain && lastTaken.get(topic) === fingerprint) return;
        lastTaken.set(topic, fingerprint);
      }
      const decoded = decodePayload(payload, fields, options);
      if (!decoded.ok) return refuse(topic, payload, decoded.reason);
      const candidate = decoded.value;
      if (typeof candidate.signals === 'object' && candidate.signals !== null && !Array.isArray(candidate.signals)) {
        candidate.signals = convert(candidate.signals as Record<string, unknown>);
      }
      const checked = validateTelemetry(candidate, Date.now(), telemetryOptions);
      if (!checked.ok) return refuse(topic, payload, checked.reason);
      const { telemetry, rejected } = checked.value;
      times.noteRead(checked.value.zonelessTime, telemetry.assetId);
      if (Object.keys(telemetry.signals).length === 0) {
        return refuse(topic, payload, `no usable signal (${rejected.map((r) => `${r.signal}: ${r.reason}`).join('; ')})`);
      }
      const msg: NodeMessage & { rejected?: unknown } = { topic, payload: telemetry };
      if (rejected.length > 0) msg.rejected = rejected;
      sendTelemetry(msg);
    });
    constructed = true;

    this.on('close', (removed: boolean, done: () => void) => {
      broker.events.off('state', onState);
      unsubscribe(removed === true);
      done();
    });
  }
  RED.nodes.registerType('twin-mqtt-in', TwinMqttIn);
};
