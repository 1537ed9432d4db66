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
  /**
   * Saved data this version could not read (an asset damaged by hand, a twin saved by another version), kept as it
   * was, so that nothing saved is lost by the saves that follow; the log says where it is.
   */
  unreadable?: { assets?: Record<string, unknown>; twin?: unknown };
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
  /** The saved twin could not be read: nothing may be written, or it would replace what is saved. */
  private readFailed = false;

  constructor(
    private readonly store: TwinStore,
    private readonly context: ContextStoreAccess,
    private readonly storeName: string,
    private readonly log: PersistenceLog,
    private readonly intervalMs = 1000,
  ) {}

  /**
   * Reads the saved twin; a missing or unreadable one starts empty with a warning, never an exception. What cannot be
   * read is kept aside in the saved twin (`unreadable`), never overwritten by the next save.
   * @returns how many assets came back, or undefined when the store could not be read at all: then nothing may be
   *   saved either, or the first save would replace the saved twin with what arrived since the start
   */
  restore(): Promise<number | undefined> {
    return new Promise((resolve) => {
      this.context.get(KEY, this.storeName, (err, value) => {
        if (err) {
          this.readFailed = true;
          this.log.warn(`could not read the saved twin from context store "${this.storeName}": ${errorMessage(err)}; the twin starts empty and is not saved until a redeploy reads it`);
          resolve(undefined);
          return;
        }
        if (value === undefined) {
          this.adoptLive();
          resolve(0);
          return;
        }
        const twin: unknown = value;
        if (!isPersistedTwin(twin)) {
          this.saved.unreadable = { twin };
          this.adoptLive();
          this.log.warn(`the saved twin in context store "${this.storeName}" is not in a format this version reads; starting empty (what was saved is kept as it was, under "${KEY}.unreadable.twin")`);
          resolve(0);
          return;
        }
        if (twin.unreadable !== undefined) this.saved.unreadable = twin.unreadable;
        let restored = 0;
        for (const [assetId, asset] of Object.entries(twin.assets)) {
          const result = this.store.importAsset(asset);
          if (result.ok) {
            restored++;
            this.saved.assets[assetId] = asset;
          } else {
            this.saved.unreadable = { ...this.saved.unreadable, assets: { ...this.saved.unreadable?.assets, [assetId]: asset } };
            this.log.warn(`${result.reason}: asset ${assetId} starts empty (its saved data is kept as it was, under "${KEY}.unreadable.assets")`);
          }
        }
        this.adoptLive();
        resolve(restored);
      });
    });
  }

  /**
   * Takes a store kept in memory across a redeploy as what is saved: each save writes the whole twin under one key,
   * so a persistence that knew only the assets changed since would overwrite the others' saved state. What the
   * saved twin keeps aside as unreadable is read back too, so it stays saved.
   */
  adoptStore(): Promise<boolean> {
    this.adoptLive();
    return new Promise((resolve) => {
      this.context.get(KEY, this.storeName, (err, value) => {
        if (err) {
          this.readFailed = true;
          this.log.warn(`could not read the saved twin from context store "${this.storeName}": ${errorMessage(err)}; not saved until a redeploy reads it`);
          resolve(false);
          return;
        }
        if (value !== undefined) {
          if (!isPersistedTwin(value)) this.saved.unreadable = { twin: value };
          else if (value.unreadable !== undefined) this.saved.unreadable = value.unreadable;
        }
        resolve(true);
      });
    });
  }

  /** What the live store holds and the saved twin does not (yet) becomes part of it: each save writes the whole twin. */
  private adoptLive(): void {
    for (const assetId of this.store.assetIds()) {
      if (Object.hasOwn(this.saved.assets, assetId)) continue;
      const asset = this.store.exportAsset(assetId);
      if (asset !== undefined) this.saved.assets[assetId] = asset;
    }
  }

  start(): void {
    this.timer ??= setInterval(() => void this.save(), this.intervalMs);
  }

  /** Writes the assets changed since the last save into the context store. */
  save(): Promise<void> {
    // Changes stay marked for the next persistence (a redeploy that reads the saved twin) to write.
    if (this.readFailed) return Promise.resolve();
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
