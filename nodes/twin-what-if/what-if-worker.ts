/**
 * Runs what-if scenarios in a worker thread, so a 1,000-run Monte Carlo does not stall the Node-RED event loop.
 * One worker serves one node, a job at a time; the node terminates it to cancel.
 */
import { parentPort } from 'node:worker_threads';
import { errorMessage } from '../../core/errors.js';
import { runPumpWhatIf } from '../../core/what-if/what-if.js';
import type { WhatIfAnswer, WhatIfJob } from './what-if-job.js';

parentPort?.on('message', (job: WhatIfJob) => {
  const started = process.hrtime.bigint();
  let answer: WhatIfAnswer;
  try {
    const outcome = runPumpWhatIf(job.fork, job.scenarios, job.settings);
    answer = outcome.ok ? { id: job.id, ok: true, value: outcome.value, seconds: Number(process.hrtime.bigint() - started) / 1e9 } : { id: job.id, ok: false, reason: outcome.reason };
  } catch (err) {
    answer = { id: job.id, ok: false, reason: errorMessage(err) };
  }
  parentPort?.postMessage(answer);
});
