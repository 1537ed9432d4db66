/**
 * Open twinflow Redis stores, so a twin definition can find the store its *Keep in* names. Node-RED hands a context
 * store only its `config` object, not its name; the twin definition reads `settings.contextStorage[name]` and finds
 * the open store by that same object. Kept on globalThis: a second copy of this package in node_modules must see
 * the stores the first one opened.
 */
import type { RedisTwinShare } from './redis-twin-share.js';

/** What a twin definition finds for a store name: the store's shared twins. */
export interface TwinShareProvider {
  /** The shared twin of one asset class; one per class per store, made on first use. */
  share(twinName: string): RedisTwinShare;
  /** A line for logs: where Redis is and which instance this is, never the password. */
  readonly describe: string;
}

/** Marks the store module, so a settings entry naming it is recognised even without a config object. */
export const REDIS_STORE_MARK = Symbol.for('twinflow.redis-store');

const REGISTRY_KEY = Symbol.for('twinflow.redis-stores');
interface Registry {
  byConfig: WeakMap<object, TwinShareProvider>;
  open: Set<TwinShareProvider>;
}

export function registry(): Registry {
  const holder = globalThis as unknown as Record<symbol, Registry | undefined>;
  holder[REGISTRY_KEY] ??= { byConfig: new WeakMap(), open: new Set() };
  return holder[REGISTRY_KEY];
}

/**
 * The twin share provider for one `settings.contextStorage` entry, when that store is this package's Redis store and
 * is open. With only one Redis store open, that one (Node-RED gives a store without `config` a fresh object).
 */
export function findTwinShareProvider(storeSettings: unknown): TwinShareProvider | undefined {
  if (typeof storeSettings !== 'object' || storeSettings === null) return undefined;
  const { byConfig, open } = registry();
  const { config, module } = storeSettings as { config?: unknown; module?: unknown };
  if (typeof config === 'object' && config !== null) {
    const found = byConfig.get(config);
    if (found) return found;
  }
  const marked = typeof module === 'function' && (module as unknown as Record<symbol, unknown>)[REDIS_STORE_MARK] === true;
  if (marked && open.size === 1) return [...open][0];
  return undefined;
}
