/**
 * `npm run train:pump-rul`: trains the pump RUL model by the recipe in `core/rul/pump-training.ts`, writes it to
 * `models/pump-bearing-gbt.json` (or the path given with `--out`), and prints how well each method does on lives it
 * never saw (the demo's four pumps and 20 fresh ones). Training is deterministic: the same recipe gives the same file
 * byte for byte (`test/core/pump-rul-model.test.mts` checks the committed one).
 *
 * Options: --out FILE, --no-write (evaluate only), --every N (score an estimate every N readings; default 10).
 */
import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { RUL_METHODS, serialiseRulModel } from '../core/rul/model.js';
import { evaluatePumpRulModel, pumpHeldOutLives, PUMP_RUL_RECIPE, trainPumpRulModel } from '../core/rul/pump-training.js';

/** Where the model ships (beside the C-MAPSS one). */
export const PUMP_MODEL_FILE = join(__dirname, '..', '..', 'models', 'pump-bearing-gbt.json');

function option(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : undefined;
}

function main(): void {
  const out = resolve(option('out') ?? PUMP_MODEL_FILE);
  const every = Number(option('every') ?? 10);
  const started = process.hrtime.bigint();
  const model = trainPumpRulModel(PUMP_RUL_RECIPE, (done, total) => process.stderr.write(`\r  training ${done}/${total}`));
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  process.stderr.write('\n');
  const text = serialiseRulModel(model);
  if (!process.argv.includes('--no-write')) writeFileSync(out, text);
  const lives = pumpHeldOutLives(PUMP_RUL_RECIPE);
  console.log(`trained on ${model.trainedOn.histories} simulated lives (${model.trainedOn.rows} readings) in ${seconds.toFixed(1)} s; ${(text.length / 1024).toFixed(0)} kB${process.argv.includes('--no-write') ? '' : ` → ${out}`}`);
  console.log(`held out: ${lives.length} lives (${lives.map((l) => `${l.name} ${l.columns[PUMP_RUL_RECIPE.sensors[0]!]!.length}`).join(', ')} readings)`);
  for (const method of RUL_METHODS) console.log(JSON.stringify({ ...evaluatePumpRulModel(model, method, lives, every), trainSeconds: Number(seconds.toFixed(1)) }));
}

main();
