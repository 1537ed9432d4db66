import { addRuns, emptyRunLibrary, encodeRunLibrary, parseRunLibrary, type RunLibrary } from '../../core/rul/learn.js';
import type { CompletedRun } from '../../core/rul/twin-history.js';
import type { TwinDefinitionNode } from '../twin-definition/definition-api.js';
import { errorMessage } from '../shared/node-red.js';

const KEY = 'rul-runs';

/**
 * The completed run-to-failure histories of one twin, shared by every twin-rul node of that twin definition and kept
 * in the definition's context store (its *Keep in*), next to the twin itself, so they survive restarts. Without a
 * context store they last until Node-RED stops (the models saved by `retrain` keep what was learned).
 */
export class TwinRunLibrary {
  readonly library: RunLibrary = emptyRunLibrary();
  /** Increases with every change, so nodes see cheaply that they have runs to apply. */
  revision = 0;
  /** Failures that could not be learned (reported once). */
  readonly refused = new Set<string>();
  loaded: Promise<void>;
  /** The context store the library was read from and is written to. */
  private storeName: string | undefined;

  constructor(definition: TwinDefinitionNode) {
    this.storeName = definition.contextStore;
    this.loaded = this.read(definition);
  }

  /**
   * The definition now keeps the twin in another store (its *Keep in* changed): the runs saved there join, and the
   * whole library is written there, so a restart before the next learned failure does not lose it.
   */
  follow(definition: TwinDefinitionNode): void {
    if (definition.contextStore === this.storeName) return;
    this.storeName = definition.contextStore;
    this.loaded = this.loaded.then(() => this.read(definition)).then(() => this.write(definition));
  }

  private read(definition: TwinDefinitionNode): Promise<void> {
    const storeName = definition.contextStore;
    return storeName === undefined ? Promise.resolve() : new Promise((resolve) => {
      definition.context().get(KEY, storeName, (err: Error | null | undefined, value: unknown) => {
        if (err) definition.warn(`could not read the completed runs from context store "${storeName}": ${errorMessage(err)}`);
        else if (value !== undefined) {
          const parsed = parseRunLibrary(value);
          if (!parsed.ok) definition.warn(`${parsed.reason}; the completed runs start empty`);
          else {
            if (parsed.dropped > 0) definition.warn(`${parsed.dropped} saved completed runs were unreadable and are dropped`);
            // Runs learned live before the read finished stay.
            if (addRuns(this.library, parsed.value.runs).length > 0) this.revision++;
          }
        }
        resolve();
      });
    });
  }

  has(id: string): boolean {
    return this.library.runs.some((r) => r.id === id);
  }

  /** Adds runs and writes the library into the twin's context store. @returns the runs that were new */
  add(runs: CompletedRun[], definition: TwinDefinitionNode): CompletedRun[] {
    const added = addRuns(this.library, runs);
    if (added.length === 0) return added;
    this.revision++;
    this.write(definition);
    return added;
  }

  private write(definition: TwinDefinitionNode): void {
    const storeName = definition.contextStore;
    if (storeName === undefined || this.library.runs.length === 0) return;
    definition.context().set(KEY, encodeRunLibrary(this.library), storeName, (err?: Error | null) => {
      if (err) definition.warn(`could not save the completed runs to context store "${storeName}": ${errorMessage(err)}`);
    });
  }
}

/** One library per twin definition id; it outlives redeploys like the twin store does, and goes with a deleted twin. */
const libraries = new Map<string, TwinRunLibrary>();
/** Definition nodes (one per deploy) whose deletion is watched. */
const watched = new WeakSet<TwinDefinitionNode>();

export function runLibraryOf(definition: TwinDefinitionNode): TwinRunLibrary {
  let library = libraries.get(definition.id);
  if (library === undefined) {
    library = new TwinRunLibrary(definition);
    libraries.set(definition.id, library);
  } else library.follow(definition);
  if (!watched.has(definition)) {
    watched.add(definition);
    // A deleted twin definition drops its store (twin-definition does); its runs go with it, not kept for ever.
    definition.on('close', (removed: boolean, done: () => void) => {
      if (removed) libraries.delete(definition.id);
      done();
    });
  }
  return library;
}
