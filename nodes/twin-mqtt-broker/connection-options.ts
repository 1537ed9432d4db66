import type { IClientOptions } from 'mqtt';
import type { Parsed } from '../../core/telemetry.js';
import { numberSetting, type NodeDef } from '../shared/node-red.js';
import type { Credentials } from './broker-api.js';

/** The broker node's settings as the editor saves them. Keys are part of saved flows: add, never rename. */
export interface TwinMqttBrokerConfig extends NodeDef {
  url: string;
  clientId: string;
  protocolVersion: string | number;
  cleanSession: boolean;
  sessionExpiry: string | number;
  keepalive: string | number;
  /** TLS files on the Node-RED host (paths, not contents: private keys never enter the flow or credentials). */
  tlsCa?: string;
  tlsCert?: string;
  tlsKey?: string;
  /** Verify the broker's certificate against the CA (default on; absent in flows saved before TLS existed). */
  tlsRejectUnauthorized?: boolean;
  /** Name to check in the broker's certificate when it differs from the host in the URL. */
  tlsServername?: string;
}

export interface ConnectionPlan {
  url: string;
  options: IClientOptions;
  /** Things the user should know that do not stop the connection. */
  warnings: string[];
}

/** Reads a file given by path; injected so the rules below are tested without a disk. */
export type ReadFile = (path: string) => Buffer;

const ENCRYPTED = /^(mqtts|ssl|wss):\/\//i;

/**
 * Reconnection back-off: the first attempt 0.25 s after a lost connection, doubling up to 2 s while the broker stays
 * away. A broker restart then costs the twin a quarter of a second, not two: while a persistent session is away its
 * messages wait in the broker's memory, and a broker killed before its next save loses them.
 */
export const RECONNECT_MIN_MS = 250;
export const RECONNECT_MAX_MS = 2000;

/**
 * Turns the saved settings and credentials into mqtt.js options, reading TLS files once. Refusals are sentences
 * for the user: a missing file, TLS files with an unencrypted URL, a client certificate without its key.
 *
 * @param generatedClientId used when the user left the client id empty
 */
export function connectionPlan(config: TwinMqttBrokerConfig, credentials: Credentials, readFile: ReadFile, generatedClientId: string): Parsed<ConnectionPlan> {
  const url = (config.url || 'mqtt://127.0.0.1:1883').trim();
  const warnings: string[] = [];
  const protocolVersion = Number(config.protocolVersion) === 5 ? 5 : 4;
  const clean = config.cleanSession !== false;
  const fixedId = config.clientId?.trim() ?? '';
  if (!clean && fixedId === '') {
    warnings.push('persistent session without a client id: the session survives reconnects but not a redeploy or restart; set a client id');
  }
  const options: IClientOptions = {
    clientId: fixedId || generatedClientId,
    protocolVersion,
    clean,
    keepalive: numberSetting(config.keepalive, 60),
    reconnectPeriod: RECONNECT_MIN_MS,
    connectTimeout: 10_000,
    // The broker node subscribes every filter itself on each connect (see twin-mqtt-broker.ts).
    resubscribe: false,
    // A refused login is tried again too (slowly, see twin-mqtt-broker.ts): a broker that refuses while its user
    // database reloads, or until someone fixes the password on the broker, must not leave the twin offline until a
    // redeploy.
    reconnectOnConnackError: true,
  };
  if (displayUrl(url) !== url) {
    warnings.push('the URL holds a user name or password: it is saved in the flow and shown by every export of it; put them under User and Password, which Node-RED keeps as encrypted credentials');
  }
  if (credentials.user) options.username = credentials.user;
  if (credentials.password) options.password = credentials.password;
  if (protocolVersion === 5) {
    // A clean session leaves nothing behind at the broker; a persistent one lives this long after a disconnect.
    options.properties = { sessionExpiryInterval: clean ? 0 : Math.max(0, Math.round(numberSetting(config.sessionExpiry, 3600))) };
  }

  const files: Array<[key: 'ca' | 'cert' | 'key', label: string, path: string]> = [];
  for (const [key, label, raw] of [
    ['ca', 'CA certificate', config.tlsCa],
    ['cert', 'client certificate', config.tlsCert],
    ['key', 'client private key', config.tlsKey],
  ] as const) {
    if (typeof raw === 'string' && raw.trim() !== '') files.push([key, label, raw.trim()]);
  }
  const encrypted = ENCRYPTED.test(url);
  if (files.length > 0 && !encrypted) {
    return { ok: false, reason: `TLS files are set but ${url.split('://')[0]}:// is not encrypted; use mqtts:// (or wss://)` };
  }
  const hasCert = files.some(([k]) => k === 'cert');
  const hasKey = files.some(([k]) => k === 'key');
  if (hasCert !== hasKey) return { ok: false, reason: 'a client certificate needs its private key, and a key its certificate: set both or neither' };
  for (const [key, label, path] of files) {
    try {
      options[key] = readFile(path);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      return { ok: false, reason: `cannot read the ${label} ${path}${code ? ` (${code})` : ''}` };
    }
  }
  if (encrypted) {
    options.rejectUnauthorized = config.tlsRejectUnauthorized !== false;
    if (!options.rejectUnauthorized) warnings.push('the broker certificate is not verified: anyone on the network path can pose as the broker');
    if (config.tlsServername?.trim()) options.servername = config.tlsServername.trim();
    // tls.connect takes the passphrase of an encrypted private key; mqtt.js passes unknown options through.
    if (credentials.tlsPassphrase) (options as IClientOptions & { passphrase: string }).passphrase = credentials.tlsPassphrase;
  }
  return { ok: true, value: { url, options, warnings } };
}

/**
 * The URL without user and password. One that does not parse (a password with an unencoded / makes the rest look
 * like a path) loses everything up to its last @, so no part of a password is shown.
 */
export function displayUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.username === '' && parsed.password === '') return url;
    return url.replace(/^([a-z][a-z0-9+.-]*:\/\/)[^/?#]*@/i, '$1');
  } catch {
    return url.replace(/^([a-z][a-z0-9+.-]*:\/\/).*@/i, '$1');
  }
}
