import { systemClock, type Clock } from './clock.js';
import { errorMessage } from './errors.js';
import { cloneJson, jsonRoundTrip } from './json-clone.js';
import { newRevision } from './revision.js';
import { SignalHistory, decimateSeries, type HistorySeries, type UsableWindow, type WindowStatistics } from './signal-history.js';
import type { AuditRecord } from './actuation-guards.js';
import { DEFAULT_EWMA_ALPHA, type ActuationPoint, type SignalDefinition, type TwinDefinitionSpec } from './twin-definition.js';
import type { Parsed, Quality, RejectedSignal, Telemetry } from './telemetry.js';

/** The latest usable reading of one signal, as the snapshot shows it. */
export interface SignalSnapshot {
  value: number;
  /** Source timestamp of the value (ms since epoch). */
  ts: number;
  quality: Quality;
  unit?: string;
  /** Present (true) while the signal has had no update within its staleness timeout. */
  stale?: true;
  /**
   * Present while the signal's newest readings are `bad` (marked so by the source, e.g. an OPC UA BadSensorFailure, or
   * outside the declared range): the source time of the first of them. `value` is then the last usable reading, older
   * than what the sensor says now.
   */
  badSince?: number;
}

/**
 * True when a snapshot's signal says how the machine is now: it is not stale and its sensor is not reported bad since
 * its value (`badSince`). What guards a command or starts a prediction reads only such signals.
 */
export function isCurrentReading(signal: SignalSnapshot | undefined): signal is SignalSnapshot {
  // A latest value is never bad in the twin's own snapshots; one made by hand may be.
  return signal !== undefined && signal.stale !== true && signal.badSince === undefined && signal.quality !== 'bad';
}

/**
 * What the twin wants an actuation point to be, against what the device reports.
 * - `pending`: not reached yet and not expired: the only state in which a command may still be applied.
 * - `reached`: the reported value came within tolerance.
 * - `expired`: its time to live ran out before it was reached; it must never be applied later.
 * - `overridden`: the device reported a different value newer than the settle time after the command (someone changed
 *   it at the machine): the device wins. For a ramped command the settle time counts from the ramp's last step: the
 *   readings on the way to the target are the machine following the ramp, not someone overriding it.
 */
export type DesiredState = 'pending' | 'reached' | 'expired' | 'overridden';

export interface DesiredValue {
  value: number;
  /** When the desired value was set (ms, store clock). */
  ts: number;
  /** After this (ms) a pending desired value expires; undefined: never. */
  expiresAt?: number;
  /**
   * When the actuator writes the last step of its ramp to this value (ms, store clock); absent: written at once. The
   * settle time and the time to live count from then.
   */
  rampEndsAt?: number;
  /** Who asked for it (a node name, a user), for the audit trail. */
  source?: string;
  state: DesiredState;
  /** Latest reported value of the point, when known. */
  reported?: number;
  /** desired − reported, when the reported value is known. */
  delta?: number;
}

/**
 * `failure`: the asset (or the part) reached failure at `ts`. Like `part-replaced` it ends a life: what runs after it
 * is a new life, and the history up to it is a completed run-to-failure history that `twin-rul` learns from.
 */
export type MaintenanceKind = 'part-replaced' | 'inspection' | 'repair' | 'note' | 'failure';
export const MAINTENANCE_KINDS: readonly MaintenanceKind[] = ['part-replaced', 'inspection', 'repair', 'note', 'failure'];
/** Entries after which the asset starts a new life (RUL counts from the newest of them). */
export const LIFE_ENDING_KINDS: readonly MaintenanceKind[] = ['part-replaced', 'failure'];

export interface MaintenanceEntry {
  ts: number;
  kind: MaintenanceKind;
  /** The part concerned, e.g. "bearing A". */
  part?: string;
  note?: string;
  /** Who did it or logged it. */
  by?: string;
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
  /** How many signals are stale right now. */
  staleCount: number;
  /** Desired values per actuation point, when any were set. */
  desired?: Record<string, DesiredValue>;
  /** The latest maintenance log entry, when any. */
  lastMaintenance?: MaintenanceEntry;
  /** Window statistics per signal, when asked for. */
  statistics?: Record<string, SignalStatistics>;
  /** Health estimate written by the model node (`twin-model`), when known. */
  health?: DerivedValue;
  /** Remaining useful life written by the RUL node (`twin-rul`), when known. */
  rul?: DerivedValue;
  /** Model parameter estimates (e.g. bearing friction) written by `twin-model`, when known. */
  parameters?: DerivedValue;
}

/** What analytics nodes write back into the twin: a JSON object of their own shape, stamped when it was written. */
export type DerivedValue = Record<string, unknown> & { updatedAt: number };

export const DERIVED_KEYS = ['health', 'rul', 'parameters'] as const;
export type DerivedKey = (typeof DERIVED_KEYS)[number];

export interface SignalStatistics extends WindowStatistics {
  /** Exponentially weighted moving average of the usable readings, in time order. */
  ewma: number;
}

/** What an ingest did, for the node to turn into messages, events and status. */
export interface IngestOutcome {
  assetId: string;
  /** True when anything was stored (the version increased). */
  accepted: boolean;
  version: number;
  /** Signals whose latest value changed with this update. */
  changed: string[];
  /** Readings that were not stored, or stored as `bad`, with the reason. */
  rejected: RejectedSignal[];
  /** Signals that were stale and have a fresh reading again. */
  cameBack: string[];
  /** Desired values whose state changed because of a reported value. */
  desiredChanged: Array<{ point: string; state: DesiredState }>;
}

/** What a new definition did to the twin (`reconfigure`). */
export interface ReconfigureReport {
  /** History points dropped by a shorter history, and in how many signals (of all assets). */
  droppedPoints: number;
  shortenedSignals: number;
  /** Signals the twin holds that the definition no longer declares. */
  undeclared: string[];
  /** Latest values outside the new range (they were taken under the old one, and stay until a newer reading). */
  outsideRange: Array<{ assetId: string; signal: string; value: number }>;
  /** Assets whose id the new asset id pattern refuses: they take no more readings. */
  assetsNotMatching: string[];
}

/** A change of staleness found by `checkStaleness`. */
export interface StalenessChange {
  assetId: string;
  signal: string;
  /** Time of the last update of the signal (ms, store clock). */
  lastUpdate: number;
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
  ewma: number;
  /** Receive time of the last reading of any quality (store clock), for staleness. */
  receivedAt: number;
  stale: boolean;
  /** Source time of the first of the `bad` readings newer than the latest usable value; NaN while there are none. */
  badSince: number;
}

interface AssetState {
  assetId: string;
  version: number;
  ts: number;
  updatedAt: number;
  signals: Map<string, SignalState>;
  desired: Map<string, DesiredValue>;
  maintenance: MaintenanceEntry[];
  /** Changes with every change of `maintenance` (see `TwinStore.maintenanceRevision`). */
  maintenanceRevision: number;
  staleCount: number;
  derived: Partial<Record<DerivedKey, DerivedValue>>;
  audit: AuditRecord[];
}

/** Audit records kept per asset; the oldest go first (the audit output of the actuator is the lasting record). */
export const MAX_AUDIT_RECORDS = 1000;

/** Readings with a source timestamp further ahead of the store clock than this are refused. */
export const MAX_FUTURE_MS = 5 * 60 * 1000;

/** Default settle time: commands younger than this are not judged against reports (the device needs time). */
export const DEFAULT_SETTLE_MS = 2000;

/**
 * The live store of every asset of one class: latest value, source timestamp and quality per signal, a bounded,
 * time-ordered history with running statistics, desired values of actuation points, staleness and a maintenance log.
 * Pure: no I/O, time from the injected clock.
 *
 * Rules:
 * - The newest source timestamp wins: a late reading goes into history at its place but does not replace a newer
 *   latest value. A repeated reading (same timestamp, value and quality) changes nothing and does not bump the
 *   version, however late its copy arrives.
 * - A reading outside the declared range is stored in history as `bad`, with the reason, and never becomes the
 *   latest value; neither does a reading the source itself marked `bad`.
 * - A reading stamped more than five minutes ahead of the store clock is refused (a wrong clock at the source would
 *   otherwise freeze the latest value until that time).
 */
export class TwinStore {
  private spec: TwinDefinitionSpec;
  private definitions = new Map<string, SignalDefinition>();
  private points = new Map<string, ActuationPoint>();
  /** Reported signal name → actuation point, to judge desired values as reports arrive. */
  private pointsByReportedSignal = new Map<string, ActuationPoint>();
  private assetPattern: RegExp | undefined;
  private alpha = DEFAULT_EWMA_ALPHA;
  private readonly assets = new Map<string, AssetState>();
  /** Assets changed since the last `takeDirty()`, for persistence. */
  private dirty = new Set<string>();
  /** Reused buffers of `alignedHistory`, one pair per signal position. */
  private readonly alignScratch: Array<{ ts: Float64Array; values: Float64Array }> = [];
  /** History points `importAsset` could not keep since the last `reconfigure` (saved under a longer History). */
  private droppedOnImport = { points: 0, signals: 0 };
  /** What `usableWindow` answers, reused. */
  private readonly windowScratch: UsableWindow = { ts: new Float64Array(0), values: new Float64Array(0), count: 0 };

  constructor(
    spec: TwinDefinitionSpec,
    private readonly clock: Clock = systemClock,
    readonly settleMs = DEFAULT_SETTLE_MS,
  ) {
    this.spec = spec;
    this.applySpec(spec);
  }

  get definition(): TwinDefinitionSpec {
    return this.spec;
  }

  /**
   * Takes a changed definition (a redeploy) without losing what is stored: histories are resized keeping their
   * newest points, and signals that are no longer declared stay until the asset is reset (without *Also store
   * signals not listed*, they take no more readings).
   * @returns what the change did to the twin that its engineer must hear of: nothing of it is undone by changing the
   *   definition back
   */
  reconfigure(spec: TwinDefinitionSpec): ReconfigureReport {
    // Points that saved data held beyond the History (restored under a shorter one) count as dropped by the change.
    const report: ReconfigureReport = { droppedPoints: this.droppedOnImport.points, shortenedSignals: this.droppedOnImport.signals, undeclared: [], outsideRange: [], assetsNotMatching: [] };
    this.droppedOnImport = { points: 0, signals: 0 };
    const resize = spec.historyPoints !== this.spec.historyPoints;
    this.spec = spec;
    this.applySpec(spec);
    const undeclared = new Set<string>();
    for (const asset of this.assets.values()) {
      if (this.assetPattern && !this.assetPattern.test(asset.assetId)) report.assetsNotMatching.push(asset.assetId);
      for (const [name, signal] of asset.signals) {
        signal.definition = this.definitions.get(name);
        if (signal.definition === undefined) undeclared.add(name);
        const { min, max } = signal.definition ?? {};
        if (!Number.isNaN(signal.value) && ((min !== undefined && signal.value < min) || (max !== undefined && signal.value > max))) {
          report.outsideRange.push({ assetId: asset.assetId, signal: name, value: signal.value });
          // As a reading outside the range would have been: bad from its own time until a newer usable reading, so an
          // interlock or a prediction no longer trusts it. Snapshots asked for since the last version see the change.
          if (!(signal.badSince <= signal.ts)) {
            signal.badSince = signal.ts;
            asset.version++;
            signal.changedAtVersion = asset.version;
            this.dirty.add(asset.assetId);
          }
        }
        if (resize) {
          const before = signal.history.length;
          signal.history = copyHistory(signal.history, spec.historyPoints);
          if (signal.history.length < before) {
            report.droppedPoints += before - signal.history.length;
            report.shortenedSignals++;
          }
        }
      }
    }
    report.undeclared = [...undeclared];
    return report;
  }

  private applySpec(spec: TwinDefinitionSpec): void {
    this.definitions = new Map(spec.signals.map((s) => [s.name, s]));
    this.points = new Map((spec.actuationPoints ?? []).map((p) => [p.name, p]));
    this.pointsByReportedSignal = new Map((spec.actuationPoints ?? []).map((p) => [p.reportedSignal ?? p.name, p]));
    this.assetPattern = spec.assetIdPattern ? new RegExp(spec.assetIdPattern) : undefined;
    this.alpha = spec.ewmaAlpha ?? DEFAULT_EWMA_ALPHA;
  }

  /** Stores one telemetry message. Never throws for bad data: refusals are in the outcome. */
  ingest(telemetry: Telemetry): IngestOutcome {
    const { assetId, ts } = telemetry;
    const outcome: IngestOutcome = { assetId, accepted: false, version: 0, changed: [], rejected: [], cameBack: [], desiredChanged: [] };
    if (this.assetPattern && !this.assetPattern.test(assetId)) {
      outcome.rejected.push({ signal: '*', reason: `asset id "${assetId}" does not match /${this.spec.assetIdPattern}/` });
      return outcome;
    }
    const now = this.clock.now();
    if (ts > now + MAX_FUTURE_MS) {
      outcome.rejected.push({ signal: '*', reason: `timestamp ${ts} (${describeTime(ts)}) is more than 5 minutes in the future` });
      outcome.version = this.version(assetId);
      return outcome;
    }
    let asset = this.assets.get(assetId);
    const isNewAsset = asset === undefined;
    asset ??= newAsset(assetId);
    const nextVersion = asset.version + 1;
    let stored = false;

    for (const name in telemetry.signals) {
      const value = telemetry.signals[name]!;
      let signal = asset.signals.get(name);
      // Also a signal the asset has but the definition no longer declares (removed or renamed since): refused alike.
      if (signal === undefined || signal.definition === undefined) {
        const definition = this.definitions.get(name);
        if (definition === undefined && !this.spec.acceptUndeclaredSignals) {
          outcome.rejected.push({ signal: name, reason: `signal "${name}" is not declared in "${this.spec.name}"`, kind: 'undeclared' });
          continue;
        }
        if (signal === undefined) {
          signal = newSignal(definition, this.spec.historyPoints);
          asset.signals.set(name, signal);
        }
      }
      let quality: Quality = telemetry.quality?.[name] ?? 'good';
      // A reading the source marks bad may come without a value (validateTelemetry lets NaN through only then).
      const noValue = Number.isNaN(value);
      if (quality === 'bad') {
        outcome.rejected.push({ signal: name, reason: noValue ? 'marked bad by the source, without a value' : 'marked bad by the source', kind: 'stored-as-bad' });
      }
      const def = signal.definition;
      if (def !== undefined && quality !== 'bad') {
        if (def.min !== undefined && value < def.min) {
          quality = 'bad';
          outcome.rejected.push({ signal: name, reason: `${value} is below the minimum ${def.min}`, kind: 'stored-as-bad' });
        } else if (def.max !== undefined && value > def.max) {
          quality = 'bad';
          outcome.rejected.push({ signal: name, reason: `${value} is above the maximum ${def.max}`, kind: 'stored-as-bad' });
        }
      }
      // A reading the twin already holds changes nothing, also when its copy arrives after newer readings (a QoS 1
      // redelivery after a broker restart): the version counts readings, not deliveries.
      if (noValue) {
        // Nothing for the history (there is no reading to keep). The source is heard, so the signal is not stale;
        // what changes is that the sensor is bad from now on.
        signal.receivedAt = now;
        if (signal.stale) {
          signal.stale = false;
          asset.staleCount--;
          outcome.cameBack.push(name);
          stored = true;
        }
        if (markBad(signal, ts, nextVersion)) stored = true;
        continue;
      }
      const isRepeat = ts === signal.ts ? value === signal.value && quality === signal.quality : signal.history.holds(ts, value, quality);
      if (isRepeat) continue;
      if (!signal.history.add(ts, value, quality)) {
        outcome.rejected.push({ signal: name, reason: 'reading is older than the whole kept history' });
        continue;
      }
      if (this.spec.historyMaxAgeMs !== undefined) signal.history.dropOlderThan(signal.history.newestTs - this.spec.historyMaxAgeMs);
      stored = true;
      signal.receivedAt = now;
      if (signal.stale) {
        signal.stale = false;
        asset.staleCount--;
        outcome.cameBack.push(name);
      }
      if (quality === 'bad') {
        markBad(signal, ts, nextVersion);
      } else if (ts >= signal.ts) {
        const wasBad = signal.badSince <= ts;
        if (wasBad) signal.badSince = NaN;
        if (value !== signal.value || quality !== signal.quality || wasBad) {
          signal.changedAtVersion = nextVersion;
          outcome.changed.push(name);
        }
        signal.ewma = Number.isNaN(signal.ewma) ? value : signal.ewma + this.alpha * (value - signal.ewma);
        signal.value = value;
        signal.ts = ts;
        signal.quality = quality;
        const point = this.pointsByReportedSignal.get(name);
        if (point !== undefined) this.judgeDesired(asset, point, value, ts, outcome);
      }
    }
    if (stored) {
      if (isNewAsset) this.assets.set(assetId, asset);
      asset.version = nextVersion;
      if (ts > asset.ts) asset.ts = ts;
      asset.updatedAt = now;
      outcome.accepted = true;
      this.dirty.add(assetId);
    }
    outcome.version = asset.version;
    return outcome;
  }

  /** Compares a fresh reported value with the point's pending desired value. */
  private judgeDesired(asset: AssetState, point: ActuationPoint, reported: number, ts: number, outcome: IngestOutcome): void {
    const desired = asset.desired.get(point.name);
    if (desired === undefined) return;
    desired.reported = reported;
    desired.delta = desired.value - reported;
    if (desired.state !== 'pending') return;
    if (this.expireIfDue(desired)) {
      outcome.desiredChanged.push({ point: point.name, state: desired.state });
      return;
    }
    if (Math.abs(desired.delta) <= (point.tolerance ?? 0)) {
      desired.state = 'reached';
      outcome.desiredChanged.push({ point: point.name, state: 'reached' });
    } else if (ts > (desired.rampEndsAt ?? desired.ts) + (point.settleMs ?? this.settleMs)) {
      desired.state = 'overridden';
      outcome.desiredChanged.push({ point: point.name, state: 'overridden' });
    }
  }

  private expireIfDue(desired: DesiredValue): boolean {
    if (desired.state === 'pending' && desired.expiresAt !== undefined && this.clock.now() >= desired.expiresAt) {
      desired.state = 'expired';
      return true;
    }
    return false;
  }

  /**
   * Sets what an actuation point should become. Checked against the point's limits; the actuator applies its own
   * guards (rate, interlocks) before writing. `rampMs`: how long after now the actuator writes the last step of a ramp
   * to the value; the settle time and the time to live count from that step.
   */
  setDesired(assetId: string, pointName: string, value: unknown, options: { ttlMs?: number; source?: string; rampMs?: number } = {}): Parsed<DesiredValue> {
    const point = this.points.get(pointName);
    if (point === undefined) return { ok: false, reason: `"${pointName}" is not an actuation point of "${this.spec.name}"` };
    if (typeof value !== 'number' || !Number.isFinite(value)) return { ok: false, reason: `desired ${pointName} must be a finite number` };
    if (point.min !== undefined && value < point.min) return { ok: false, reason: `desired ${pointName} ${value} is below the minimum ${point.min}` };
    if (point.max !== undefined && value > point.max) return { ok: false, reason: `desired ${pointName} ${value} is above the maximum ${point.max}` };
    if (options.ttlMs !== undefined && !(options.ttlMs > 0)) return { ok: false, reason: 'time to live must be a positive number of ms' };
    if (options.rampMs !== undefined && !(options.rampMs >= 0 && Number.isFinite(options.rampMs))) return { ok: false, reason: 'ramp time must be a finite number of ms, 0 or more' };
    if (this.assetPattern && !this.assetPattern.test(assetId)) return { ok: false, reason: `asset id "${assetId}" does not match /${this.spec.assetIdPattern}/` };
    let asset = this.assets.get(assetId);
    if (asset === undefined) {
      asset = newAsset(assetId);
      this.assets.set(assetId, asset);
    }
    const now = this.clock.now();
    const desired: DesiredValue = { value, ts: now, state: 'pending' };
    if (options.rampMs) desired.rampEndsAt = now + options.rampMs;
    if (options.ttlMs !== undefined) desired.expiresAt = (desired.rampEndsAt ?? now) + options.ttlMs;
    if (options.source) desired.source = options.source;
    const reported = asset.signals.get(point.reportedSignal ?? point.name);
    if (reported !== undefined && !Number.isNaN(reported.value)) {
      desired.reported = reported.value;
      desired.delta = value - reported.value;
      if (Math.abs(desired.delta) <= (point.tolerance ?? 0)) desired.state = 'reached';
    }
    asset.desired.set(pointName, desired);
    asset.version++;
    asset.updatedAt = now;
    this.dirty.add(assetId);
    return { ok: true, value: { ...desired } };
  }

  /**
   * Takes a desired value back that was never sent (the broker was down): the twin must not wait for it, nor later
   * call the machine's own value an override of it. `previous`, the desired value it replaced, comes back (a setpoint
   * reached before stays the drive's setpoint). @returns whether there was one
   */
  withdrawDesired(assetId: string, pointName: string, previous?: DesiredValue): boolean {
    const asset = this.assets.get(assetId);
    if (asset === undefined || !asset.desired.has(pointName)) return false;
    if (previous === undefined) asset.desired.delete(pointName);
    else asset.desired.set(pointName, { ...previous });
    asset.version++;
    asset.updatedAt = this.clock.now();
    this.dirty.add(assetId);
    return true;
  }

  /** The desired value of a point with its state brought up to date (expiry), or undefined. */
  desired(assetId: string, pointName: string): DesiredValue | undefined {
    const desired = this.assets.get(assetId)?.desired.get(pointName);
    if (desired === undefined) return undefined;
    this.expireIfDue(desired);
    return { ...desired };
  }

  /**
   * Writes what an analytics node derived (health, RUL, parameter estimates) into the twin, so every reader of the
   * twin sees it. Derived values do not bump the version: they follow from readings that already did.
   */
  setDerived(assetId: string, key: DerivedKey, value: Record<string, unknown>): Parsed<DerivedValue> {
    const written = this.writeDerived(assetId, key, value);
    return written.ok ? { ok: true, value: cloneJson(written.value) } : written;
  }

  /**
   * `setDerived` without handing back a copy of what was stored, for a writer that does not read it (twin-model's
   * health and parameters, on every update). @returns the stored value itself: read it, never change it
   */
  writeDerived(assetId: string, key: DerivedKey, value: Record<string, unknown>): Parsed<Readonly<DerivedValue>> {
    if (!(DERIVED_KEYS as readonly string[]).includes(key)) return { ok: false, reason: `"${String(key)}" is not one of ${DERIVED_KEYS.join(', ')}` };
    const asset = this.assets.get(assetId);
    if (asset === undefined) return { ok: false, reason: `unknown asset "${assetId}"` };
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return { ok: false, reason: `${key} must be an object` };
    let copy: DerivedValue;
    try {
      copy = { ...(jsonRoundTrip(value) as Record<string, unknown>), updatedAt: this.clock.now() };
    } catch {
      return { ok: false, reason: `${key} cannot be stored as JSON` };
    }
    asset.derived[key] = copy;
    this.dirty.add(assetId);
    return { ok: true, value: copy };
  }

  /** Appends a command's audit record to the asset's trail (append-only; the oldest beyond 1,000 are dropped). */
  appendAudit(record: AuditRecord): void {
    let asset = this.assets.get(record.assetId);
    if (asset === undefined) {
      asset = newAsset(record.assetId);
      this.assets.set(record.assetId, asset);
    }
    asset.audit.push(structuredClone(record));
    if (asset.audit.length > MAX_AUDIT_RECORDS) asset.audit.splice(0, asset.audit.length - MAX_AUDIT_RECORDS);
    this.dirty.add(record.assetId);
  }

  /** The asset's audit trail, oldest first. */
  auditTrail(assetId: string): AuditRecord[] {
    return structuredClone(this.assets.get(assetId)?.audit ?? []);
  }

  /** A derived value of an asset, or undefined. */
  derived(assetId: string, key: DerivedKey): DerivedValue | undefined {
    const value = this.assets.get(assetId)?.derived[key];
    return value === undefined ? undefined : cloneJson(value);
  }

  /** Appends to an asset's maintenance log (the RUL predictor restarts from the last part replacement). */
  logMaintenance(assetId: string, entry: { kind?: unknown; part?: unknown; note?: unknown; by?: unknown; ts?: unknown }): Parsed<MaintenanceEntry> {
    const kind = entry.kind ?? 'note';
    if (typeof kind !== 'string' || !(MAINTENANCE_KINDS as readonly string[]).includes(kind)) {
      return { ok: false, reason: `maintenance kind must be one of ${MAINTENANCE_KINDS.join(', ')}` };
    }
    const ts = entry.ts === undefined ? this.clock.now() : entry.ts;
    if (typeof ts !== 'number' || !Number.isFinite(ts)) return { ok: false, reason: 'maintenance time must be ms since the epoch' };
    const logged: MaintenanceEntry = { ts, kind: kind as MaintenanceKind };
    for (const key of ['part', 'note', 'by'] as const) {
      const text = entry[key];
      if (text === undefined) continue;
      if (typeof text !== 'string' || text.length > 1000) return { ok: false, reason: `maintenance ${key} must be text of at most 1000 characters` };
      logged[key] = text;
    }
    if (this.assetPattern && !this.assetPattern.test(assetId)) return { ok: false, reason: `asset id "${assetId}" does not match /${this.spec.assetIdPattern}/` };
    let asset = this.assets.get(assetId);
    if (asset === undefined) {
      asset = newAsset(assetId);
      this.assets.set(assetId, asset);
    }
    // Kept in time order: entries may be logged after the fact.
    const at = asset.maintenance.findIndex((m) => m.ts > ts);
    if (at < 0) asset.maintenance.push(logged);
    else asset.maintenance.splice(at, 0, logged);
    asset.maintenanceRevision = newRevision();
    asset.version++;
    asset.updatedAt = this.clock.now();
    this.dirty.add(assetId);
    return { ok: true, value: { ...logged } };
  }

  maintenanceLog(assetId: string): MaintenanceEntry[] {
    return (this.assets.get(assetId)?.maintenance ?? []).map((m) => ({ ...m }));
  }

  /**
   * The asset's latest maintenance entry of one of `kinds` (a copy), or undefined: without copying the whole log,
   * for readers that ask on every message (twin-rul, for the start of the current life).
   */
  lastMaintenanceOf(assetId: string, kinds: readonly MaintenanceKind[]): MaintenanceEntry | undefined {
    const log = this.assets.get(assetId)?.maintenance ?? [];
    for (let i = log.length - 1; i >= 0; i--) if (kinds.includes(log[i]!.kind)) return { ...log[i]! };
    return undefined;
  }

  /**
   * A number that changes whenever the asset's maintenance log changes (an entry logged, entries restored), and is
   * never given to another state of any log: equal numbers mean an unchanged log. 0 for an unknown asset.
   */
  maintenanceRevision(assetId: string): number {
    return this.assets.get(assetId)?.maintenanceRevision ?? 0;
  }

  /**
   * Marks signals stale whose last update is older than their staleness timeout.
   * @returns the signals that became stale with this check (each reported once, until it comes back)
   */
  checkStaleness(): StalenessChange[] {
    const now = this.clock.now();
    const changes: StalenessChange[] = [];
    for (const asset of this.assets.values()) {
      for (const [name, signal] of asset.signals) {
        const timeout = signal.definition?.staleAfterMs;
        if (timeout === undefined || signal.stale || signal.receivedAt === 0) continue;
        if (now - signal.receivedAt > timeout) {
          signal.stale = true;
          asset.staleCount++;
          changes.push({ assetId: asset.assetId, signal: name, lastUpdate: signal.receivedAt });
        }
      }
    }
    return changes;
  }

  /** Stale signals over all assets. */
  get staleCount(): number {
    let count = 0;
    for (const asset of this.assets.values()) count += asset.staleCount;
    return count;
  }

  /** True when the twin takes readings of this signal: it is declared, or the definition stores undeclared ones too. */
  takesSignal(signal: string): boolean {
    return this.spec.acceptUndeclaredSignals || this.definitions.has(signal);
  }

  has(assetId: string): boolean {
    return this.assets.has(assetId);
  }

  assetIds(): string[] {
    return [...this.assets.keys()];
  }

  /** The names among `names` the asset holds no history of (all of them for an unknown asset). */
  signalsWithoutHistory(assetId: string, names: readonly string[]): string[] {
    const signals = this.assets.get(assetId)?.signals;
    return names.filter((name) => signals?.get(name) === undefined);
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
  snapshot(assetId: string, options: { sinceVersion?: number; statistics?: boolean } = {}): AssetSnapshot | undefined {
    const asset = this.assets.get(assetId);
    if (asset === undefined) return undefined;
    const sinceVersion = options.sinceVersion ?? 0;
    const signals: Record<string, SignalSnapshot> = {};
    for (const [name, signal] of asset.signals) {
      if (Number.isNaN(signal.value) || signal.changedAtVersion <= sinceVersion) continue;
      const entry: SignalSnapshot = { value: signal.value, ts: signal.ts, quality: signal.quality };
      if (signal.definition?.unit !== undefined) entry.unit = signal.definition.unit;
      if (signal.stale) entry.stale = true;
      if (!Number.isNaN(signal.badSince)) entry.badSince = signal.badSince;
      signals[name] = entry;
    }
    const snapshot: AssetSnapshot = {
      assetId,
      assetClass: this.spec.name,
      version: asset.version,
      ts: asset.ts,
      updatedAt: asset.updatedAt,
      signals,
      staleCount: asset.staleCount,
    };
    if (asset.desired.size > 0) {
      snapshot.desired = {};
      for (const [point, desired] of asset.desired) {
        this.expireIfDue(desired);
        snapshot.desired[point] = { ...desired };
      }
    }
    const last = asset.maintenance[asset.maintenance.length - 1];
    if (last !== undefined) snapshot.lastMaintenance = { ...last };
    for (const key of DERIVED_KEYS) {
      const value = asset.derived[key];
      // A copy each, so a flow that changes its snapshot never changes the twin (cloneJson: see why there).
      if (value !== undefined) snapshot[key] = cloneJson(value);
    }
    if (options.statistics) {
      snapshot.statistics = {};
      for (const [name, signal] of asset.signals) snapshot.statistics[name] = { ...signal.history.statistics(), ewma: signal.ewma };
    }
    return snapshot;
  }

  /** Window statistics of one signal, or undefined for unknown assets or signals. */
  statistics(assetId: string, signal: string): SignalStatistics | undefined {
    const state = this.assets.get(assetId)?.signals.get(signal);
    return state ? { ...state.history.statistics(), ewma: state.ewma } : undefined;
  }

  /**
   * History of one signal, oldest first (empty for unknown assets or signals). With `maxPoints`, a longer window is
   * thinned for charts by `decimateSeries` (M4: first, last, min and max per time bucket).
   */
  history(assetId: string, signal: string, from?: number, to?: number, maxPoints?: number): HistorySeries {
    const state = this.assets.get(assetId)?.signals.get(signal);
    const series = state ? state.history.series(from, to) : { ts: [], values: [], quality: [] };
    return maxPoints === undefined ? series : decimateSeries(series, maxPoints);
  }

  /**
   * The usable history of several signals as aligned columns: one row per timestamp at which every named signal has
   * a usable (not `bad`) reading, oldest first; with `after`, only readings stamped later than it, with `until`, none
   * stamped later than that.
   * @returns a column per name (the same values for a name given twice); empty columns for unknown assets or signals
   */
  alignedHistory(assetId: string, names: readonly string[], after?: number, until?: number): Record<string, number[]> {
    const { columns: view } = this.alignedHistoryView(assetId, names, after, until);
    const columns: Record<string, number[]> = {};
    for (const name of names) {
      const source = view[name]!;
      const column = new Array<number>(source.length);
      for (let i = 0; i < source.length; i++) column[i] = source[i]!;
      columns[name] = column;
    }
    return columns;
  }

  /**
   * `alignedHistory` without copies, with the rows' timestamps, for the RUL estimate on every snapshot: the arrays are
   * views of buffers the store reuses, valid only until its next `alignedHistoryView` call — read them at once, keep
   * none. Each signal's usable points are copied out of its ring buffer in one tight loop, then the rows are found by
   * walking the copies together (a merge join: histories are in time order with at most one point per timestamp),
   * and each copy is compacted in place to the rows found.
   */
  alignedHistoryView(assetId: string, names: readonly string[], after?: number, until = Infinity): { columns: Record<string, Float64Array>; ts: Float64Array } {
    const signals = this.assets.get(assetId)?.signals;
    const histories = names.map((name) => signals?.get(name)?.history);
    const columns: Record<string, Float64Array> = {};
    if (histories.length === 0 || !histories.every((h) => h !== undefined)) {
      for (const name of names) columns[name] = new Float64Array(0);
      return { columns, ts: new Float64Array(0) };
    }
    const m = histories.length;
    const ts: Float64Array[] = [];
    const values: Float64Array[] = [];
    const counts = new Int32Array(m);
    for (let j = 0; j < m; j++) {
      const history = histories[j] as SignalHistory;
      let scratch = this.alignScratch[j];
      if (scratch === undefined || scratch.ts.length < history.length) {
        scratch = { ts: new Float64Array(history.capacity), values: new Float64Array(history.capacity) };
        this.alignScratch[j] = scratch;
      }
      ts.push(scratch.ts);
      values.push(scratch.values);
      counts[j] = history.copyUsableFrom(after ?? -Infinity, until, scratch.ts, scratch.values, after === undefined);
    }
    // Usually every reading carries every signal: then the copies are the columns as they are.
    const rows = sameTimes(ts, counts) ? counts[0]! : joinInPlace(ts, values, counts);
    // A name given twice has a buffer per position, both with the same values.
    names.forEach((name, j) => {
      columns[name] = values[j]!.subarray(0, rows);
    });
    return { columns, ts: ts[0]!.subarray(0, rows) };
  }

  /**
   * The revision of one signal's history (0 for unknown assets or signals): it changes with every change of the points
   * held and never comes back, so an estimate computed from a history still holds while its revision is the same.
   */
  historyRevision(assetId: string, signal: string): number {
    return this.assets.get(assetId)?.signals.get(signal)?.history.revision ?? 0;
  }

  /**
   * The usable (not `bad`) points of one signal with `from <= ts <= to` (`from < ts` when `fromIncluded` is false:
   * the points after one already read), oldest first: the first `count` entries of `ts` and `values`, buffers the
   * store reuses (the arrays may be longer than `count`). Valid only until the next `usableWindow` call: twin-model's
   * condition indicators read it on every update and keep nothing, so it is one object and two buffers for the whole
   * store, not three new objects per signal and update.
   * Empty (count 0) for unknown assets or signals.
   */
  usableWindow(assetId: string, signal: string, from: number, to: number, fromIncluded = true): UsableWindow {
    const window = this.windowScratch;
    const history = this.assets.get(assetId)?.signals.get(signal)?.history;
    if (history === undefined) {
      window.count = 0;
      return window;
    }
    if (window.ts.length < history.length) {
      window.ts = new Float64Array(history.capacity);
      window.values = new Float64Array(history.capacity);
    }
    window.count = history.copyUsableFrom(from, to, window.ts, window.values, fromIncluded);
    return window;
  }

  /**
   * The layout revision of one signal's history (see `SignalHistory.layout`; 0 for unknown assets or signals): while
   * it stays the same, the history only gained newer points and lost its oldest, so a sliding window over it needs
   * only the newest points (twin-model's condition indicators).
   */
  historyLayout(assetId: string, signal: string): number {
    return this.assets.get(assetId)?.signals.get(signal)?.history.layout ?? 0;
  }

  /**
   * Time of the newest point one signal's history had to let go of (its length or age limit; -Infinity: none): a
   * window reaching back past it is shorter than asked (twin-model warns of it).
   */
  historyDroppedUpTo(assetId: string, signal: string): number {
    return this.assets.get(assetId)?.signals.get(signal)?.history.droppedUpTo ?? -Infinity;
  }

  /** Time of the oldest point one signal's history holds; +Infinity when it holds none. */
  oldestHistoryTs(assetId: string, signal: string): number {
    return this.assets.get(assetId)?.signals.get(signal)?.history.oldestTs ?? Infinity;
  }

  /** Forgets one asset, or every asset when no id is given. */
  reset(assetId?: string): void {
    if (assetId === undefined) {
      for (const id of this.assets.keys()) this.dirty.add(id);
      this.assets.clear();
    } else {
      this.assets.delete(assetId);
      this.dirty.add(assetId);
    }
  }

  /** Asset ids changed (or removed) since the last call: what persistence must write. */
  takeDirty(): string[] {
    const ids = [...this.dirty];
    this.dirty.clear();
    return ids;
  }

  /** A JSON-safe copy of one asset for persistence (histories as base64 typed arrays), or undefined if unknown. */
  exportAsset(assetId: string): PersistedAsset | undefined {
    const asset = this.assets.get(assetId);
    if (asset === undefined) return undefined;
    const signals: PersistedAsset['signals'] = {};
    for (const [name, signal] of asset.signals) {
      const series = signal.history.series();
      signals[name] = {
        value: Number.isNaN(signal.value) ? null : signal.value,
        ts: Number.isFinite(signal.ts) ? signal.ts : null,
        quality: signal.quality,
        ewma: Number.isNaN(signal.ewma) ? null : signal.ewma,
        changedAtVersion: signal.changedAtVersion,
        ...(Number.isNaN(signal.badSince) ? {} : { badSince: signal.badSince }),
        history: {
          ts: encode(new Float64Array(series.ts)),
          values: encode(new Float32Array(series.values)),
          quality: encode(Uint8Array.from(series.quality, (q) => (q === 'good' ? 0 : q === 'uncertain' ? 1 : 2))),
        },
      };
    }
    return {
      format: PERSISTED_FORMAT,
      assetId,
      version: asset.version,
      ts: Number.isFinite(asset.ts) ? asset.ts : null,
      updatedAt: asset.updatedAt,
      signals,
      desired: Object.fromEntries([...asset.desired].map(([k, v]) => [k, { ...v }])),
      maintenance: asset.maintenance.map((m) => ({ ...m })),
      derived: structuredClone(asset.derived),
      audit: structuredClone(asset.audit),
    };
  }

  /**
   * Restores a persisted asset, merging with anything that arrived live meanwhile: histories are merged point by
   * point, the newest latest value wins, the higher version wins, maintenance entries are united.
   */
  importAsset(data: unknown): Parsed<string> {
    const checked = checkPersistedAsset(data);
    if (!checked.ok) return checked;
    const saved = checked.value;
    let asset = this.assets.get(saved.assetId);
    if (asset === undefined) {
      asset = newAsset(saved.assetId);
      this.assets.set(saved.assetId, asset);
    }
    for (const [name, s] of Object.entries(saved.signals)) {
      let signal = asset.signals.get(name);
      if (signal === undefined) {
        signal = newSignal(this.definitions.get(name), this.spec.historyPoints);
        asset.signals.set(name, signal);
      }
      const ts = decodeFloat64(s.history.ts);
      const values = decodeFloat32(s.history.values);
      const qualities = decodeUint8(s.history.quality);
      for (let i = 0; i < ts.length; i++) signal.history.add(ts[i]!, values[i]!, QUALITY_BY_CODE[qualities[i]!] ?? 'bad');
      // Saved under a longer History: what does not fit now is dropped, and `reconfigure` reports it.
      if (ts.length > this.spec.historyPoints) {
        this.droppedOnImport.points += ts.length - this.spec.historyPoints;
        this.droppedOnImport.signals++;
      }
      const liveBadSince = signal.badSince;
      if (s.value !== null && s.ts !== null && s.ts >= signal.ts) {
        signal.value = s.value;
        signal.ts = s.ts;
        signal.quality = s.quality;
        signal.changedAtVersion = s.changedAtVersion;
        if (s.ewma !== null) signal.ewma = s.ewma;
        // From the value's own time on: the value itself is outside the range (a range narrowed under it).
        signal.badSince = typeof s.badSince === 'number' && Number.isFinite(s.badSince) && s.badSince >= s.ts ? s.badSince : NaN;
      }
      // A bad spell that began live, before the restore finished, still holds when it is newer than the value kept.
      if (liveBadSince > signal.ts && !(signal.badSince <= liveBadSince)) signal.badSince = liveBadSince;
      // Restored signals count as fresh: staleness restarts from now, not from before the restart.
      signal.receivedAt = this.clock.now();
    }
    asset.version = Math.max(asset.version, saved.version);
    if (saved.ts !== null && saved.ts > asset.ts) asset.ts = saved.ts;
    asset.updatedAt = Math.max(asset.updatedAt, saved.updatedAt);
    for (const [point, desired] of Object.entries(saved.desired)) {
      const live = asset.desired.get(point);
      if (live === undefined || live.ts < desired.ts) asset.desired.set(point, { ...desired });
    }
    for (const key of DERIVED_KEYS) {
      const value = saved.derived?.[key];
      const live = asset.derived[key];
      if (value !== undefined && (live === undefined || live.updatedAt < value.updatedAt)) asset.derived[key] = structuredClone(value);
    }
    if (Array.isArray(saved.audit) && asset.audit.length === 0) asset.audit = structuredClone(saved.audit);
    const known = new Set(asset.maintenance.map((m) => JSON.stringify(m)));
    for (const entry of saved.maintenance) if (!known.has(JSON.stringify(entry))) asset.maintenance.push({ ...entry });
    asset.maintenance.sort((a, b) => a.ts - b.ts);
    asset.maintenanceRevision = newRevision();
    return { ok: true, value: saved.assetId };
  }
}

export const PERSISTED_FORMAT = 'twinflow-asset-1';

export interface PersistedAsset {
  format: typeof PERSISTED_FORMAT;
  assetId: string;
  version: number;
  ts: number | null;
  updatedAt: number;
  signals: Record<
    string,
    {
      value: number | null;
      ts: number | null;
      quality: Quality;
      ewma: number | null;
      changedAtVersion: number;
      /** Absent while the signal's newest readings are usable, and in data saved before it existed. */
      badSince?: number;
      history: { ts: string; values: string; quality: string };
    }
  >;
  desired: Record<string, DesiredValue>;
  maintenance: MaintenanceEntry[];
  /** Absent in data saved before derived values existed. */
  derived?: Partial<Record<DerivedKey, DerivedValue>>;
  /** Absent in data saved before the audit trail existed. */
  audit?: AuditRecord[];
}

const QUALITY_BY_CODE: readonly Quality[] = ['good', 'uncertain', 'bad'];

/** An ISO time for messages, or a note when the number is no valid time at all (the store also takes raw input). */
function describeTime(ms: number): string {
  const date = new Date(ms);
  return Number.isNaN(date.getTime()) ? 'not a valid time' : date.toISOString();
}

/**
 * A bad reading newer than the value shown: the sensor says something unusable now, and the snapshot must say so from
 * the first such reading on. @returns whether the signal changed
 */
function markBad(signal: SignalState, ts: number, version: number): boolean {
  if (!(ts > signal.ts) || signal.badSince <= ts) return false;
  signal.badSince = ts;
  signal.changedAtVersion = version;
  return true;
}

function newAsset(assetId: string): AssetState {
  return { assetId, version: 0, ts: -Infinity, updatedAt: 0, signals: new Map(), desired: new Map(), maintenance: [], maintenanceRevision: newRevision(), staleCount: 0, derived: {}, audit: [] };
}

function newSignal(definition: SignalDefinition | undefined, historyPoints: number): SignalState {
  return {
    definition,
    history: new SignalHistory(historyPoints),
    value: NaN,
    ts: -Infinity,
    quality: 'bad',
    changedAtVersion: 0,
    ewma: NaN,
    receivedAt: 0,
    stale: false,
    badSince: NaN,
  };
}

function copyHistory(from: SignalHistory, capacity: number): SignalHistory {
  const to = new SignalHistory(capacity);
  for (let i = Math.max(0, from.length - capacity); i < from.length; i++) {
    const p = from.at(i)!;
    to.add(p.ts, p.value, p.quality);
  }
  return to;
}

function encode(array: Float64Array | Float32Array | Uint8Array): string {
  return Buffer.from(array.buffer, array.byteOffset, array.byteLength).toString('base64');
}

function decodeBytes(text: string, bytesPerItem: number): Buffer {
  const bytes = Buffer.from(text, 'base64');
  if (bytes.byteLength % bytesPerItem !== 0) throw new Error('history data has a broken length');
  // Copy into a fresh, aligned buffer: typed arrays need their offset to be a multiple of the item size.
  return Buffer.from(bytes);
}

function decodeFloat64(text: string): Float64Array {
  const b = decodeBytes(text, 8);
  return new Float64Array(b.buffer, b.byteOffset, b.byteLength / 8).slice();
}

function decodeFloat32(text: string): Float32Array {
  const b = decodeBytes(text, 4);
  return new Float32Array(b.buffer, b.byteOffset, b.byteLength / 4).slice();
}

function decodeUint8(text: string): Uint8Array {
  return Uint8Array.from(Buffer.from(text, 'base64'));
}

/** Checks a persisted asset read back from a context store: anything malformed is refused with a reason. */
function checkPersistedAsset(data: unknown): Parsed<PersistedAsset> {
  const fail = (reason: string): Parsed<PersistedAsset> => ({ ok: false, reason: `saved twin data: ${reason}` });
  if (typeof data !== 'object' || data === null) return fail('not an object');
  const d = data as Record<string, unknown>;
  if (d.format !== PERSISTED_FORMAT) return fail(`unknown format ${JSON.stringify(d.format)}`);
  if (typeof d.assetId !== 'string' || d.assetId === '') return fail('no asset id');
  if (typeof d.version !== 'number' || typeof d.updatedAt !== 'number') return fail(`asset ${d.assetId}: no version`);
  if (typeof d.signals !== 'object' || d.signals === null) return fail(`asset ${d.assetId}: no signals`);
  for (const [name, raw] of Object.entries(d.signals as Record<string, unknown>)) {
    const s = raw as Record<string, unknown> | null;
    const h = s?.history as Record<string, unknown> | undefined;
    if (!s || !h || typeof h.ts !== 'string' || typeof h.values !== 'string' || typeof h.quality !== 'string') {
      return fail(`asset ${d.assetId}, signal ${name}: history missing`);
    }
    try {
      const n = decodeBytes(h.ts, 8).byteLength / 8;
      if (decodeBytes(h.values, 4).byteLength / 4 !== n || Buffer.from(h.quality, 'base64').byteLength !== n) {
        return fail(`asset ${d.assetId}, signal ${name}: history arrays differ in length`);
      }
    } catch (err) {
      return fail(`asset ${d.assetId}, signal ${name}: ${errorMessage(err)}`);
    }
    if (!QUALITY_BY_CODE.includes(s.quality as Quality)) return fail(`asset ${d.assetId}, signal ${name}: bad quality`);
  }
  if (typeof d.desired !== 'object' || d.desired === null) return fail(`asset ${d.assetId}: no desired values`);
  if (!Array.isArray(d.maintenance)) return fail(`asset ${d.assetId}: no maintenance log`);
  return { ok: true, value: data as PersistedAsset };
}

/** True when every signal's copied history has the same timestamps as the first's (then no join is needed). */
function sameTimes(ts: readonly Float64Array[], counts: Int32Array): boolean {
  const first = ts[0]!;
  const n0 = counts[0]!;
  for (let j = 1; j < ts.length; j++) {
    if (counts[j] !== n0) return false;
    const other = ts[j]!;
    for (let i = 0; i < n0; i++) if (other[i] !== first[i]) return false;
  }
  return true;
}

/**
 * Keeps the rows whose timestamp every signal has (a merge join of time-ordered copies), moving each signal's kept
 * values, and the first signal's timestamps, to the front of their copies. Row r is point i ≥ r of the first signal and point k ≥ r of every other, so moving
 * in row order never overwrites a point not yet read. @returns the number of rows
 */
function joinInPlace(ts: readonly Float64Array[], values: readonly Float64Array[], counts: Int32Array): number {
  const m = ts.length;
  const first = ts[0]!;
  const n0 = counts[0]!;
  const cursors = new Int32Array(m);
  let rows = 0;
  next: for (let i = 0; i < n0; i++) {
    const t = first[i]!;
    for (let j = 1; j < m; j++) {
      const other = ts[j]!;
      const n = counts[j]!;
      let k = cursors[j]!;
      while (k < n && other[k]! < t) k++;
      cursors[j] = k;
      if (k === n || other[k] !== t) continue next;
    }
    for (let j = 0; j < m; j++) values[j]![rows] = values[j]![j === 0 ? i : cursors[j]!]!;
    first[rows] = t;
    rows++;
  }
  return rows;
}
