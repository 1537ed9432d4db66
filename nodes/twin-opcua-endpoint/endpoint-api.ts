import type { EventEmitter } from 'node:events';
import type { DataValue } from 'node-opcua' with { 'resolution-mode': 'import' };
import type { Node, NodeStatus } from '../shared/node-red.js';

export interface Credentials {
  user?: string;
  password?: string;
}

export type EndpointState = 'connecting' | 'connected' | 'disconnected' | 'error';

export interface MonitoredVariable {
  nodeId: string;
  samplingInterval: number;
}

/** One user's set of monitored variables; `onValue` gets the index of the variable in `variables`. */
export interface MonitorRequest {
  variables: MonitoredVariable[];
  onValue(index: number, value: DataValue): void;
  onError(message: string): void;
}

export interface TwinOpcuaEndpointNode extends Node<Credentials> {
  readonly events: EventEmitter;
  state: EndpointState;
  lastError: string | undefined;
  /** Starts monitoring on the shared session (opened on first use); the returned function stops it. */
  monitor(request: MonitorRequest): () => void;
  statusFor(state: EndpointState): NodeStatus;
}

