/**
 * Runs what-if scenarios and optimisations in a worker thread, so a 1,000-run Monte Carlo or a few hundred candidate
 * settings do not stall the Node-RED event loop. One worker serves one node, a job at a time; the node terminates it
 * to cancel. An optimisation's JSONata objective is evaluated here, with the jsonata library Node-RED itself uses.
 */
import { parentPort } from 'node:worker_threads';
import jsonata from 'jsonata';
import { errorMessage } from '../../core/errors.js';
import { kpiObjective, optimisePump, type ObjectiveFunction } from '../../core/what-if/optimise.js';
import { runPumpWhatIf } from '../../core/what-if/what-if.js';
import type { WhatIfAnswer, WhatIfJob } from './what-if-job.js';

/** Progress goes out at most this often, so a grid of thousands of cheap candidates does not flood the node. */
const PROGRESS_EVERY_MS = 250;

async function run(job: WhatIfJob): Promise<WhatIfAnswer> {
  const started = process.hrtime.bigint();
  const seconds = () => Number(process.hrtime.bigint() - started) / 1e9;
  if (job.kind === 'scenarios') {
    const outcome = runPumpWhatIf(job.fork, job.scenarios, job.settings);
    return outcome.ok ? { id: job.id, ok: true, kind: 'scenarios', value: outcome.value, seconds: seconds() } : { id: job.id, ok: false, reason: outcome.reason };
  }
  const o = job.optimisation;
  let objective: ObjectiveFunction;
  if (o.objective.kpi) objective = kpiObjective(o.objective.kpi);
  else {
    let expression: ReturnType<typeof jsonata>;
    try {
      expression = jsonata(o.objective.expression!);
    } catch (err) {
      return { id: job.id, ok: false, reason: `objective: ${errorMessage(err)}` };
    }
    objective = async (kpis) => Number(await expression.evaluate(kpis));
  }
  let lastProgress = 0;
  const outcome = await optimisePump(job.fork, o, job.settings, objective, (done, total) => {
    const now = Date.now();
    if (now - lastProgress < PROGRESS_EVERY_MS) return;
    lastProgress = now;
    parentPort?.postMessage({ id: job.id, progress: { done, total } } satisfies WhatIfAnswer);
  });
  return outcome.ok ? { id: job.id, ok: true, kind: 'optimise', value: outcome.value, seconds: seconds() } : { id: job.id, ok: false, reason: outcome.reason };
}

parentPort?.on('message', (job: WhatIfJob) => {
  run(job).then(
    (answer) => parentPort?.postMessage(answer),
    (err: unknown) => parentPort?.postMessage({ id: job.id, ok: false, reason: errorMessage(err) } satisfies WhatIfAnswer),
  );
});
