import type { ResidualScale } from '../../core/model/health.js';
import type { RidgeBaseline } from '../../core/model/ridge-baseline.js';
import type { TwinDefinitionNode } from '../twin-definition/definition-api.js';
import { errorMessage } from '../shared/node-red.js';

/** What a model learned of one healthy asset (`AssetModel.learned`). */
export interface LearnedState {
  scales: Record<string, ResidualScale>;
  baseline?: RidgeBaseline;
}

const FORMAT = 'twinflow-model-learned-1';

interface Saved {
  format: typeof FORMAT;
  /** The model settings it was learned with: other settings learn again. */
  settings: string;
  assets: Record<string, LearnedState>;
}

/**
 * Kept in memory across redeploys (per definition and model node), like the twin store itself: a full deploy
 * restarts every node, and a model that learned its healthy window again then would take a worn pump for healthy.
 */
const kept = new Map<string, Saved>();

/**
 * What one twin-model node learned of each asset's healthy behaviour, kept next to the twin (in its definition's
 * *Keep in* store) so that a restart or a redeploy monitors on instead of learning the machine as it is now, which
 * may be worn, as its healthy state.
 */
export class LearnedModels {
  private saved: Saved;
  private readonly key: string;
  /** Settles once what was kept has been read; says what came back (or why nothing did), for the log. */
  readonly loaded: Promise<string | undefined>;

  constructor(
    private readonly definition: TwinDefinitionNode,
    modelId: string,
    settings: string,
  ) {
    this.key = `model-learned:${modelId}`;
    this.saved = { format: FORMAT, settings, assets: {} };
    const inMemory = kept.get(`${definition.id}:${this.key}`);
    const storeName = definition.contextStore;
    this.loaded =
      inMemory !== undefined
        ? Promise.resolve(this.take(inMemory))
        : storeName === undefined
          ? Promise.resolve(undefined)
          : new Promise((resolve) => {
              definition.context().get(this.key, storeName, (err: Error | null | undefined, value: unknown) => {
                if (err) resolve(`could not read what the model learned from context store "${storeName}": ${errorMessage(err)}; learning again`);
                else resolve(value === undefined ? undefined : this.take(value));
              });
            });
  }

  /** Takes what was kept if it was learned with the same settings. @returns what to log */
  private take(value: unknown): string | undefined {
    const saved = value as Partial<Saved> | null;
    if (saved?.format !== FORMAT || typeof saved.assets !== 'object' || saved.assets === null) return 'what the model learned before is in a format this version does not read; learning again';
    if (saved.settings !== this.saved.settings) return 'the model settings changed since it learned: learning each asset\'s healthy behaviour again';
    const assets = Object.entries(saved.assets).filter(([, state]) => isLearnedState(state));
    for (const [assetId, state] of assets) this.saved.assets[assetId] = state;
    this.keep();
    return assets.length === 0 ? undefined : `kept what it learned of ${assets.length} assets (${assets.map(([id]) => id).join(', ')}): monitoring on, no new healthy window`;
  }

  get(assetId: string): LearnedState | undefined {
    return this.saved.assets[assetId];
  }

  /** Keeps what a model has learned of an asset, in memory and in the twin's context store. */
  add(assetId: string, state: LearnedState): void {
    this.saved.assets[assetId] = state;
    this.keep();
  }

  /** Forgets assets (all without a list): their models learn again. @returns the assets forgotten */
  forget(assetIds?: readonly string[]): string[] {
    const forgotten = (assetIds ?? Object.keys(this.saved.assets)).filter((id) => Object.hasOwn(this.saved.assets, id));
    for (const id of forgotten) delete this.saved.assets[id];
    if (forgotten.length > 0) this.keep();
    return forgotten;
  }

  /** The node is deleted: nothing of it stays in memory. */
  drop(): void {
    kept.delete(`${this.definition.id}:${this.key}`);
  }

  private keep(): void {
    kept.set(`${this.definition.id}:${this.key}`, this.saved);
    const storeName = this.definition.contextStore;
    if (storeName === undefined) return;
    this.definition.context().set(this.key, this.saved, storeName, (err?: Error | null) => {
      if (err) this.definition.warn(`could not save what the model learned to context store "${storeName}": ${errorMessage(err)}`);
    });
  }
}

function isLearnedState(value: unknown): value is LearnedState {
  const scales = (value as { scales?: unknown } | null)?.scales;
  if (typeof scales !== 'object' || scales === null) return false;
  return Object.values(scales).every((s: { mean?: unknown; std?: unknown } | null) => typeof s?.mean === 'number' && Number.isFinite(s.mean) && typeof s.std === 'number' && s.std > 0 && Number.isFinite(s.std));
}
