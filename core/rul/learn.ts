/**
 * Learning from the twin's own completed run-to-failure histories.
 *
 * Two speeds. At once, with no training: each new run's health path joins the similarity library (the next estimate
 * already compares against it), and the degradation models' fleet prior is fitted again over the library, so the
 * prior mean, spread and failure threshold follow the fleet as it actually wears. On command: the boosted trees are
 * trained again on the training file plus every completed run (`retrainingSet`), which the node does in a worker.
 */
import { fitDegradation } from './degradation.js';
import type { SignalColumns } from './features.js';
import { healthTrajectory } from './health-index.js';
import { requiredSignals, type RulModel } from './model.js';
import type { CompletedRun, RefusedRun } from './twin-history.js';

/** Completed runs kept; beyond it the oldest go first (each run is a whole life of every signal). */
export const MAX_LIBRARY_RUNS = 1000;

/** The twin's completed runs, as persisted in the twin definition's context store. */
export interface RunLibrary {
  format: 'twinflow-run-library';
  version: 1;
  runs: CompletedRun[];
}

export function emptyRunLibrary(): RunLibrary {
  return { format: 'twinflow-run-library', version: 1, runs: [] };
}

/** Adds runs not yet in the library (by id), oldest dropped beyond `max`. @returns the runs actually added */
export function addRuns(library: RunLibrary, runs: CompletedRun[], max = MAX_LIBRARY_RUNS): CompletedRun[] {
  const known = new Set(library.runs.map((r) => r.id));
  const added = runs.filter((r) => !known.has(r.id) && (known.add(r.id), true));
  library.runs.push(...added);
  library.runs.sort((a, b) => a.failedAt - b.failedAt || (a.id < b.id ? -1 : 1));
  if (library.runs.length > max) library.runs.splice(0, library.runs.length - max);
  return added;
}

/**
 * The library as it is saved: each column as base64 of 32-bit floats, the twin's own precision (so nothing is lost)
 * in about half the size of JSON numbers. It sits in the same context scope as the twin and is written with it.
 */
export function encodeRunLibrary(library: RunLibrary): unknown {
  return {
    format: library.format,
    version: library.version,
    encoding: 'float32-base64',
    runs: library.runs.map((run) => ({
      ...run,
      columns: Object.fromEntries(Object.entries(run.columns).map(([name, values]) => [name, encodeFloat32(values)])),
    })),
  };
}

function encodeFloat32(values: number[]): string {
  const array = Float32Array.from(values);
  return Buffer.from(array.buffer, array.byteOffset, array.byteLength).toString('base64');
}

function decodeFloat32(text: string): number[] | undefined {
  const bytes = Buffer.from(text, 'base64');
  if (bytes.byteLength % 4 !== 0) return undefined;
  // A fresh, aligned copy: a typed array needs its offset to be a multiple of its item size.
  const copy = Uint8Array.from(bytes);
  return Array.from(new Float32Array(copy.buffer));
}

/** Reads a saved library back; anything malformed is refused with a reason (runs that are broken are dropped). */
export function parseRunLibrary(raw: unknown): { ok: true; value: RunLibrary; dropped: number } | { ok: false; reason: string } {
  if (typeof raw !== 'object' || raw === null) return { ok: false, reason: 'the saved run library is not an object' };
  const r = raw as Partial<RunLibrary> & { encoding?: unknown };
  if (r.format !== 'twinflow-run-library' || r.version !== 1 || !Array.isArray(r.runs)) return { ok: false, reason: 'the saved run library is not in a format this version reads' };
  const encoded = r.encoding === 'float32-base64';
  const runs = (r.runs as unknown[]).map((run) => (encoded ? decodeRun(run) : run)).filter(isRun);
  return { ok: true, value: { format: 'twinflow-run-library', version: 1, runs }, dropped: r.runs.length - runs.length };
}

function decodeRun(value: unknown): unknown {
  if (typeof value !== 'object' || value === null) return undefined;
  const run = value as { columns?: unknown };
  if (typeof run.columns !== 'object' || run.columns === null) return undefined;
  const columns: Record<string, number[] | undefined> = {};
  for (const [name, text] of Object.entries(run.columns)) columns[name] = typeof text === 'string' ? decodeFloat32(text) : undefined;
  return { ...run, columns };
}

function isRun(value: unknown): value is CompletedRun {
  if (typeof value !== 'object' || value === null) return false;
  const run = value as Partial<CompletedRun>;
  if (typeof run.id !== 'string' || typeof run.assetId !== 'string' || typeof run.failedAt !== 'number' || typeof run.cycles !== 'number') return false;
  if (typeof run.columns !== 'object' || run.columns === null) return false;
  return Object.values(run.columns).every((c) => Array.isArray(c) && c.length === run.cycles && c.every((v) => typeof v === 'number'));
}

/** Ids of the runs a model already knows: trained on, or added to its library since. */
export function knownRuns(model: RulModel): Set<string> {
  return new Set([...(model.trainedOn.runs ?? []), ...(model.learnedRuns ?? [])]);
}

/**
 * A copy of the model that knows the given runs too: each run's health path joins the similarity library and the
 * degradation priors are fitted again over the whole library. Runs the model already knows are left out; runs
 * without the model's signals are refused with the reason. The boosted trees are unchanged (they need `retrain`).
 */
export function learnRuns(model: RulModel, runs: readonly CompletedRun[]): { model: RulModel; added: string[]; refused: RefusedRun[] } {
  const known = knownRuns(model);
  const needed = requiredSignals(model);
  const added: string[] = [];
  const refused: RefusedRun[] = [];
  const library = model.similarity.library.slice();
  for (const run of runs) {
    if (known.has(run.id)) continue;
    const missing = needed.filter((name) => run.columns[name] === undefined);
    if (missing.length > 0) {
      refused.push({ id: run.id, assetId: run.assetId, reason: `the run has no ${missing.join(', ')} (the model needs them)` });
      continue;
    }
    const health = healthTrajectory(model.pipeline, model.healthIndex, run.columns);
    // The same rounding as fitSimilarity: far below the indicator's noise.
    library.push(Array.from(health, (v) => Math.round(v * 1e4) / 1e4));
    known.add(run.id);
    added.push(run.id);
  }
  if (added.length === 0) return { model, added, refused };
  let degradation = model.degradation;
  try {
    degradation = { linear: fitDegradation('linear', library, model.cap), exponential: fitDegradation('exponential', library, model.cap) };
  } catch {
    // Too few degrading paths to fit a prior: the previous one stays (cannot happen once a model has been trained).
  }
  return {
    model: { ...model, similarity: { ...model.similarity, library }, degradation, learnedRuns: [...(model.learnedRuns ?? []), ...added] },
    added,
    refused,
  };
}

/** Natural order of signal names, so s2 comes before s10 (as in C-MAPSS files). */
function naturalOrder(a: string, b: string): number {
  return a.localeCompare(b, 'en', { numeric: true });
}

/**
 * What a retraining learns from: the training file's histories and the completed runs, on the signals every one of
 * them has. The settings are the model's (operating conditions); every other shared signal is a candidate sensor
 * (training drops the ones that do not change), or only the `candidates` when given: without a training file the
 * twin's runs carry whatever the asset reports (a cycle counter, say), and the model's own sensors are the safe set.
 */
export function retrainingSet(
  settings: readonly string[],
  fileHistories: readonly SignalColumns[],
  runs: readonly CompletedRun[],
  candidates?: readonly string[],
): { histories: SignalColumns[]; settings: string[]; sensors: string[]; runs: string[] } {
  const histories: SignalColumns[] = [...fileHistories, ...runs.map((r) => r.columns)];
  if (histories.length === 0) throw new Error('nothing to learn from: no training file and no completed runs');
  let shared = new Set(Object.keys(histories[0]!));
  for (const h of histories) shared = new Set([...shared].filter((name) => h[name] !== undefined));
  const missing = settings.filter((s) => !shared.has(s));
  if (missing.length > 0) throw new Error(`the operating settings ${missing.join(', ')} are not in every history`);
  const sensors = [...shared].filter((name) => !settings.includes(name) && (candidates === undefined || candidates.includes(name))).sort(naturalOrder);
  if (sensors.length === 0) throw new Error('the training file and the completed runs share no sensor signal (do they name their signals alike?)');
  return { histories, settings: [...settings], sensors, runs: runs.map((r) => r.id) };
}
