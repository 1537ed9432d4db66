/**
 * Fault injection for simulated assets: what goes wrong with real sensors (drift, spikes, a stuck value, lost
 * readings, extra noise) and, for the pump, a bearing whose friction grows faster than normal wear.
 * Pure and deterministic: random draws come from a seeded source, time is the simulation's elapsed seconds.
 */
import { SeededRandom } from './random.js';
import type { Parsed, Telemetry } from './telemetry.js';

export type FaultKind = 'drift' | 'spike' | 'stuck' | 'dropout' | 'noise' | 'friction';

export const FAULT_KINDS: readonly FaultKind[] = ['drift', 'spike', 'stuck', 'dropout', 'noise', 'friction'];

/**
 * One fault. `assetId` and `signal` narrow it; absent means every asset / every signal.
 * - drift: `rate`, signal units added per hour of simulated time since the fault started (may be negative)
 * - spike: with `probability` (0–1) per reading, add or subtract `magnitude` (signal units)
 * - stuck: the reading freezes at the value it had when the fault started
 * - dropout: with `probability` (0–1) per reading, the reading is left out of the message
 * - noise: extra Gaussian noise with a standard deviation of `level` % of the reading
 * - friction: bearing friction grows by `rate` % of its initial value per simulated hour, on top of normal wear
 *   (a physical fault of the pump, not of a sensor: it acts through the physics, so `signal` does not apply)
 */
export interface FaultSpec {
  fault: FaultKind;
  assetId?: string;
  signal?: string;
  rate?: number;
  probability?: number;
  magnitude?: number;
  level?: number;
}

/** A fault as it runs: the spec plus when it started (simulated seconds). */
export interface ActiveFault extends FaultSpec {
  startedAt: number;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Editor fields arrive as strings; messages as numbers. Empty means "not given". */
function numberField(raw: unknown): number | undefined | 'invalid' {
  if (raw === undefined || raw === null || raw === '') return undefined;
  const value = typeof raw === 'string' ? Number(raw) : raw;
  return typeof value === 'number' && Number.isFinite(value) ? value : 'invalid';
}

function textField(raw: unknown): string | undefined {
  return typeof raw === 'string' && raw.trim() !== '' ? raw.trim() : undefined;
}

/** Which numeric parameters each fault needs, with their allowed range. */
const PARAMETERS: Record<FaultKind, Array<{ name: 'rate' | 'probability' | 'magnitude' | 'level'; min?: number; max?: number; what: string }>> = {
  drift: [{ name: 'rate', what: 'units per hour' }],
  spike: [
    { name: 'probability', min: 0, max: 1, what: 'chance per reading, 0 to 1' },
    { name: 'magnitude', min: 0, what: 'signal units' },
  ],
  stuck: [],
  dropout: [{ name: 'probability', min: 0, max: 1, what: 'chance per reading, 0 to 1' }],
  noise: [{ name: 'level', min: 0, what: '% of the reading' }],
  friction: [{ name: 'rate', min: 0, what: '% of the initial friction per hour' }],
};

/**
 * Reads a fault as a message or the editor gives it, e.g. `{ fault: "drift", signal: "bearingTemp", rate: 2 }`.
 * Every problem is named, so the flow author can fix the message in one go.
 */
export function parseFault(raw: unknown): Parsed<FaultSpec> {
  if (!isRecord(raw)) return { ok: false, reason: 'a fault must be an object like { fault: "drift", signal: "bearingTemp", rate: 2 }' };
  const kind = raw.fault;
  if (typeof kind !== 'string' || !(FAULT_KINDS as readonly string[]).includes(kind)) {
    return { ok: false, reason: `fault must be one of ${FAULT_KINDS.join(', ')} (or clear), got ${JSON.stringify(kind)}` };
  }
  const spec: FaultSpec = { fault: kind as FaultKind };
  const assetId = textField(raw.assetId);
  const signal = textField(raw.signal);
  if (assetId !== undefined) spec.assetId = assetId;
  if (signal !== undefined) {
    if (spec.fault === 'friction') return { ok: false, reason: 'a friction fault acts on the bearing, not on one signal: leave signal empty' };
    spec.signal = signal;
  }
  const problems: string[] = [];
  for (const p of PARAMETERS[spec.fault]) {
    const value = numberField(raw[p.name]);
    if (value === undefined || value === 'invalid') {
      problems.push(`${p.name} (${p.what}) must be a number, got ${JSON.stringify(raw[p.name])}`);
    } else if ((p.min !== undefined && value < p.min) || (p.max !== undefined && value > p.max)) {
      problems.push(`${p.name} (${p.what}) must be ${p.max === undefined ? `at least ${p.min}` : `from ${p.min} to ${p.max}`}, got ${value}`);
    } else {
      spec[p.name] = value;
    }
  }
  if (problems.length > 0) return { ok: false, reason: `${spec.fault} fault: ${problems.join('; ')}` };
  return { ok: true, value: spec };
}

export interface FaultInjectorOptions {
  seed: number;
  /** Signals faults never touch, e.g. the replay's `cycle` counter (the replay's clock, not a sensor). */
  exempt?: readonly string[];
}

/** Values changed by a fault are rounded to this many decimals, finer than any field transmitter. */
const DECIMALS = 1e6;

/**
 * Applies the active faults to telemetry. One fault per kind, asset and signal: adding it again replaces it
 * (a new rate, say), and the replaced one's stuck value or drift start is forgotten.
 *
 * Order per reading: drift, noise, spike, stuck, dropout — a stuck sensor shows what it showed when it stuck,
 * drift included; a dropped reading is gone whatever else happened to it.
 */
export class FaultInjector {
  private readonly random: SeededRandom;
  private readonly exempt: Set<string>;
  private faults: ActiveFault[] = [];
  /** Frozen values of stuck faults, per fault and `assetId␟signal`. */
  private frozen = new Map<ActiveFault, Map<string, number>>();

  constructor(options: FaultInjectorOptions) {
    this.random = new SeededRandom(options.seed);
    this.exempt = new Set(options.exempt ?? []);
  }

  /** The faults now active, in the order they were added. */
  get active(): readonly ActiveFault[] {
    return this.faults;
  }

  /** Starts a fault at simulated time `now` (seconds), replacing one of the same kind, asset and signal. */
  add(spec: FaultSpec, now: number): void {
    this.faults = this.faults.filter((f) => !(f.fault === spec.fault && f.assetId === spec.assetId && f.signal === spec.signal));
    this.faults.push({ ...spec, startedAt: now });
  }

  /**
   * Ends faults; with `assetId` and/or `signal`, only the faults given for exactly that asset / signal.
   * @returns how many were ended
   */
  clear(filter: { assetId?: string; signal?: string } = {}): number {
    const before = this.faults.length;
    this.faults = this.faults.filter(
      (f) => (filter.assetId !== undefined && f.assetId !== filter.assetId) || (filter.signal !== undefined && f.signal !== filter.signal),
    );
    for (const fault of this.frozen.keys()) if (!this.faults.includes(fault)) this.frozen.delete(fault);
    return before - this.faults.length;
  }

  /**
   * Extra bearing friction growth for an asset, as a fraction of the initial friction per simulated hour
   * (the sum of the friction faults that apply to it).
   */
  frictionGrowthPerHour(assetId: string): number {
    let rate = 0;
    for (const f of this.faults) if (f.fault === 'friction' && appliesToAsset(f, assetId)) rate += (f.rate ?? 0) / 100;
    return rate;
  }

  /**
   * Returns the telemetry as the faulty sensors report it at simulated time `now` (seconds), or undefined when every
   * reading dropped out (a message with no signals would be refused downstream). The input is not changed.
   */
  apply(telemetry: Telemetry, now: number): Telemetry | undefined {
    const relevant = this.faults.filter((f) => f.fault !== 'friction' && appliesToAsset(f, telemetry.assetId));
    if (relevant.length === 0) return telemetry;
    const signals: Record<string, number> = {};
    let kept = 0;
    for (const name in telemetry.signals) {
      const original = telemetry.signals[name]!;
      const value = this.exempt.has(name) ? original : this.faultyReading(relevant, telemetry.assetId, name, original, now);
      if (value === undefined) continue;
      signals[name] = value === original ? value : Math.round(value * DECIMALS) / DECIMALS;
      kept++;
    }
    if (kept === 0) return undefined;
    const out: Telemetry = { ...telemetry, signals };
    if (telemetry.quality !== undefined) {
      out.quality = Object.fromEntries(Object.entries(telemetry.quality).filter(([name]) => name in signals));
    }
    return out;
  }

  private faultyReading(faults: ActiveFault[], assetId: string, signal: string, value: number, now: number): number | undefined {
    let reading = value;
    const on = faults.filter((f) => f.signal === undefined || f.signal === signal);
    for (const f of on) {
      if (f.fault === 'drift') reading += ((f.rate ?? 0) * Math.max(0, now - f.startedAt)) / 3600;
    }
    for (const f of on) {
      if (f.fault === 'noise') reading += reading * ((f.level ?? 0) / 100) * this.random.gaussian();
    }
    for (const f of on) {
      if (f.fault === 'spike' && this.random.next() < (f.probability ?? 0)) {
        reading += (this.random.next() < 0.5 ? -1 : 1) * (f.magnitude ?? 0);
      }
    }
    for (const f of on) {
      if (f.fault !== 'stuck') continue;
      let values = this.frozen.get(f);
      if (values === undefined) {
        values = new Map();
        this.frozen.set(f, values);
      }
      const key = `${assetId}\u241f${signal}`;
      const held = values.get(key);
      if (held === undefined) values.set(key, reading);
      else reading = held;
    }
    for (const f of on) {
      if (f.fault === 'dropout' && this.random.next() < (f.probability ?? 0)) return undefined;
    }
    return reading;
  }
}

function appliesToAsset(fault: FaultSpec, assetId: string): boolean {
  return fault.assetId === undefined || fault.assetId === assetId;
}
