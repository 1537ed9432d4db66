import type { NodeStatus } from './node-red.js';

/** The connection states shared by the MQTT broker and OPC UA endpoint config nodes. */
export type ConnectionStateName = 'connecting' | 'connected' | 'disconnected' | 'error';

/**
 * The status every node using a connection shows: Node-RED's own translated texts for the usual states, and for an
 * error the config node's own short text (it knows what the error means).
 */
export function connectionStatus(state: ConnectionStateName, errorText: () => string): NodeStatus {
  switch (state) {
    case 'connected':
      return { fill: 'green', shape: 'dot', text: 'node-red:common.status.connected' };
    case 'connecting':
      return { fill: 'yellow', shape: 'ring', text: 'node-red:common.status.connecting' };
    case 'error':
      return { fill: 'red', shape: 'ring', text: errorText() };
    default:
      return { fill: 'red', shape: 'ring', text: 'node-red:common.status.disconnected' };
  }
}
