/**
 * Trains a RUL model in a worker thread, so the Node-RED event loop keeps serving messages meanwhile.
 * Input (workerData): a `TrainJob`: a run-to-failure file (C-MAPSS format) and/or the twin's completed runs.
 * Output: `{ type: 'progress', done, total }` after each tree ensemble, then one `{ type: 'result', result }`.
 */
import { readFileSync } from 'node:fs';
import { errorMessage } from '../../core/errors.js';
import { parentPort, workerData } from 'node:worker_threads';
import { parseCmapss } from '../../core/cmapss.js';
import { engineColumns } from '../../core/rul/cmapss-history.js';
import type { SignalColumns } from '../../core/rul/features.js';
import { retrainingSet } from '../../core/rul/learn.js';
import { CMAPSS_TRAINING, DEFAULT_TRAINING, serialiseRulModel, trainRulModel } from '../../core/rul/model.js';
import type { TrainJob, TrainMessage, TrainResult } from './train-job.js';

function run(job: TrainJob): TrainResult {
  let fileHistories: SignalColumns[] = [];
  if (job.file !== undefined) {
    let text: string;
    try {
      text = readFileSync(job.file, 'utf8');
    } catch (err) {
      return { ok: false, reason: `cannot read ${job.file}: ${errorMessage(err)}` };
    }
    const parsed = parseCmapss(text);
    if (!parsed.ok) return { ok: false, reason: `${job.file}: ${parsed.reason}` };
    fileHistories = parsed.value.engines.map(engineColumns);
  }
  const start = process.hrtime.bigint();
  try {
    const runs = job.runs ?? [];
    const set = runs.length > 0 ? retrainingSet(job.settings ?? CMAPSS_TRAINING.settings, fileHistories, runs, job.sensors) : { histories: fileHistories, ...CMAPSS_TRAINING, runs: [] };
    const parts = [job.file, runs.length > 0 ? `${runs.length} completed runs of the twin` : undefined].filter(Boolean);
    const model = trainRulModel(set.histories, {
      settings: set.settings,
      sensors: set.sensors,
      description: parts.join(' + '),
      ...(job.file !== undefined ? { file: job.file } : {}),
      runs: set.runs,
      ...(job.cap !== undefined ? { cap: job.cap } : {}),
      ...(job.unit !== undefined ? { unit: job.unit } : {}),
      ...(job.readingSeconds !== undefined ? { readingSeconds: job.readingSeconds } : {}),
      ...(job.folds !== undefined ? { folds: job.folds } : {}),
      ...(job.seeds !== undefined ? { seeds: job.seeds } : {}),
      ...(job.trees !== undefined ? { gbt: { ...DEFAULT_TRAINING.gbt, trees: job.trees } } : {}),
      onProgress: (done, total) => post({ type: 'progress', done, total }),
    });
    return { ok: true, model: serialiseRulModel(model), seconds: Number(process.hrtime.bigint() - start) / 1e9, histories: set.histories.length, runs: runs.length };
  } catch (err) {
    return { ok: false, reason: errorMessage(err) };
  }
}

function post(message: TrainMessage): void {
  parentPort?.postMessage(message);
}

post({ type: 'result', result: run(workerData as TrainJob) });
