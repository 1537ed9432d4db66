/**
 * The shipped pump RUL model (`models/pump-bearing-gbt.json`): the recipe in core/rul/pump-training.ts gives it again
 * byte for byte, the recipe matches how the demo's pumps wear, and its accuracy on lives it never saw is what the
 * README states.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';

const require = createRequire(import.meta.url);
const core = require('../../dist/core/index.js') as typeof import('../../dist/core/index.js');
const root = join(import.meta.dirname, '..', '..');
const MODEL_FILE = join(root, 'models', 'pump-bearing-gbt.json');

/**
 * Held-out accuracy as stated in the README (RMSE in minutes of plant time against the true remaining life; share of
 * estimates whose 90 % interval holds it), an estimate every 10 readings of 24 unseen lives.
 */
const STATED = {
  linear: { rmse: 95.4, coverage90: 0.904, demo: { rmse: 16.3, coverage90: 0.979 } },
  gbt: { rmse: 75.4, coverage90: 0.902, demo: { rmse: 50.2, coverage90: 0.946 } },
};

describe('pump RUL model (models/pump-bearing-gbt.json)', () => {
  const shipped = readFileSync(MODEL_FILE, 'utf8');
  const parsed = core.parseRulModel(shipped);

  it('is a valid model of the bearing temperature at the demo speed, counted in minutes up to 3,000', () => {
    assert.ok(parsed.ok, parsed.ok ? '' : parsed.reason);
    const model = parsed.value;
    assert.equal(core.rulModelFault(model), undefined);
    assert.deepEqual(core.requiredSignals(model), ['speed', 'bearingTemp']);
    assert.deepEqual([model.cap, model.unit, model.trainedOn.histories], [3000, 'minutes', 40]);
  });

  it('matches how the demo pumps wear: the simulator settings of flows/demo.json and scripts/start.ts', () => {
    const flow = JSON.parse(readFileSync(join(root, 'flows', 'demo.json'), 'utf8')) as Array<Record<string, unknown>>;
    const sim = flow.find((n) => n.id === 'demo.sim')!;
    const recipe = core.PUMP_RUL_RECIPE;
    // One reading a second, each 60 s of plant time: one reading is one minute, as in training.
    assert.equal((Number(sim.intervalMs) / 1000) * Number(sim.timeScale), recipe.readingSeconds);
    // The model states it, and the demo's twin-rul checks it at the simulator's time scale.
    assert.equal(parsed.ok && parsed.value.trainedOn.readingSeconds, recipe.readingSeconds);
    assert.equal(Number(flow.find((n) => n.id === 'demo.rul')!.timeScale), Number(sim.timeScale));
    assert.equal(Number(sim.noise) / 100, recipe.noise);
    assert.equal(Number(sim.speed), recipe.speedRpm);
    const wear = Number(sim.frictionGrowth) / 100;
    assert.ok(wear > recipe.wearPerHour.min && wear < recipe.wearPerHour.max, `demo wear ${wear}/h inside the training range`);
    // The virtual PLC's pump-4 wears alike.
    const start = readFileSync(join(root, 'scripts', 'start.ts'), 'utf8');
    assert.match(start, /new PumpSimulator\(\{ assetId: 'pump-4', seed: 4, frictionGrowthPerHour: 0\.05 \}\)/);
    assert.match(start, /plcPump\.step\(Date\.now\(\), 60\)/);
    // The twin keeps a whole life (the estimate reads the history since the last part replacement).
    const definition = flow.find((n) => n.id === 'demo.definition')!;
    const longest = Math.max(...core.pumpTrainingHistories().map((h) => h.bearingTemp!.length));
    assert.ok(Number(definition.historyPoints) > longest, `history of ${String(definition.historyPoints)} points holds a life of ${longest} readings`);
  });

  it('is what the recipe trains, byte for byte (else: npm run train:pump-rul)', function () {
    this.timeout(180_000);
    const started = Date.now();
    const retrained = core.serialiseRulModel(core.trainPumpRulModel());
    console.log(`      (trained by the recipe in ${((Date.now() - started) / 1000).toFixed(1)} s)`);
    assert.ok(retrained === shipped, 'models/pump-bearing-gbt.json is not what core/rul/pump-training.ts trains: run `npm run train:pump-rul` and commit the file');
  });

  it('on 24 lives it never saw: the RMSE and 90 % interval coverage the README states, every estimate inside its interval', function () {
    this.timeout(120_000);
    assert.ok(parsed.ok);
    const lives = core.pumpHeldOutLives();
    for (const method of ['linear', 'gbt'] as const) {
      const e = core.evaluatePumpRulModel(parsed.value, method, lives, 10);
      console.log(`      (${method}: ${JSON.stringify(e)})`);
      const stated = STATED[method];
      assert.ok(Math.abs(e.rmse - stated.rmse) < 0.5 && Math.abs(e.coverage90 - stated.coverage90) < 0.005, `${method}: ${e.rmse} / ${e.coverage90}`);
      assert.ok(Math.abs(e.demo.rmse - stated.demo.rmse) < 0.5 && Math.abs(e.demo.coverage90 - stated.demo.coverage90) < 0.005, `${method} on the demo pumps: ${JSON.stringify(e.demo)}`);
      assert.equal(e.outsideInterval, 0, `${method}: lower ≤ RUL ≤ upper for every estimate`);
    }
  });
});
