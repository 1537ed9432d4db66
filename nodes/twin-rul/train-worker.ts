/**
 * Trains a RUL model in a worker thread, so the Node-RED event loop keeps serving messages meanwhile.
 * Input (workerData): the run-to-failure file path (C-MAPSS format) and training options.
 * Output: one message `{ ok: true, model: <JSON text>, seconds }` or `{ ok: false, reason }`.
 */
import { readFileSync } from 'node:fs';
import { errorMessage } from '../../core/errors.js';
import { parentPort, workerData } from 'node:worker_threads';
import { parseCmapss } from '../../core/cmapss.js';
import { engineColumns } from '../../core/rul/cmapss-history.js';
import { DEFAULT_TRAINING, serialiseRulModel, trainRulModel } from '../../core/rul/model.js';
import type { TrainJob, TrainResult } from './train-job.js';

function run(job: TrainJob): TrainResult {
  let text: string;
  try {
    text = readFileSync(job.file, 'utf8');
  } catch (err) {
    return { ok: false, reason: `cannot read ${job.file}: ${errorMessage(err)}` };
  }
  const parsed = parseCmapss(text);
  if (!parsed.ok) return { ok: false, reason: `${job.file}: ${parsed.reason}` };
  const start = process.hrtime.bigint();
  try {
    const model = trainRulModel(parsed.value.engines.map(engineColumns), {
      description: job.file,
      ...(job.folds !== undefined ? { folds: job.folds } : {}),
      ...(job.trees !== undefined ? { gbt: { ...DEFAULT_TRAINING.gbt, trees: job.trees } } : {}),
    });
    return { ok: true, model: serialiseRulModel(model), seconds: Number(process.hrtime.bigint() - start) / 1e9, histories: parsed.value.engines.length };
  } catch (err) {
    return { ok: false, reason: errorMessage(err) };
  }
}

parentPort?.postMessage(run(workerData as TrainJob));
