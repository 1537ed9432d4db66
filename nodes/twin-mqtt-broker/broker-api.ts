import type { EventEmitter } from 'node:events';
import type { IPublishPacket } from 'mqtt';
import type { Node, NodeStatus } from '../shared/node-red.js';

export interface Credentials {
  user?: string;
  password?: string;
  /** Passphrase of an encrypted TLS client key (the key itself stays in its file). */
  tlsPassphrase?: string;
}

/**
 * - `connecting`: opening the connection (first time or after a clean disconnect);
 * - `connected`: CONNACK received, subscriptions sent;
 * - `disconnected`: the network or the broker went away; reconnecting every 2 s;
 * - `error`: something a person must fix (TLS, authorisation, a refused subscription, a bad setting); retried too.
 */
export type ConnectionState = 'connecting' | 'connected' | 'disconnected' | 'error';

/** What flows see of a connection change (second output of twin-mqtt-in). */
export interface ConnectionEvent {
  state: ConnectionState;
  /** Why it is not connected, when known. Never contains credentials. */
  error?: string;
  /** Broker URL without user or password. */
  broker: string;
}

export type MessageHandler = (topic: string, payload: Buffer, packet: IPublishPacket) => void;

/**
 * Ends one node's subscription. `removed` (from Node-RED's close): the node was deleted or disabled, so a
 * persistent session stops keeping messages for it; otherwise (redeploy, restart) the broker keeps queueing.
 */
export type Unsubscribe = (removed?: boolean) => void;

/** What `twin-mqtt-in` (and later `twin-actuator`) use of their broker node. */
export interface TwinMqttBrokerNode extends Node<Credentials> {
  readonly events: EventEmitter;
  state: ConnectionState;
  lastError: string | undefined;
  /** The current state as flows see it. */
  connectionEvent(): ConnectionEvent;
  /** 4 (MQTT 3.1.1) or 5. */
  readonly protocolVersion: 4 | 5;
  /** Subscribes; the connection opens with the first subscription. */
  subscribe(filter: string, qos: 0 | 1 | 2, handler: MessageHandler): Unsubscribe;
  /**
   * Subscribes to see what others publish on a filter that is no source of readings (an actuator's command topics):
   * this connection's own messages never reach the watcher, and a publish on such a topic is no echo to warn about.
   */
  watch(filter: string, watcher: MessageHandler): Unsubscribe;
  /** Opens the shared connection if it is not open yet (for nodes that only publish). */
  connect(): void;
  /**
   * Publishes now or not at all: refused when not connected, and withdrawn (never sent later) when the broker has
   * not acknowledged it within `ttlMs`. On MQTT 5 the broker also drops it after `ttlMs` (message expiry).
   */
  publish(
    topic: string,
    payload: string | Buffer,
    options: { qos: 0 | 1 | 2; retain?: boolean; ttlMs: number; /** MQTT 5 request/response. */ responseTopic?: string; correlationData?: Buffer },
  ): Promise<void>;
  /** Status for a node using this broker. */
  statusFor(state: ConnectionState): NodeStatus;
}
