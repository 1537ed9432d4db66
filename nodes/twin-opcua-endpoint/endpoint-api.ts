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
  /** Absolute deadband in the variable's unit: smaller changes are not reported. 0 or absent: every change. */
  deadband?: number;
}

/** One user's set of monitored variables; `onValue` gets the index of the variable in `variables`. */
export interface MonitorRequest {
  variables: MonitoredVariable[];
  onValue(index: number, value: DataValue): void;
  onError(message: string): void;
  /** A variable the server refused at first (not in the PLC program yet) is monitored now. */
  onFound?(index: number): void;
}

/** One child of a node in the server's address space, as the editor's browser shows it. */
export interface BrowseEntry {
  /** In `nsu=` form (stable across server restarts), or `i=…` for the standard namespace. */
  nodeId: string;
  browseName: string;
  displayName: string;
  nodeClass: string;
  /** For variables: the data type's name (e.g. "Double"). */
  dataType?: string;
  hasChildren: boolean;
}

export interface TwinOpcuaEndpointNode extends Node<Credentials> {
  readonly events: EventEmitter;
  state: EndpointState;
  lastError: string | undefined;
  /** Within this time the server sends at least a keep-alive (publishing interval × max keep-alive count). */
  readonly keepAliveMs: number;
  /** Starts monitoring on the shared session (opened on first use); the returned function stops it. */
  monitor(request: MonitorRequest): () => void;
  /** Children of a node (Objects folder when none), on the shared session (opened if needed). */
  browse(nodeId?: string): Promise<BrowseEntry[]>;
  /**
   * Writes a number to a variable on the shared session, converted to the variable's own data type.
   * `result`: `written` (Good), `pending` (Good_CompletesAsynchronously: not confirmed by the server) or `refused`
   * (a Bad status such as Bad_OutOfRange, Bad_TypeMismatch, Bad_UserAccessDenied, with its name).
   */
  write(nodeId: string, value: number): Promise<{ result: 'written' | 'pending' | 'refused'; status: string }>;
  statusFor(state: EndpointState): NodeStatus;
}
