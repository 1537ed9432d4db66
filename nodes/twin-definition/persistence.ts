import type { PersistedAsset, TwinStore } from '../../core/twin-store.js';
import { errorMessage } from '../shared/node-red.js';

/** The part of Node-RED's context API persistence uses (a node's `context()`). */
export interface ContextStoreAccess {
  get(key: string, storeName: string, callback: (err: Error | null | undefined, value: unknown) => void): void;
  set(key: string, value: unknown, storeName: string, callback: (err?: Error | null) => void): void;
}

export interface PersistenceLog {
  warn(message: string): void;
  log(message: string): void;
}

const KEY = 'twin';
const FORMAT = 'twinflow-twin-1';

interface PersistedTwin {
  format: typeof FORMAT;
  assets: Record<string, PersistedAsset>;
}

/**
 * Keeps a twin store in a Node-RED context store (the one named in the twin definition), so the twin comes back
 * after a restart: `localfilesystem` on one machine, a Redis-backed store for several.
 *
 * Changed assets are written into the context every `intervalMs`; the context store itself then flushes to disk on
 * its own schedule (localfilesystem: `flushInterval`, 30 s by default). What a restart can lose is at most the sum
 * of the two. Restoring merges with anything that arrived live in the meantime.
 */
export class TwinPersistence {
  private timer: NodeJS.Timeout | undefined;
  private readonly saved: PersistedTwin = { format: FORMAT, assets: {} };

  constructor(
    private readonly store: TwinStore,
    private readonly context: ContextStoreAccess,
    private readonly storeName: string,
    private readonly log: PersistenceLog,
    private readonly intervalMs = 1000,
  ) {}

  /** Reads the saved twin; a missing or unreadable one starts empty with a warning, never an exception. */
  restore(): Promise<number> {
    return new Promise((resolve) => {
      this.context.get(KEY, this.storeName, (err, value) => {
        if (err) {
          this.log.warn(`could not read the saved twin from context store "${this.storeName}": ${errorMessage(err)}; starting empty`);
          resolve(0);
          return;
        }
        if (value === undefined) {
          resolve(0);
          return;
        }
        const twin: unknown = value;
        if (!isPersistedTwin(twin)) {
          this.log.warn(`the saved twin in context store "${this.storeName}" is not in a format this version reads; starting empty`);
          resolve(0);
          return;
        }
        let restored = 0;
        for (const [assetId, asset] of Object.entries(twin.assets)) {
          const result = this.store.importAsset(asset);
          if (result.ok) {
            restored++;
            this.saved.assets[assetId] = asset;
          } else {
            this.log.warn(`${result.reason}: asset ${assetId} starts empty`);
          }
        }
        resolve(restored);
      });
    });
  }

  /**
   * Takes a store kept in memory across a redeploy as what is saved: each save writes the whole twin under one key,
   * so a persistence that knew only the assets changed since would overwrite the others' saved state.
   */
  adoptStore(): void {
    for (const assetId of this.store.assetIds()) {
      const asset = this.store.exportAsset(assetId);
      if (asset !== undefined) this.saved.assets[assetId] = asset;
    }
  }

  start(): void {
    this.timer ??= setInterval(() => void this.save(), this.intervalMs);
  }

  /** Writes the assets changed since the last save into the context store. */
  save(): Promise<void> {
    const dirty = this.store.takeDirty();
    if (dirty.length === 0) return Promise.resolve();
    for (const assetId of dirty) {
      const asset = this.store.exportAsset(assetId);
      if (asset === undefined) delete this.saved.assets[assetId];
      else this.saved.assets[assetId] = asset;
    }
    return new Promise((resolve) => {
      this.context.set(KEY, this.saved, this.storeName, (err) => {
        if (err) this.log.warn(`could not save the twin to context store "${this.storeName}": ${errorMessage(err)}`);
        resolve();
      });
    });
  }

  /** Stops the timer after a last save. */
  async close(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.save();
  }
}

function isPersistedTwin(value: unknown): value is PersistedTwin {
  if (typeof value !== 'object' || value === null) return false;
  const twin = value as Record<string, unknown>;
  return twin.format === FORMAT && typeof twin.assets === 'object' && twin.assets !== null;
}
