import type { EventEmitter } from 'node:events';
import type { IPublishPacket } from 'mqtt';
import type { Node, NodeStatus } from '../shared/node-red.js';

export interface Credentials {
  user?: string;
  password?: string;
}

export type ConnectionState = 'connecting' | 'connected' | 'disconnected' | 'error';

export type MessageHandler = (topic: string, payload: Buffer, packet: IPublishPacket) => void;

/** What `twin-mqtt-in` (and later `twin-actuator`) use of their broker node. */
export interface TwinMqttBrokerNode extends Node<Credentials> {
  readonly events: EventEmitter;
  state: ConnectionState;
  lastError: string | undefined;
  /** Subscribes; the returned function unsubscribes. The connection opens with the first subscription. */
  subscribe(filter: string, qos: 0 | 1 | 2, handler: MessageHandler): () => void;
  /** Status for a node using this broker. */
  statusFor(state: ConnectionState): NodeStatus;
}

