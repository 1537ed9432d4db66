/**
 * A Node-RED context store kept in Redis, so several Node-RED instances share it, and the shared twin behind a twin
 * definition whose *Keep in* names this store: each asset owned by one instance at a time (a lease per asset), its
 * state in Redis, readings of an asset owned elsewhere handed over to its owner.
 *
 * settings.js (the password from the environment, never from the flow):
 *   contextStorage: {
 *     default: { module: "memory" },
 *     redis: {
 *       module: require("@twinflow/node-red-digital-twin/redis-store"),
 *       config: { url: "redis://redis.plant.local:6379", password: process.env.TWIN_REDIS_PASSWORD }
 *     }
 *   }
 *
 * Options: `url` (default redis://127.0.0.1:6379), `password`, `username`, `prefix` (default "twinflow": keys are
 * `<prefix>:…`), `instanceId` (default `<hostname>-<pid>`: unique per running Node-RED), `leaseTime` (seconds a dead
 * instance's assets stay with it, default 3), `flushInterval` (seconds between writes of changed assets, default 0.5),
 * `writeLog` (true: every twin write is also appended to `<prefix>:<twin>:writes`, for checking who wrote what).
 *
 * As a plain context store (flow and global context, or a twin definition on a single instance) it keeps each
 * top-level context variable as one JSON field of a Redis hash per scope; it is asynchronous only, like any store
 * on a network.
 */
import { hostname } from 'node:os';
import { createClient } from 'redis';
import { RedisTwinShare, type RedisClient, type TwinShareOptions } from './redis-twin-share.js';
import { nodeRedModule } from './node-red-module.js';
import { REDIS_STORE_MARK, registry, type TwinShareProvider } from './redis-registry.js';

interface RedisStoreConfig {
  url?: string;
  username?: string;
  password?: string;
  prefix?: string;
  instanceId?: string;
  leaseTime?: number | string;
  flushInterval?: number | string;
  writeLog?: boolean;
  [key: string]: unknown;
}

type Callback = (err?: Error | null, ...values: unknown[]) => void;

interface NodeRedUtil {
  getObjectProperty(object: object, expression: string): unknown;
  setObjectProperty(object: object, expression: string, value: unknown, createMissing?: boolean): boolean;
  normalisePropertyExpression(expression: string): Array<string | number>;
}

/** Seconds from settings → ms, with the default when absent; a bad value is a startup error that names the option. */
function secondsOption(config: RedisStoreConfig, name: 'leaseTime' | 'flushInterval', fallbackS: number): number {
  const raw = config[name];
  if (raw === undefined || raw === '') return fallbackS * 1000;
  const n = Number(raw);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`twinflow Redis store: ${name} must be a number of seconds above 0, got ${JSON.stringify(raw)}`);
  return n * 1000;
}

/** The URL without user and password, for logs. */
function safeUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}${u.pathname === '/' ? '' : u.pathname}`;
  } catch {
    return 'an invalid URL';
  }
}

function redisStore(config: RedisStoreConfig = {}) {
  const url = typeof config.url === 'string' && config.url !== '' ? config.url : 'redis://127.0.0.1:6379';
  const prefix = typeof config.prefix === 'string' && config.prefix !== '' ? config.prefix : 'twinflow';
  const shareOptions: TwinShareOptions = {
    prefix,
    instanceId: typeof config.instanceId === 'string' && config.instanceId !== '' ? config.instanceId : `${hostname()}-${process.pid}`,
    leaseMs: secondsOption(config, 'leaseTime', 3),
    flushMs: secondsOption(config, 'flushInterval', 0.5),
    writeLog: config.writeLog === true,
  };
  const describe = `Redis at ${safeUrl(url)}, instance ${shareOptions.instanceId}`;
  const client: RedisClient = createClient({
    url,
    ...(typeof config.username === 'string' && config.username !== '' ? { username: config.username } : {}),
    ...(typeof config.password === 'string' && config.password !== '' ? { password: config.password } : {}),
    // Reconnect with back-off up to 2 s, for ever: a plant's Redis restarting must not stop Node-RED.
    socket: { reconnectStrategy: (retries: number) => Math.min(2000, 50 * 2 ** Math.min(retries, 6)), connectTimeout: 5000 },
  });
  let lastError = '';
  (client as unknown as { on(event: string, fn: (err: Error) => void): void }).on('error', (err: Error) => {
    // node-redis reports every failed reconnect; say each reason once, without the URL (it may carry a password).
    const reason = err.message.replaceAll(url, safeUrl(url));
    if (reason === lastError) return;
    lastError = reason;
    nodeRedModule<{ log: { warn(msg: string): void } }>('@node-red/util').log.warn(`[twinflow redis store] ${describe}: ${reason}`);
  });
  const shares = new Map<string, RedisTwinShare>();
  const provider: TwinShareProvider = {
    describe,
    share(twinName: string): RedisTwinShare {
      let share = shares.get(twinName);
      if (!share) {
        share = new RedisTwinShare(client, twinName, shareOptions);
        shares.set(twinName, share);
      }
      return share;
    },
  };

  let util: NodeRedUtil | undefined;
  const nodeRedUtil = (): NodeRedUtil => (util ??= nodeRedModule<{ util: NodeRedUtil }>('@node-red/util').util);
  const scopeKey = (scope: string): string => `${prefix}:context:${scope}`;
  /** The top-level variable a context key names (`a.b[0]` → `a`). */
  const topOf = (key: string): string => String(nodeRedUtil().normalisePropertyExpression(key)[0]);
  const parse = (text: string | null | undefined): unknown => (text === null || text === undefined ? undefined : JSON.parse(text));

  const getOne = async (scope: string, key: string): Promise<unknown> => {
    const top = topOf(key);
    const value = parse(await client.sendCommand<string | null>(['HGET', scopeKey(scope), top]));
    if (value === undefined) return undefined;
    return nodeRedUtil().getObjectProperty({ [top]: value }, key);
  };
  const setOne = async (scope: string, key: string, value: unknown): Promise<void> => {
    const top = topOf(key);
    const holder: Record<string, unknown> = {};
    if (top !== key) holder[top] = parse(await client.sendCommand<string | null>(['HGET', scopeKey(scope), top]));
    nodeRedUtil().setObjectProperty(holder, key, value, true);
    const next = holder[top];
    // Like Node-RED's own stores: undefined deletes the variable; null is a value.
    if (next === undefined) await client.sendCommand(['HDEL', scopeKey(scope), top]);
    else await client.sendCommand(['HSET', scopeKey(scope), top, JSON.stringify(next)]);
  };
  const needsCallback = (callback: unknown): Callback => {
    if (typeof callback !== 'function') throw new Error('the twinflow Redis context store is asynchronous: pass a callback (flow.get(key, store, callback))');
    return callback as Callback;
  };

  const store = {
    async open(): Promise<void> {
      await (client as unknown as { connect(): Promise<unknown> }).connect();
      registry().byConfig.set(config, provider);
      registry().open.add(provider);
    },
    async close(): Promise<void> {
      registry().open.delete(provider);
      registry().byConfig.delete(config);
      for (const share of shares.values()) await share.close();
      shares.clear();
      const closing = client as unknown as { close?(): Promise<unknown>; quit(): Promise<unknown> };
      await (closing.close ? closing.close() : closing.quit()).catch(() => undefined);
    },
    get(scope: string, key: string | string[], callback?: Callback): void {
      const cb = needsCallback(callback);
      const keys = Array.isArray(key) ? key : [key];
      Promise.all(keys.map((k) => getOne(scope, k))).then(
        (values) => cb(null, ...values),
        (err: Error) => cb(err),
      );
    },
    set(scope: string, key: string | string[], value: unknown, callback?: Callback): void {
      const cb = needsCallback(callback);
      const keys = Array.isArray(key) ? key : [key];
      const values = Array.isArray(key) ? (Array.isArray(value) ? value : [value]) : [value];
      // One variable after the other: a later key may be inside an earlier one.
      keys
        .reduce((chain, k, i) => chain.then(() => setOne(scope, k, values[i])), Promise.resolve())
        .then(
          () => cb(null),
          (err: Error) => cb(err),
        );
    },
    keys(scope: string, callback?: Callback): void {
      const cb = needsCallback(callback);
      client.sendCommand<string[]>(['HKEYS', scopeKey(scope)]).then(
        (keys) => cb(null, keys),
        (err: Error) => cb(err),
      );
    },
    delete(scope: string): Promise<void> {
      return client.sendCommand(['DEL', scopeKey(scope)]).then(() => undefined);
    },
    /**
     * Node-RED asks a store to drop the context of nodes that no longer exist. Other instances sharing this Redis may
     * run other flows, whose nodes this instance does not know: dropping theirs would lose data, so nothing is dropped.
     */
    clean(): Promise<void> {
      return Promise.resolve();
    },
  };
  return store;
}

redisStore.toString = (): string => 'twinflow redis';
(redisStore as unknown as Record<symbol, unknown>)[REDIS_STORE_MARK] = true;

export = redisStore;
