import { LIFE_ENDING_KINDS, type MaintenanceEntry, type TwinStore } from '../twin-store.js';
import type { SignalColumns } from './features.js';

const endsLife = (entry: MaintenanceEntry): boolean => LIFE_ENDING_KINDS.includes(entry.kind);

/** Time of the asset's last life-ending maintenance entry (`part-replaced` or `failure`), or undefined. */
export function lastPartReplacement(store: TwinStore, assetId: string): number | undefined {
  return store.lastMaintenanceOf(assetId, LIFE_ENDING_KINDS)?.ts;
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
  const columns = options.view ? store.alignedHistoryView(assetId, names, since).columns : store.alignedHistory(assetId, names, since);
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

/**
 * True when `stamp` (from `historyStamp`) still describes what an estimate would read now: checked in place, without
 * building a new stamp, since it runs for every message of the asset.
 */
export function stampHolds(stamp: readonly number[], store: TwinStore, assetId: string, names: readonly string[], since: number | undefined): boolean {
  if (stamp.length !== names.length + 1 || !Object.is(stamp[names.length], since ?? NaN)) return false;
  for (let i = 0; i < names.length; i++) if (stamp[i] !== store.historyRevision(assetId, names[i]!)) return false;
  return true;
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
  // The rows of the life: after the previous life-ending entry, up to the failure.
  const view = store.alignedHistoryView(assetId, names, from, failure.ts);
  const cycles = view.ts.length;
  if (cycles < 2) return { reason: `only ${cycles} complete reading(s) before the failure` };
  // The twin holds 32-bit floats: nine significant digits give each back exactly and keep the saved run small.
  const columns = Object.fromEntries(names.map((name) => [name, Array.from(view.columns[name]!, (v) => Number(v.toPrecision(9)))]));
  const run: CompletedRun = { id: runId(assetId, failure.ts), assetId, startedAt: view.ts[0]!, failedAt: failure.ts, cycles, columns };
  if (failure.part !== undefined) run.part = failure.part;
  return run;
}
