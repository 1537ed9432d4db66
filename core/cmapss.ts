/**
 * NASA C-MAPSS turbofan run-to-failure data (Saxena, Goebel, Simon, Eklund, "Damage Propagation Modeling for
 * Aircraft Engine Run-to-Failure Simulation", PHM 2008): parsing of the text files and a replay that plays the
 * engines as live assets.
 *
 * File format (`train_FD00x.txt`, `test_FD00x.txt`): one row per engine and cycle, space separated:
 * `unit cycle setting1 setting2 setting3 sensor1 … sensor21`. `RUL_FD00x.txt`: one number per test engine.
 * Pure: the caller reads the file; time comes in as arguments.
 */
import type { Parsed, Telemetry } from './telemetry.js';

/** Signal names of the 24 measured columns, in file order (after unit and cycle). */
export const CMAPSS_SIGNALS: readonly string[] = Object.freeze([
  'setting1',
  'setting2',
  'setting3',
  ...Array.from({ length: 21 }, (_, i) => `s${i + 1}`),
]);

/** Columns per row: unit, cycle and the measured columns. */
export const CMAPSS_COLUMNS = 2 + CMAPSS_SIGNALS.length;

/** One engine's history: `cycles[i]` is the cycle number of `rows[i]`, whose values follow `CMAPSS_SIGNALS`. */
export interface CmapssEngine {
  unit: number;
  cycles: number[];
  rows: number[][];
}

export interface CmapssDataset {
  /** Engines in the order they appear in the file. */
  engines: CmapssEngine[];
  rowCount: number;
}

const WHITESPACE = /\s+/;

/**
 * Parses a C-MAPSS `train_`/`test_` file.
 *
 * Blank lines and trailing spaces (the NASA files end rows with two spaces) are accepted. A row with the wrong
 * number of columns, a value that is not a number, a unit or cycle that is not a positive whole number, or an engine
 * whose cycles do not increase is refused with its line number, because a half-read file would replay wrong data.
 *
 * @example parseCmapss('1 1 -0.0007 -0.0004 100.0 518.67 …').value.engines[0].unit // 1
 */
export function parseCmapss(text: string): Parsed<CmapssDataset> {
  const engines: CmapssEngine[] = [];
  const byUnit = new Map<number, CmapssEngine>();
  let current: CmapssEngine | undefined;
  let rowCount = 0;
  const lines = text.split('\n');
  for (let l = 0; l < lines.length; l++) {
    const line = lines[l]!.trim();
    if (line === '') continue;
    const where = `line ${l + 1}`;
    const fields = line.split(WHITESPACE);
    if (fields.length !== CMAPSS_COLUMNS) {
      return { ok: false, reason: `${where} has ${fields.length} columns; a C-MAPSS row has ${CMAPSS_COLUMNS} (unit, cycle, 3 settings, 21 sensors)` };
    }
    const numbers = fields.map(Number);
    const bad = numbers.findIndex((n) => !Number.isFinite(n));
    if (bad >= 0) return { ok: false, reason: `${where}, column ${bad + 1}: "${fields[bad]!.slice(0, 20)}" is not a number` };
    const [unit, cycle] = numbers as [number, number];
    if (!Number.isInteger(unit) || unit < 1) return { ok: false, reason: `${where}: unit ${fields[0]} is not a positive whole number` };
    if (!Number.isInteger(cycle) || cycle < 1) return { ok: false, reason: `${where}: cycle ${fields[1]} is not a positive whole number` };
    if (current?.unit !== unit) {
      if (byUnit.has(unit)) return { ok: false, reason: `${where}: rows of unit ${unit} are split (it appeared earlier in the file)` };
      current = { unit, cycles: [], rows: [] };
      byUnit.set(unit, current);
      engines.push(current);
    }
    const previous = current.cycles[current.cycles.length - 1];
    if (previous !== undefined && cycle <= previous) {
      return { ok: false, reason: `${where}: unit ${unit} goes from cycle ${previous} to ${cycle}; cycles must increase` };
    }
    current.cycles.push(cycle);
    current.rows.push(numbers.slice(2));
    rowCount++;
  }
  if (rowCount === 0) return { ok: false, reason: 'the file has no data rows' };
  return { ok: true, value: { engines, rowCount } };
}

/**
 * Parses a C-MAPSS `RUL_FD00x.txt` file: the true remaining useful life (cycles) of test engine 1, 2, … in order.
 */
export function parseCmapssRul(text: string): Parsed<number[]> {
  const values: number[] = [];
  const lines = text.split('\n');
  for (let l = 0; l < lines.length; l++) {
    const line = lines[l]!.trim();
    if (line === '') continue;
    const value = Number(line);
    if (!Number.isInteger(value) || value < 0) return { ok: false, reason: `line ${l + 1}: "${line.slice(0, 20)}" is not a whole number of cycles` };
    values.push(value);
  }
  if (values.length === 0) return { ok: false, reason: 'the file has no values' };
  return { ok: true, value: values };
}

/**
 * Reads which engines to play: empty or "all" for every engine, else a list of units and ranges like "1,5,7-9".
 * @returns the units in the order written, without repeats, or undefined for all
 */
export function parseUnitSelection(text: string): Parsed<number[] | undefined> {
  const trimmed = text.trim();
  if (trimmed === '' || trimmed.toLowerCase() === 'all') return { ok: true, value: undefined };
  const units: number[] = [];
  const seen = new Set<number>();
  for (const part of trimmed.split(',')) {
    const match = /^\s*(\d+)\s*(?:-\s*(\d+)\s*)?$/.exec(part);
    if (!match) return { ok: false, reason: `engines "${part.trim()}" is not a unit number or a range like 7-9` };
    const from = Number(match[1]);
    const to = match[2] === undefined ? from : Number(match[2]);
    if (from < 1 || to < from) return { ok: false, reason: `engines "${part.trim()}" is not a range of units from 1 upwards` };
    for (let unit = from; unit <= to; unit++) {
      if (seen.has(unit)) continue;
      seen.add(unit);
      units.push(unit);
    }
  }
  return { ok: true, value: units };
}

export interface CmapssReplayOptions {
  /** Units to play, in order; undefined plays every engine of the file. */
  units?: number[];
  /** Asset id of unit n is `${assetPrefix}${n}`. */
  assetPrefix: string;
  /** Cycles each engine advances per tick (1 or more). */
  cyclesPerTick: number;
  /** At its last cycle an engine starts again from its first (a fresh engine); otherwise it stops. */
  loop: boolean;
}

/** An engine reached its last cycle in the file. */
export interface EngineFinished {
  type: 'finished';
  assetId: string;
  unit: number;
  /** Cycle number of the last row, i.e. how long this engine ran. */
  cycles: number;
  ts: number;
  /** With loop on, the engine starts again from its first cycle on the next tick. */
  restarts: boolean;
}

export interface ReplayStep {
  /** One message per engine and cycle, in cycle order per engine. */
  telemetry: Telemetry[];
  finished: EngineFinished[];
}

interface EngineCursor {
  engine: CmapssEngine;
  assetId: string;
  /** Index of the next row to play. */
  next: number;
  /** Timestamp of the last message, so each cycle of an engine has its own, increasing timestamp. */
  lastTs: number;
}

/**
 * Plays C-MAPSS engines as live assets: each tick, every engine still running emits its next cycle(s) as
 * telemetry `{ assetId, ts, signals: { cycle, setting1…3, s1…s21 } }`.
 *
 * Timestamps are the caller's clock: with several cycles per tick, the cycles of one tick are stamped one
 * millisecond apart, ending at `now`, and never earlier than the engine's previous message, so the twin's history
 * keeps every cycle in order.
 */
export class CmapssReplay {
  private readonly cursors: EngineCursor[];
  private readonly cyclesPerTick: number;
  private readonly loop: boolean;

  private constructor(cursors: EngineCursor[], options: CmapssReplayOptions) {
    this.cursors = cursors;
    this.cyclesPerTick = options.cyclesPerTick;
    this.loop = options.loop;
  }

  /** Builds a replay, or says why not (a unit that is not in the file, a bad cycles-per-tick). */
  static create(dataset: CmapssDataset, options: CmapssReplayOptions): Parsed<CmapssReplay> {
    if (!Number.isInteger(options.cyclesPerTick) || options.cyclesPerTick < 1) {
      return { ok: false, reason: `cycles per tick must be a whole number of 1 or more, got ${options.cyclesPerTick}` };
    }
    const byUnit = new Map(dataset.engines.map((e) => [e.unit, e]));
    const engines: CmapssEngine[] = [];
    for (const unit of options.units ?? dataset.engines.map((e) => e.unit)) {
      const engine = byUnit.get(unit);
      if (engine === undefined) {
        const units = dataset.engines.map((e) => e.unit);
        return { ok: false, reason: `unit ${unit} is not in the file (it has units ${Math.min(...units)}–${Math.max(...units)})` };
      }
      engines.push(engine);
    }
    if (engines.length === 0) return { ok: false, reason: 'no engines are selected' };
    const cursors = engines.map((engine) => ({ engine, assetId: `${options.assetPrefix}${engine.unit}`, next: 0, lastTs: -Infinity }));
    return { ok: true, value: new CmapssReplay(cursors, options) };
  }

  get assetIds(): string[] {
    return this.cursors.map((c) => c.assetId);
  }

  /** Engines that still have cycles to play. */
  get running(): number {
    return this.cursors.filter((c) => c.next < c.engine.rows.length).length;
  }

  /** True when every engine has played its last cycle and loop is off (with loop the replay never ends). */
  get complete(): boolean {
    return !this.loop && this.running === 0;
  }

  /** Cycle number an engine played last (0 before its first). */
  currentCycle(assetId: string): number {
    const cursor = this.cursors.find((c) => c.assetId === assetId);
    if (cursor === undefined || cursor.next === 0) return 0;
    return cursor.engine.cycles[cursor.next - 1]!;
  }

  /** Plays every engine from its first cycle again. */
  rewind(): void {
    for (const cursor of this.cursors) cursor.next = 0;
  }

  /** Advances every running engine by up to `cyclesPerTick` cycles, stamped at `now` (ms). */
  tick(now: number): ReplayStep {
    const step: ReplayStep = { telemetry: [], finished: [] };
    for (const cursor of this.cursors) {
      const { engine } = cursor;
      if (cursor.next >= engine.rows.length) {
        if (!this.loop) continue;
        cursor.next = 0;
      }
      const count = Math.min(this.cyclesPerTick, engine.rows.length - cursor.next);
      for (let i = 0; i < count; i++) {
        const ts = Math.max(now - (count - 1 - i), cursor.lastTs + 1);
        cursor.lastTs = ts;
        step.telemetry.push(this.reading(cursor, cursor.next, ts));
        cursor.next++;
      }
      if (cursor.next >= engine.rows.length) {
        // The engine's turn ends at its last cycle, so a flow can act on "finished" before a loop restarts it.
        const cycles = engine.cycles[engine.cycles.length - 1]!;
        step.finished.push({ type: 'finished', assetId: cursor.assetId, unit: engine.unit, cycles, ts: cursor.lastTs, restarts: this.loop });
      }
    }
    return step;
  }

  private reading(cursor: EngineCursor, index: number, ts: number): Telemetry {
    const row = cursor.engine.rows[index]!;
    const signals: Record<string, number> = { cycle: cursor.engine.cycles[index]! };
    for (let s = 0; s < CMAPSS_SIGNALS.length; s++) signals[CMAPSS_SIGNALS[s]!] = row[s]!;
    return { assetId: cursor.assetId, ts, signals };
  }
}
