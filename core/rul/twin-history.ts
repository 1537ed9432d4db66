import { LIFE_ENDING_KINDS, type MaintenanceEntry, type TwinStore } from '../twin-store.js';
import type { SignalColumns } from './features.js';

const endsLife = (entry: MaintenanceEntry): boolean => LIFE_ENDING_KINDS.includes(entry.kind);

/** Time of the asset's last life-ending maintenance entry (`part-replaced` or `failure`), or undefined. */
export function lastPartReplacement(store: TwinStore, assetId: string): number | undefined {
  const log = store.maintenanceLog(assetId);
  for (let i = log.length - 1; i >= 0; i--) if (endsLife(log[i]!)) return log[i]!.ts;
  return undefined;
}

/**
 * Rows of the named signals where every one has a usable reading at the same timestamp, in `(from, to]`, oldest
 * first. Readings marked `bad` do not count. For a completed run, which needs an end and the timestamps and is taken
 * once per failure; the estimate on every update uses the store's allocation-free `alignedHistoryView` instead.
 */
function alignedColumns(store: TwinStore, assetId: string, names: readonly string[], from: number | undefined, to: number | undefined): { columns: Record<string, number[]>; ts: number[] } {
  const series = names.map((name) => store.history(assetId, name, from, to));
  const inRange = (ts: number) => (from === undefined || ts > from) && (to === undefined || ts <= to);
  const byTs = series.map((s) => {
    const map = new Map<number, number>();
    s.ts.forEach((ts, i) => {
      if (s.quality[i] !== 'bad' && inRange(ts)) map.set(ts, s.values[i]!);
    });
    return map;
  });
  const first = series[0];
  const rows = first === undefined ? [] : first.ts.filter((ts) => byTs.every((m) => m.has(ts)));
  const columns: Record<string, number[]> = {};
  names.forEach((name, j) => {
    columns[name] = rows.map((ts) => byTs[j]!.get(ts)!);
  });
  return { columns, ts: rows };
}

/**
 * An asset's history of the named signals as aligned columns, one row per timestamp at which every signal has a
 * usable reading, oldest first. Only readings after the last part replacement (or failure) count: the replaced part
 * starts new.
 * @param options.view columns that are views of the store's reused buffers (`TwinStore.alignedHistoryView`): for an
 *   estimate that reads them at once and keeps nothing; otherwise arrays of its own
 */
export function twinHistory(store: TwinStore, assetId: string, names: readonly string[], options: { view?: boolean } = {}): { columns: SignalColumns; since?: number } {
  const since = lastPartReplacement(store, assetId);
  // Read straight from the ring buffers: copying each signal's history into arrays first cost more than the estimate.
  const columns = options.view ? store.alignedHistoryView(assetId, names, since) : store.alignedHistory(assetId, names, since);
  return since === undefined ? { columns } : { columns, since };
}

/**
 * What an estimate from `twinHistory` reads, as numbers: the revision of each named signal's history, then the time
 * of the last life-ending entry (NaN when none). Equal stamps mean equal histories (`SignalHistory.revision`).
 */
export function historyStamp(store: TwinStore, assetId: string, names: readonly string[], since: number | undefined): number[] {
  const stamp = names.map((name) => store.historyRevision(assetId, name));
  stamp.push(since ?? NaN);
  return stamp;
}

/** True when two stamps are the same (NaN, no life-ending entry, equals NaN). */
export function sameStamp(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((v, i) => Object.is(v, b[i]));
}

/** A life of an asset that ended in a logged failure: features per cycle from new (or replacement) to failure. */
export interface CompletedRun {
  /** `<assetId>@<time of the failure entry>`: the same failure is learned once. */
  id: string;
  assetId: string;
  /** Time of the first reading of the life and of the failure entry that ended it (ms). */
  startedAt: number;
  failedAt: number;
  cycles: number;
  /** Per signal one reading per cycle, oldest first; the last row is the last reading before the failure. */
  columns: Record<string, number[]>;
  /** The part that failed, when the entry names it. */
  part?: string;
}

/** Why a logged failure could not become a run-to-failure history (the twin no longer holds the whole life). */
export interface RefusedRun {
  id: string;
  assetId: string;
  reason: string;
}

/** The id of the run ended by a failure entry. */
export function runId(assetId: string, failedAt: number): string {
  return `${assetId}@${failedAt}`;
}

/**
 * The asset's completed run-to-failure histories: for every `failure` entry in its maintenance log, the readings
 * after the previous life-ending entry up to the failure. `skip` names runs already known (not extracted again).
 * A life whose start the twin no longer holds (its bounded history dropped the first readings) is refused: learning
 * from it would teach the models that the asset lived shorter than it did.
 */
export function completedRuns(store: TwinStore, assetId: string, skip: (id: string) => boolean = () => false): { runs: CompletedRun[]; refused: RefusedRun[] } {
  const runs: CompletedRun[] = [];
  const refused: RefusedRun[] = [];
  const log = store.maintenanceLog(assetId);
  // Called with every estimate: nothing more to do unless a failure is new.
  if (!log.some((entry) => entry.kind === 'failure' && !skip(runId(assetId, entry.ts)))) return { runs, refused };
  const snapshot = store.snapshot(assetId);
  const names = snapshot === undefined ? [] : Object.keys(snapshot.signals).sort();
  let boundary: number | undefined;
  for (const entry of log) {
    if (entry.kind === 'failure') {
      const id = runId(assetId, entry.ts);
      if (!skip(id)) {
        const run = extractRun(store, assetId, names, boundary, entry);
        if ('reason' in run) refused.push({ id, assetId, reason: run.reason });
        else runs.push(run);
      }
    }
    if (endsLife(entry)) boundary = entry.ts;
  }
  return { runs, refused };
}

function extractRun(store: TwinStore, assetId: string, names: string[], from: number | undefined, failure: MaintenanceEntry): CompletedRun | { reason: string } {
  if (names.length === 0) return { reason: 'the twin holds no readings of this asset' };
  const capacity = store.definition.historyPoints;
  for (const name of names) {
    const kept = store.history(assetId, name);
    // A full history whose oldest reading is after the life began has lost the start of the life.
    if (kept.ts.length >= capacity && (from === undefined || kept.ts[0]! > from)) {
      return { reason: `the twin keeps ${capacity} readings per signal and has dropped the start of this life: raise the history length of the twin definition` };
    }
  }
  const { columns, ts } = alignedColumns(store, assetId, names, from, failure.ts);
  // The twin holds 32-bit floats: nine significant digits give each back exactly and keep the saved run small.
  for (const name of names) columns[name] = columns[name]!.map((v) => Number(v.toPrecision(9)));
  if (ts.length < 2) return { reason: `only ${ts.length} complete reading(s) before the failure` };
  const run: CompletedRun = { id: runId(assetId, failure.ts), assetId, startedAt: ts[0]!, failedAt: failure.ts, cycles: ts.length, columns };
  if (failure.part !== undefined) run.part = failure.part;
  return run;
}
