import type { DataValue } from 'node-opcua' with { 'resolution-mode': 'import' };
import { qualityFromStatusCode } from '../../core/opcua-quality.js';
import type { Telemetry } from '../../core/telemetry.js';
import type { EndpointState, TwinOpcuaEndpointNode } from '../twin-opcua-endpoint/endpoint-api.js';
import { numberSetting, type Node, type NodeAPI, type NodeDef } from '../shared/node-red.js';

interface VariableMapping {
  nodeId: string;
  signal: string;
}

interface TwinOpcuaInConfig extends NodeDef {
  endpoint: string;
  assetId: string;
  variables: VariableMapping[];
  samplingInterval: string | number;
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

    const onState = (state: EndpointState): void => this.status(endpoint.statusFor(state));
    endpoint.events.on('state', onState);
    onState(endpoint.state);

    const stop = endpoint.monitor({
      variables: variables.map((v) => ({ nodeId: v.nodeId, samplingInterval })),
      onValue: (index: number, dataValue: DataValue) => {
        const mapping = variables[index]!;
        const raw: unknown = dataValue.value?.value;
        const value = typeof raw === 'number' ? raw : typeof raw === 'boolean' ? (raw ? 1 : 0) : typeof raw === 'bigint' ? Number(raw) : NaN;
        const quality = qualityFromStatusCode(dataValue.statusCode.value);
        if (!Number.isFinite(value)) {
          if (quality !== 'bad') this.error(`${mapping.nodeId}: value is not a number`, { topic: assetId, payload: raw });
          return;
        }
        // The source timestamp is when the PLC measured; the server timestamp is a fallback for servers without one.
        const ts = dataValue.sourceTimestamp?.getTime() ?? dataValue.serverTimestamp?.getTime() ?? Date.now();
        const telemetry: Telemetry = {
          assetId,
          ts,
          signals: { [mapping.signal]: value },
          quality: { [mapping.signal]: quality },
        };
        this.send({ topic: assetId, payload: telemetry });
      },
      onError: (message: string) => this.error(message),
    });

    this.on('close', (done: () => void) => {
      endpoint.events.off('state', onState);
      stop();
      done();
    });
  }
  RED.nodes.registerType('twin-opcua-in', TwinOpcuaIn);
};
