import type { DataValue } from 'node-opcua' with { 'resolution-mode': 'import' };
import { DataWatchdog, defaultNoDataTimeout } from '../../core/data-watchdog.js';
import { qualityFromStatusCode } from '../../core/opcua-quality.js';
import { groupReadings, type Reading } from '../../core/telemetry-batch.js';
import type { EndpointState, TwinOpcuaEndpointNode } from '../twin-opcua-endpoint/endpoint-api.js';
import { numberSetting, type Node, type NodeAPI, type NodeDef, type NodeStatus } from '../shared/node-red.js';

interface VariableMapping {
  nodeId: string;
  signal: string;
  deadband?: string | number;
}

interface TwinOpcuaInConfig extends NodeDef {
  endpoint: string;
  assetId: string;
  variables: VariableMapping[];
  samplingInterval: string | number;
  /** Milliseconds without a value (while connected) before the node reports "no data"; empty: automatic, 0: off. */
  noDataTimeout?: string | number;
}

/** The number an OPC UA value stands for, or NaN when it is not numeric. */
function numericValue(raw: unknown): number {
  if (typeof raw === 'number') return raw;
  if (typeof raw === 'boolean') return raw ? 1 : 0;
  if (typeof raw === 'bigint') return Number(raw);
  return NaN;
}

function describeValue(raw: unknown): string {
  const text = typeof raw === 'string' ? JSON.stringify(raw) : String(raw);
  return text.length > 40 ? `${text.slice(0, 40)}…` : text;
}

export = function register(RED: NodeAPI): void {
  function TwinOpcuaIn(this: Node, config: TwinOpcuaInConfig): void {
    RED.nodes.createNode(this, config);
    const endpoint = RED.nodes.getNode(config.endpoint) as TwinOpcuaEndpointNode | null;
    const variables = (Array.isArray(config.variables) ? config.variables : []).filter((v) => v.nodeId && v.signal);
    const assetId = config.assetId?.trim();
    if (!endpoint || !assetId || variables.length === 0) {
      const key = !endpoint ? 'no-endpoint' : !assetId ? 'no-asset' : 'no-variables';
      this.status({ fill: 'red', shape: 'ring', text: RED._(`twin-opcua-in.status.${key}`) });
      this.error(RED._(`twin-opcua-in.errors.${key}`));
      return;
    }
    const samplingInterval = Math.max(0, numberSetting(config.samplingInterval, 500));
    const watchdog = new DataWatchdog(Math.max(0, numberSetting(config.noDataTimeout, defaultNoDataTimeout(samplingInterval, endpoint.keepAliveMs))), Date.now());

    let lastStatus = '';
    const showStatus = (): void => {
      const status: NodeStatus =
        endpoint.state === 'connected' && watchdog.isSilent
          ? { fill: 'yellow', shape: 'ring', text: RED._('twin-opcua-in.status.no-data') }
          : endpoint.statusFor(endpoint.state);
      const key = `${status.fill ?? ''}|${status.shape ?? ''}|${status.text ?? ''}`;
      if (key !== lastStatus) this.status(status);
      lastStatus = key;
    };

    let reportedError: string | undefined;
    const onState = (state: EndpointState, error?: string): void => {
      // Silence while disconnected is the connection's problem, shown as such; the count starts again on reconnect.
      if (state === 'connected') watchdog.restart(Date.now());
      // The endpoint is a config node, outside any tab: its errors reach a Catch node through the nodes that use it.
      if (state === 'error' && error && error !== reportedError) this.error(`OPC UA endpoint: ${error}`, { topic: assetId, payload: { assetId, error } });
      reportedError = state === 'error' ? error : undefined;
      showStatus();
    };
    endpoint.events.on('state', onState);
    onState(endpoint.state, endpoint.lastError);

    const checkSilence = (): void => {
      const now = Date.now();
      if (endpoint.state === 'connected' && watchdog.check(now)) {
        const seconds = Math.round(watchdog.silenceMs(now) / 100) / 10;
        // An error, so a Catch node can raise an alarm; the status (and a Status node) shows it as long as it lasts.
        this.error(`no data from the OPC UA server for ${seconds} s though connected`, {
          topic: assetId,
          payload: { assetId, noDataFor: watchdog.silenceMs(now), noDataTimeout: watchdog.timeoutMs },
        });
      }
      showStatus();
    };
    const silenceTimer = watchdog.timeoutMs > 0 ? setInterval(checkSilence, Math.min(1000, Math.max(50, watchdog.timeoutMs / 4))) : undefined;

    // Values of one publish arrive in one turn of the event loop: collect them and send them as few messages.
    let pending: Reading[] = [];
    let flush: NodeJS.Immediate | undefined;
    const sendPending = (): void => {
      flush = undefined;
      const readings = pending;
      pending = [];
      for (const telemetry of groupReadings(assetId, readings, samplingInterval / 2)) this.send({ topic: assetId, payload: telemetry });
    };

    /** Variables whose last good value was no number: their error was raised. */
    const notNumeric = new Set<number>();
    const stop = endpoint.monitor({
      variables: variables.map((v) => ({ nodeId: v.nodeId, samplingInterval, deadband: Math.max(0, numberSetting(v.deadband, 0)) })),
      onValue: (index: number, dataValue: DataValue) => {
        const mapping = variables[index]!;
        const raw: unknown = dataValue.value?.value;
        const value = numericValue(raw);
        const quality = qualityFromStatusCode(dataValue.statusCode.value);
        if (watchdog.heard(Date.now())) showStatus();
        // A bad value often carries no number at all (a broken wire, a sensor switched off): that is its quality, not an
        // error, and it goes to the twin without a value, which then shows the signal bad instead of its last value.
        // A good one that is no number (a text variable mapped by mistake) is raised once, not on every change.
        if (!Number.isFinite(value) && quality !== 'bad') {
          if (!notNumeric.has(index)) {
            notNumeric.add(index);
            this.error(`${mapping.nodeId}: value ${describeValue(raw)} is not a number (raised once, until the variable sends a number again)`, { topic: assetId, payload: raw });
          }
          return;
        }
        if (Number.isFinite(value)) notNumeric.delete(index);
        // The source timestamp is when the PLC measured; the server timestamp is a fallback for servers without one.
        const ts = dataValue.sourceTimestamp?.getTime() ?? dataValue.serverTimestamp?.getTime() ?? Date.now();
        pending.push({ signal: mapping.signal, value: Number.isFinite(value) ? value : NaN, quality, ts });
        flush ??= setImmediate(sendPending);
      },
      onError: (message: string) => this.error(message),
      onFound: (index: number) => this.log(`${variables[index]!.nodeId}: on the server now (a PLC download?), monitored`),
    });

    this.on('close', (done: () => void) => {
      endpoint.events.off('state', onState);
      if (silenceTimer) clearInterval(silenceTimer);
      if (flush) clearImmediate(flush);
      stop();
      done();
    });
  }
  RED.nodes.registerType('twin-opcua-in', TwinOpcuaIn);
};
