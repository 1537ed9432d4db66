import { systemClock, type Clock } from './clock.js';
import { SignalHistory, type HistorySeries } from './signal-history.js';
import type { SignalDefinition, TwinDefinitionSpec } from './twin-definition.js';
import type { Quality, RejectedSignal, Telemetry } from './telemetry.js';

/** The latest usable reading of one signal, as the snapshot shows it. */
export interface SignalSnapshot {
  value: number;
  /** Source timestamp of the value (ms since epoch). */
  ts: number;
  quality: Quality;
  unit?: string;
}

/**
 * The state of one asset as `twin-state` emits it. Keys are stable: a change is a breaking change.
 * Signals appear once they have had a usable (not `bad`) reading.
 */
export interface AssetSnapshot {
  assetId: string;
  /** Name of the asset class (the twin definition). */
  assetClass: string;
  /** Increases by one with every accepted update of this asset. */
  version: number;
  /** Newest source timestamp seen for this asset (ms). */
  ts: number;
  /** Receive time of the last accepted update (ms, the store's clock). */
  updatedAt: number;
  signals: Record<string, SignalSnapshot>;
}

/** What an ingest did, for the node to turn into messages and status. */
export interface IngestOutcome {
  assetId: string;
  /** True when anything was stored (the version increased). */
  accepted: boolean;
  version: number;
  /** Signals whose latest value changed with this update. */
  changed: string[];
  /** Readings that were not stored, or stored as `bad`, with the reason. */
  rejected: RejectedSignal[];
}

interface SignalState {
  definition: SignalDefinition | undefined;
  history: SignalHistory;
  /** Latest usable value; NaN until the first good or uncertain reading. */
  value: number;
  ts: number;
  quality: Quality;
  /** Asset version at which the latest value last changed. */
  changedAtVersion: number;
}

interface AssetState {
  assetId: string;
  version: number;
  ts: number;
  updatedAt: number;
  signals: Map<string, SignalState>;
}

/**
 * The live store of every asset of one class: latest value, source timestamp and quality per signal, and a
 * bounded, time-ordered history. Pure: no I/O, time from the injected clock.
 *
 * Rules:
 * - The newest source timestamp wins: a late reading goes into history at its place but does not replace a newer
 *   latest value. A repeated reading (same timestamp and value) changes nothing and does not bump the version.
 * - A reading outside the declared range is stored in history as `bad`, with the reason, and never becomes the
 *   latest value; neither does a reading the source itself marked `bad`.
 */
export class TwinStore {
  private spec: TwinDefinitionSpec;
  private definitions = new Map<string, SignalDefinition>();
  private assetPattern: RegExp | undefined;
  private readonly assets = new Map<string, AssetState>();

  constructor(
    spec: TwinDefinitionSpec,
    private readonly clock: Clock = systemClock,
  ) {
    this.spec = spec;
    this.applySpec(spec);
  }

  get definition(): TwinDefinitionSpec {
    return this.spec;
  }

  /**
   * Takes a changed definition (a redeploy) without losing what is stored: histories are resized keeping their
   * newest points, and signals that are no longer declared stay until the asset is reset.
   */
  reconfigure(spec: TwinDefinitionSpec): void {
    const resize = spec.historyPoints !== this.spec.historyPoints;
    this.spec = spec;
    this.applySpec(spec);
    for (const asset of this.assets.values()) {
      for (const [name, signal] of asset.signals) {
        signal.definition = this.definitions.get(name);
        if (resize) signal.history = copyHistory(signal.history, spec.historyPoints);
      }
    }
  }

  private applySpec(spec: TwinDefinitionSpec): void {
    this.definitions = new Map(spec.signals.map((s) => [s.name, s]));
    this.assetPattern = spec.assetIdPattern ? new RegExp(spec.assetIdPattern) : undefined;
  }

  /** Stores one telemetry message. Never throws for bad data: refusals are in the outcome. */
  ingest(telemetry: Telemetry): IngestOutcome {
    const { assetId, ts } = telemetry;
    const outcome: IngestOutcome = { assetId, accepted: false, version: 0, changed: [], rejected: [] };
    if (this.assetPattern && !this.assetPattern.test(assetId)) {
      outcome.rejected.push({ signal: '*', reason: `asset id "${assetId}" does not match /${this.spec.assetIdPattern}/` });
      return outcome;
    }
    let asset = this.assets.get(assetId);
    const isNewAsset = asset === undefined;
    asset ??= { assetId, version: 0, ts: -Infinity, updatedAt: 0, signals: new Map() };
    const nextVersion = asset.version + 1;
    let stored = false;

    for (const name in telemetry.signals) {
      const value = telemetry.signals[name]!;
      let signal = asset.signals.get(name);
      if (signal === undefined) {
        const definition = this.definitions.get(name);
        if (definition === undefined && !this.spec.acceptUndeclaredSignals) {
          outcome.rejected.push({ signal: name, reason: `signal "${name}" is not declared in "${this.spec.name}"` });
          continue;
        }
        signal = {
          definition,
          history: new SignalHistory(this.spec.historyPoints),
          value: NaN,
          ts: -Infinity,
          quality: 'bad',
          changedAtVersion: 0,
        };
        asset.signals.set(name, signal);
      }
      let quality: Quality = telemetry.quality?.[name] ?? 'good';
      const def = signal.definition;
      if (def !== undefined) {
        if (def.min !== undefined && value < def.min) {
          quality = 'bad';
          outcome.rejected.push({ signal: name, reason: `${value} is below the minimum ${def.min}` });
        } else if (def.max !== undefined && value > def.max) {
          quality = 'bad';
          outcome.rejected.push({ signal: name, reason: `${value} is above the maximum ${def.max}` });
        }
      }
      const isRepeat = ts === signal.ts && value === signal.value && quality === signal.quality;
      if (isRepeat) continue;
      if (!signal.history.add(ts, value, quality)) {
        outcome.rejected.push({ signal: name, reason: 'reading is older than the whole kept history' });
        continue;
      }
      stored = true;
      if (quality !== 'bad' && ts >= signal.ts) {
        if (value !== signal.value || quality !== signal.quality) {
          signal.changedAtVersion = nextVersion;
          outcome.changed.push(name);
        }
        signal.value = value;
        signal.ts = ts;
        signal.quality = quality;
      }
    }
    if (stored) {
      if (isNewAsset) this.assets.set(assetId, asset);
      asset.version = nextVersion;
      if (ts > asset.ts) asset.ts = ts;
      asset.updatedAt = this.clock.now();
      outcome.accepted = true;
    }
    outcome.version = asset.version;
    return outcome;
  }

  has(assetId: string): boolean {
    return this.assets.has(assetId);
  }

  assetIds(): string[] {
    return [...this.assets.keys()];
  }

  get assetCount(): number {
    return this.assets.size;
  }

  version(assetId: string): number {
    return this.assets.get(assetId)?.version ?? 0;
  }

  /**
   * The asset's state; with `sinceVersion`, only the signals whose latest value changed after that version.
   * @returns undefined for an unknown asset
   */
  snapshot(assetId: string, sinceVersion = 0): AssetSnapshot | undefined {
    const asset = this.assets.get(assetId);
    if (asset === undefined) return undefined;
    const signals: Record<string, SignalSnapshot> = {};
    for (const [name, signal] of asset.signals) {
      if (Number.isNaN(signal.value) || signal.changedAtVersion <= sinceVersion) continue;
      const entry: SignalSnapshot = { value: signal.value, ts: signal.ts, quality: signal.quality };
      if (signal.definition?.unit !== undefined) entry.unit = signal.definition.unit;
      signals[name] = entry;
    }
    return {
      assetId,
      assetClass: this.spec.name,
      version: asset.version,
      ts: asset.ts,
      updatedAt: asset.updatedAt,
      signals,
    };
  }

  /** History of one signal, oldest first (empty for unknown assets or signals). */
  history(assetId: string, signal: string, from?: number, to?: number): HistorySeries {
    const state = this.assets.get(assetId)?.signals.get(signal);
    return state ? state.history.series(from, to) : { ts: [], values: [], quality: [] };
  }

  /** Forgets one asset, or every asset when no id is given. */
  reset(assetId?: string): void {
    if (assetId === undefined) this.assets.clear();
    else this.assets.delete(assetId);
  }
}

function copyHistory(from: SignalHistory, capacity: number): SignalHistory {
  const to = new SignalHistory(capacity);
  for (let i = Math.max(0, from.length - capacity); i < from.length; i++) {
    const p = from.at(i)!;
    to.add(p.ts, p.value, p.quality);
  }
  return to;
}
