import { telemetryFromMapping } from '../../core/sensor-mapping.js';
import { errorMessage, shortText, type DoneFn, type Node, type NodeAPI, type NodeDef, type NodeMessageInFlow, type SendFn } from '../shared/node-red.js';
import { compileTypedValue, type PropertyReader, type TypedValue } from '../shared/typed-property.js';
import { ZonelessTimesSetting } from '../shared/zoneless-times.js';

interface SignalMapping {
  signal: string;
  value: string;
  valueType: string;
}

interface TwinSensorConfig extends NodeDef {
  assetId: string;
  assetIdType: string;
  timestamp: string;
  timestampType: string;
  mappings: SignalMapping[];
  /** How times without a zone offset are read: empty (this server's zone), `UTC` or a zone name. */
  zonelessTimes?: string;
}

/** Where a value is read from, for error messages: `msg.payload.ts`, `JSONata payload[3] / 10`, `flow.speed` … */
function describeSource(typed: TypedValue): string {
  if (typed.type === 'msg' || typed.type === 'flow' || typed.type === 'global') return `${typed.type}.${typed.value}`;
  return `${typed.type} ${typed.value.length > 40 ? `${typed.value.slice(0, 39)}…` : typed.value}`;
}

/**
 * A reader whose failure says which mapping failed: Node-RED's own "Cannot read properties of undefined (reading
 * 'ts')" becomes "timestamp from msg.payload.ts: Cannot read …", which an engineer can act on.
 */
function labelled(label: string, typed: TypedValue, read: PropertyReader): PropertyReader {
  const where = `${label} from ${describeSource(typed)}`;
  return (msg) => read(msg).catch((err: unknown) => Promise.reject(new Error(`${where}: ${errorMessage(err)}`)));
}

export = function register(RED: NodeAPI): void {
  function TwinSensor(this: Node, config: TwinSensorConfig): void {
    RED.nodes.createNode(this, config);
    let readAsset: PropertyReader;
    let readTimestamp: PropertyReader;
    let readSignals: Array<readonly [string, PropertyReader]>;
    let times: ZonelessTimesSetting;
    try {
      const asset: TypedValue = { value: config.assetId ?? 'topic', type: config.assetIdType || 'msg' };
      const timestamp: TypedValue = { value: config.timestamp ?? '', type: config.timestampType || 'date' };
      readAsset = labelled('asset id', asset, compileTypedValue(RED, this, asset));
      readTimestamp = labelled('timestamp', timestamp, compileTypedValue(RED, this, timestamp));
      const mappings = (Array.isArray(config.mappings) ? config.mappings : []).filter((m) => m.signal);
      if (mappings.length === 0) throw new Error(RED._('twin-sensor.errors.no-mappings'));
      readSignals = mappings.map((m) => {
        const typed: TypedValue = { value: m.value, type: m.valueType || 'msg' };
        return [m.signal, labelled(`signal ${m.signal}`, typed, compileTypedValue(RED, this, typed))] as const;
      });
      const zone = ZonelessTimesSetting.of(this, config.zonelessTimes);
      if (!zone.ok) throw new Error(zone.reason);
      times = zone.value;
    } catch (err) {
      const message = errorMessage(err);
      this.status({ fill: 'red', shape: 'ring', text: RED._('twin-sensor.status.bad-config') });
      this.error(message);
      this.on('input', (_msg: NodeMessageInFlow, _send: SendFn, done: DoneFn) => done(new Error(message)));
      return;
    }
    let lastFailed = false;

    this.on('input', (msg: NodeMessageInFlow, send: SendFn, done: DoneFn) => {
      void (async () => {
        const [assetId, ts, ...values] = await Promise.all([readAsset(msg), readTimestamp(msg), ...readSignals.map(([, read]) => read(msg))]);
        const result = telemetryFromMapping(assetId, ts, readSignals.map(([signal], i) => [signal, values[i]] as const), Date.now(), times.zone);
        if (!result.ok) throw new Error(result.reason);
        times.noteRead(result.value.zonelessTime, result.value.telemetry.assetId);
        msg.payload = result.value.telemetry;
        msg.topic = result.value.telemetry.assetId;
        if (result.value.rejected.length > 0) msg.rejected = result.value.rejected;
        else delete msg.rejected;
        if (lastFailed) this.status({});
        lastFailed = false;
        send(msg);
        done();
      })().catch((err: unknown) => {
        lastFailed = true;
        this.status({ fill: 'red', shape: 'ring', text: RED._('twin-sensor.status.failed', { reason: shortText(errorMessage(err)) }) });
        done(new Error(errorMessage(err)));
      });
    });
  }
  RED.nodes.registerType('twin-sensor', TwinSensor);
};
