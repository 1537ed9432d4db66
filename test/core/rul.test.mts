/**
 * The pure RUL core: features (protocol sensor selection, per-regime scaling, no look-ahead), boosted trees,
 * conformal intervals, degradation models with Bayesian updating, similarity, the model file, and reading an
 * asset's history from the twin after a part replacement. Synthetic data where the right answer is known.
 */
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { cmapssDir } from '../support/data.mts';
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const require = createRequire(import.meta.url);
const core = require('../../dist/core/index.js') as typeof import('../../dist/core/index.js');
type SignalColumns = import('../../dist/core/index.js').SignalColumns;

const DATA = cmapssDir();
const SETTINGS = ['setting1', 'setting2', 'setting3'];

/** Six flight conditions like FD002/FD004 (altitude kft, Mach, throttle angle). */
const CONDITIONS = [[0, 0, 100], [10, 0.25, 100], [20, 0.7, 100], [25, 0.62, 60], [35, 0.84, 100], [42, 0.84, 100]];

/**
 * A synthetic fleet: each engine flies random conditions; sensor a = condition level + wear, sensor b = condition
 * level − 2·wear, sensor c constant per condition (must be dropped); wear grows as exp(rate·t) to failure.
 */
function fleet(count: number, seed: number, regimes: number[][] = CONDITIONS): SignalColumns[] {
  const random = new core.SeededRandom(seed);
  return Array.from({ length: count }, () => {
    const life = 120 + Math.floor(random.next() * 120);
    const columns: Record<string, number[]> = { setting1: [], setting2: [], setting3: [], a: [], b: [], c: [] };
    for (let t = 0; t < life; t++) {
      const r = regimes[Math.floor(random.next() * regimes.length)]!;
      const wear = Math.exp((5 * (t + 1)) / life) / Math.exp(5);
      columns.setting1!.push(r[0]! + random.gaussian() * 0.001);
      columns.setting2!.push(r[1]! + random.gaussian() * 0.0001);
      columns.setting3!.push(r[2]!);
      columns.a!.push(100 + 10 * r[0]! + 5 * wear + random.gaussian() * 0.3);
      columns.b!.push(50 + 3 * r[1]! * 100 - 10 * wear + random.gaussian() * 0.3);
      columns.c!.push(7 + r[0]!);
    }
    return columns;
  });
}

function rmse(errors: number[]): number {
  return Math.sqrt(errors.reduce((s, e) => s + e * e, 0) / errors.length);
}

describe('RUL core', () => {
  describe('features', () => {
    it('on FD001 keeps the protocol\'s 14 sensors (drops 1, 5, 6, 10, 16, 18, 19) and finds one operating regime', () => {
      const train = core.parseCmapss(readFileSync(join(DATA, 'train_FD001.txt'), 'utf8'));
      assert.ok(train.ok);
      const pipeline = core.fitFeaturePipeline(train.value.engines.map(core.engineColumns), core.CMAPSS_TRAINING);
      assert.deepEqual(pipeline.sensors, ['s2', 's3', 's4', 's7', 's8', 's9', 's11', 's12', 's13', 's14', 's15', 's17', 's20', 's21']);
      assert.equal(pipeline.regimeCentres.length, 1);
      assert.deepEqual(pipeline.features, [...core.DEFAULT_FEATURES]);
      assert.equal(core.featureNames(pipeline).length, 14 * core.DEFAULT_FEATURES.length + 1);
    });

    it('says when an asset runs outside the conditions a model was trained at: never for FD001\'s test engines, at once for a pump off its one speed', () => {
      const fd001 = core.parseRulModel(readFileSync(new URL('../../models/cmapss-fd001-gbt.json', import.meta.url), 'utf8'));
      assert.ok(fd001.ok);
      const test = core.parseCmapss(readFileSync(join(DATA, 'test_FD001.txt'), 'utf8'));
      assert.ok(test.ok);
      const flagged = test.value.engines.filter((e) => core.settingsOutsideTraining(fd001.value, core.engineColumns(e)).length > 0);
      assert.deepEqual(flagged.map((e) => e.unit), [], 'the test engines fly the training condition');
      // Six flight conditions in one model: a reading at any of them is inside.
      const six = core.trainRulModel(fleet(12, 3), { settings: SETTINGS, sensors: ['a', 'b', 'c'], folds: 2, seeds: 1, gbt: { trees: 5 } });
      for (const [a, b, c] of CONDITIONS) assert.deepEqual(core.settingsOutsideTraining(six, { setting1: [a!], setting2: [b!], setting3: [c!], a: [0], b: [0], c: [0] }), []);
      const pump = core.parseRulModel(readFileSync(new URL('../../models/pump-bearing-gbt.json', import.meta.url), 'utf8'));
      assert.ok(pump.ok);
      const at = (speed: number) => core.settingsOutsideTraining(pump.value, { speed: [1480, speed], bearingTemp: [50, 51] });
      assert.deepEqual(at(1500), [], 'within 2 % of 1,480 rpm');
      assert.deepEqual(at(1800), [{ setting: 'speed', value: 1800, trained: 1480 }]);
      assert.deepEqual(at(1300), [{ setting: 'speed', value: 1300, trained: 1480 }]);
    });

    it('with six flight conditions finds six regimes and scales each sensor per regime, so the condition disappears', () => {
      const histories = fleet(30, 7);
      const pipeline = core.fitFeaturePipeline(histories, { settings: SETTINGS, sensors: ['a', 'b', 'c'] });
      assert.equal(pipeline.regimeCentres.length, 6);
      assert.deepEqual(pipeline.sensors, ['a', 'b'], 'c only changes with the condition: dropped');
      // Early in life (no wear) the scaled values of every regime sit together near their common mean.
      const z = core.scaledSensors(pipeline, histories[0]!);
      const regimes = core.regimesOf(pipeline, histories[0]!);
      const early = Array.from({ length: 40 }, (_, i) => i);
      const byRegime = new Map<number, number[]>();
      for (const i of early) byRegime.set(regimes[i]!, [...(byRegime.get(regimes[i]!) ?? []), z[0]![i]!]);
      const means = [...byRegime.values()].map((v) => v.reduce((s, x) => s + x, 0) / v.length);
      assert.ok(Math.max(...means) - Math.min(...means) < 1, `regime means of scaled sensor a: ${means.map((m) => m.toFixed(2)).join(', ')}`);
      // Unscaled, the conditions are 420 units apart.
      const a = Array.from(histories[0]!.a!).slice(0, 40);
      assert.ok(Math.max(...a) - Math.min(...a) > 100);
    });

    it('legacy window features (a pipeline saved without `features`): last, mean, slope and spread of the last 30 cycles, EWMA over all, change since the start, cycles run; no look-ahead', () => {
      const pipeline = { settings: ['setting1'], sensors: ['x'], regimeCentres: [[0]], settingScale: [1], mean: [[0]], std: [[1]], window: 30, ewmaAlpha: 0.1 };
      const x = Array.from({ length: 50 }, (_, i) => 2 * i + 1); // a ramp: slope 2
      const columns = { setting1: x.map(() => 0), x };
      const f = core.lastFeatures(pipeline, columns);
      assert.equal(f[0], 99);
      assert.equal(f[1], (41 + 99) / 2);
      assert.ok(Math.abs(f[2]! - 2) < 1e-12);
      assert.ok(Math.abs(f[3]! - 2 * Math.sqrt((30 * 30 - 1) / 12)) < 1e-9);
      // Change since the start: window mean minus the mean of the first 20 cycles (1, 3, …, 39 → 20).
      assert.equal(f[5], (41 + 99) / 2 - 20);
      assert.equal(f[6], 50);
      const changedFuture = { setting1: [...columns.setting1, 0], x: [...x, 1e6] };
      const table = core.trainingTable(pipeline, [changedFuture]);
      assert.deepEqual(Array.from(table.x.subarray(49 * 7, 50 * 7)), Array.from(f), 'row 49 ignores the cycle after it');
      assert.equal(table.y[0], 50, '50 cycles left is below the cap of 125: the target is the true RUL');
      assert.equal(table.rul[0], 50);
    });

    it('trend (slope since new) and recent window features: exact on a ramp that bends, no look-ahead', () => {
      const features: Array<import('../../dist/core/index.js').FeatureKind> = ['last', 'mean', 'slope', 'change', 'trend', 'recent', 'recentSlope'];
      const pipeline = { settings: ['setting1'], sensors: ['x'], regimeCentres: [[0]], settingScale: [1], mean: [[0]], std: [[1]], window: 30, ewmaAlpha: 0.1, features, recentWindow: 10 };
      // Flat at 5 for 40 cycles, then rising by 3 a cycle for 20 cycles.
      const x = Array.from({ length: 60 }, (_, i) => (i < 40 ? 5 : 5 + 3 * (i - 39)));
      const columns = { setting1: x.map(() => 0), x };
      const f = core.lastFeatures(pipeline, columns);
      assert.equal(f.length, 7 + 1);
      const slopeOf = (ys: number[]) => {
        const m = ys.length;
        const mx = (m - 1) / 2;
        const my = ys.reduce((a, b) => a + b, 0) / m;
        let sxy = 0;
        let sxx = 0;
        ys.forEach((y, i) => {
          sxy += (i - mx) * (y - my);
          sxx += (i - mx) * (i - mx);
        });
        return sxy / sxx;
      };
      const mean = (ys: number[]) => ys.reduce((a, b) => a + b, 0) / ys.length;
      assert.equal(f[0], 65);
      assert.ok(Math.abs(f[1]! - mean(x.slice(30))) < 1e-12);
      assert.ok(Math.abs(f[2]! - slopeOf(x.slice(30))) < 1e-12);
      assert.ok(Math.abs(f[3]! - (mean(x.slice(30)) - 5)) < 1e-12, 'change: window mean minus the first 20 cycles');
      assert.ok(Math.abs(f[4]! - slopeOf(x)) < 1e-12, `trend ${f[4]} vs ${slopeOf(x)}`);
      assert.ok(Math.abs(f[5]! - (mean(x.slice(50)) - mean(x.slice(30)))) < 1e-12);
      assert.ok(Math.abs(f[6]! - 3) < 1e-12, 'the last 10 cycles rise by 3 a cycle');
      assert.equal(f[7], 60);
      const table = core.trainingTable(pipeline, [{ setting1: [...columns.setting1, 0], x: [...x, -1e6] }]);
      assert.deepEqual(Array.from(table.x.subarray(59 * 8, 60 * 8)), Array.from(f), 'row 59 ignores the cycle after it');
      // Early rows use what there is: at cycle 1 every slope is 0.
      assert.deepEqual(Array.from(table.x.subarray(0, 8)), [5, 5, 0, 0, 0, 0, 0, 1]);
    });
  });

  describe('boosted trees', () => {
    it('learns a step and an interaction, and the same seed gives the same model', () => {
      const random = new core.SeededRandom(3);
      const n = 2000;
      const x = new Float64Array(n * 2);
      const y = new Float64Array(n);
      for (let i = 0; i < n; i++) {
        x[2 * i] = random.next();
        x[2 * i + 1] = random.next();
        y[i] = (x[2 * i]! > 0.5 ? 10 : 0) + (x[2 * i + 1]! > 0.3 && x[2 * i]! < 0.5 ? 5 : 0);
      }
      const options = { trees: 200, depth: 3, learningRate: 0.1, minLeaf: 5 };
      const model = core.fitGbt(x, y, 2, options);
      assert.ok(Math.abs(core.predictGbt(model, [0.8, 0.1]) - 10) < 0.3);
      assert.ok(Math.abs(core.predictGbt(model, [0.2, 0.8]) - 5) < 0.3);
      assert.ok(Math.abs(core.predictGbt(model, [0.2, 0.1]) - 0) < 0.3);
      assert.deepEqual(core.fitGbt(x, y, 2, options), model);
      const copy = JSON.parse(JSON.stringify(model));
      assert.equal(core.predictGbt(copy, [0.31, 0.77]), core.predictGbt(model, [0.31, 0.77]));
    });
  });

  describe('conformal intervals', () => {
    it('cover about 90% of new residuals drawn like the calibration ones, wider where predictions are high', () => {
      const random = new core.SeededRandom(11);
      const draw = (count: number) => Array.from({ length: count }, () => {
        const prediction = random.next() * 125;
        // Errors grow with the prediction.
        return { prediction, truth: prediction + random.gaussian() * (2 + prediction / 5) };
      });
      const calibration = draw(4000);
      const table = core.fitConformal(calibration.map((c) => c.prediction), calibration.map((c) => c.truth));
      const fresh = draw(4000);
      const covered = fresh.filter((c) => {
        const i = core.conformalInterval(table, c.prediction, 20);
        return c.truth >= i.lower && c.truth <= i.upper;
      }).length / fresh.length;
      assert.ok(covered > 0.87 && covered < 0.94, `coverage ${covered}`);
      const low = core.conformalInterval(table, 10, 20);
      const high = core.conformalInterval(table, 120, 20);
      assert.ok(high.upper - high.lower > 2 * (low.upper - low.lower));
      assert.ok(low.p > 0.9 && high.p < 0.01, `P(fail within 20): at 10 → ${low.p}, at 120 → ${high.p}`);
    });
  });

  describe('degradation models', () => {
    /** Health paths 1 − D with D = exp(a + b t): lives follow from a, b and the threshold. */
    function paths(shape: 'linear' | 'exponential', count: number, seed: number) {
      const random = new core.SeededRandom(seed);
      return Array.from({ length: count }, () => {
        const rate = 0.04 * (1 + 0.15 * random.gaussian());
        const life = 150 + Math.floor(random.next() * 100);
        return Array.from({ length: life }, (_, i) => {
          const t = i + 1 - life;
          const d = shape === 'exponential' ? 0.9 * Math.exp(rate * t) : Math.max(0, 0.9 + 0.9 * t / 125);
          return 1 - d - 0.005 * random.gaussian();
        });
      });
    }

    for (const shape of ['exponential', 'linear'] as const) {
      it(`${shape}: the fleet prior and the asset's own data give its remaining life, inside the 90% interval`, () => {
        const model = core.fitDegradation(shape, paths(shape, 60, 5));
        assert.ok(Math.abs(model.threshold - 0.9) < 0.02, `threshold ${model.threshold}`);
        const assets = paths(shape, 30, 99);
        const errors: number[] = [];
        let covered = 0;
        for (const path of assets) {
          const seen = path.length - 40; // 40 cycles before failure
          const estimate = core.predictDegradation(model, path.slice(0, seen), 20);
          errors.push(estimate.rul - 40);
          if (estimate.lower <= 40 && 40 <= estimate.upper) covered++;
          assert.ok(estimate.lower <= estimate.rul && estimate.rul <= estimate.upper);
        }
        assert.ok(rmse(errors) < 12, `${shape} RMSE ${rmse(errors).toFixed(1)} at 40 cycles before failure`);
        assert.ok(covered >= 21, `${covered} of 30 inside the interval`);
      });
    }

    it('a health path that improves (a bearing cooling after a speed reduction) gives "at least the ceiling", flagged by it, not a precise figure', () => {
      for (const shape of ['linear', 'exponential'] as const) {
        const model = core.fitDegradation(shape, paths(shape, 60, 5));
        const longest = Math.max(...paths(shape, 60, 5).map((p) => p.length));
        assert.equal(model.maxRul, 2 * longest);
        // Worn (past the healthy phase), then getting healthier reading by reading, for long enough to outweigh the
        // fleet's prior that assets wear.
        const improving = Array.from({ length: 200 }, (_, i) => 0.3 + 0.002 * i);
        const estimate = core.predictDegradation(model, improving, 20);
        assert.equal(estimate.ceiling, model.maxRul);
        assert.deepEqual([estimate.rul, estimate.lower, estimate.upper], [estimate.ceiling, estimate.ceiling, estimate.ceiling], `${shape}: every draw is beyond the ceiling`);
        // A wearing asset: the estimate is below the ceiling, which still comes with it.
        const wearing = core.predictDegradation(model, paths(shape, 1, 7)[0]!.slice(0, 100), 20);
        assert.ok(wearing.rul < wearing.ceiling && wearing.ceiling === model.maxRul, `${shape}: ${wearing.rul} below ${wearing.ceiling}`);
      }
    });

    it('Bayesian updating: with more of its own data the posterior moves from the fleet mean towards the asset', () => {
      const model = core.fitDegradation('linear', paths('linear', 60, 5));
      const path = paths('linear', 1, 123)[0]!;
      const early = core.posterior(model, path.slice(0, path.length - 100));
      const late = core.posterior(model, path.slice(0, path.length - 10));
      assert.ok(late.covariance[2] < early.covariance[2], 'the slope gets more certain');
    });
  });

  describe('similarity', () => {
    it('finds the remaining life of an asset whose health path matches library paths', () => {
      const library = Array.from({ length: 20 }, (_, k) => {
        const life = 150 + 5 * k;
        return Array.from({ length: life }, (_, i) => 1 - i / (life - 1));
      });
      const model = core.fitSimilarity(library, { k: 3 });
      const asset = Array.from({ length: 120 }, (_, i) => 1 - i / 199); // life 200 → 80 left
      const estimate = core.predictSimilarity(model, asset, 20);
      assert.ok(Math.abs(estimate.rul - 80) <= 10, `estimate ${estimate.rul}`);
      assert.ok(estimate.lower <= estimate.rul && estimate.rul <= estimate.upper);
      // No answer is longer than the longest life in the library (245 cycles: 244 left at the first).
      assert.equal(estimate.ceiling, 244);
      assert.ok(core.predictSimilarity(model, [1, 1, 1], 20).upper <= 244);
    });
  });

  describe('model file', () => {
    it('trains every method on a multi-regime fleet, survives JSON, and beats guessing the mean', function () {
      this.timeout(30_000);
      const train = fleet(40, 21);
      const model = core.trainRulModel(train, { settings: SETTINGS, sensors: ['a', 'b', 'c'], folds: 3, gbt: { trees: 80, depth: 3 } });
      assert.equal(model.pipeline.regimeCentres.length, 6);
      const parsed = core.parseRulModel(core.serialiseRulModel(model));
      assert.ok(parsed.ok);
      const test = fleet(20, 77);
      const errors: number[] = [];
      const guesses: number[] = [];
      for (const h of test) {
        const life = h.a!.length;
        const seen = core.historyPrefix(h, life - 30);
        const estimate = core.predictRul(parsed.value, 'gbt', seen, 20);
        assert.deepEqual(estimate, core.predictRul(model, 'gbt', seen, 20), 'the saved model gives the same estimate');
        errors.push(estimate.rul - 30);
        guesses.push(62 - 30);
        for (const method of core.RUL_METHODS) assert.ok(Number.isFinite(core.predictRul(model, method, seen, 20).rul), method);
      }
      assert.ok(rmse(errors) < rmse(guesses) / 2, `RMSE ${rmse(errors).toFixed(1)} vs ${rmse(guesses).toFixed(1)}`);
    });

    it('cross-validates by engine on training histories only, with small errors and a calibrated interval', function () {
      this.timeout(30_000);
      const cv = core.crossValidateRul(fleet(30, 21), { settings: SETTINGS, sensors: ['a', 'b', 'c'], folds: 3, seeds: 1, gbt: { trees: 80, depth: 3 } });
      assert.equal(cv.folds, 3);
      assert.equal(cv.rows, fleet(30, 21).reduce((n, h) => n + h.a!.length, 0), 'every cycle of every engine is held out once');
      assert.ok(cv.cappedRmse < 20 && cv.lateRmse < 20, JSON.stringify(cv));
      assert.ok(cv.coverage90 > 0.8 && cv.coverage90 < 0.97, `coverage ${cv.coverage90}`);
    });

    it('refuses files that are not RUL models, naming why', () => {
      assert.match((core.parseRulModel('not json') as { reason: string }).reason, /not JSON/);
      assert.match((core.parseRulModel('{"format":"x"}') as { reason: string }).reason, /not a RUL model/);
      assert.match((core.parseRulModel('{"format":"twinflow-rul-model","version":2}') as { reason: string }).reason, /version 2/);
      const model = core.trainRulModel(fleet(6, 1, [CONDITIONS[0]!]), { settings: SETTINGS, sensors: ['a', 'b'], folds: 2, seeds: 1, gbt: { trees: 5 } });
      const future = JSON.parse(core.serialiseRulModel(model));
      future.pipeline.features = ['last', 'spectralEntropy'];
      assert.match((core.parseRulModel(JSON.stringify(future)) as { reason: string }).reason, /features this package does not compute/);
    });

    it('reads model files saved before the pipeline named its features (legacy features, same estimate)', () => {
      const train = fleet(8, 3, [CONDITIONS[0]!]);
      const model = core.trainRulModel(train, { settings: SETTINGS, sensors: ['a', 'b'], folds: 2, seeds: 1, gbt: { trees: 20 }, features: core.LEGACY_FEATURES, window: 110 });
      const old = JSON.parse(core.serialiseRulModel(model));
      delete old.pipeline.features;
      delete old.pipeline.recentWindow;
      const parsed = core.parseRulModel(JSON.stringify(old));
      assert.ok(parsed.ok);
      const seen = core.historyPrefix(fleet(1, 5, [CONDITIONS[0]!])[0]!, 90);
      assert.deepEqual(core.predictRul(parsed.value, 'gbt', seen, 20), core.predictRul(model, 'gbt', seen, 20));
    });

    it('cap: the target, the interval groups and cross-validation follow it; the file keeps it and estimates never pass it', function () {
      this.timeout(60_000);
      // One condition, lives of 120–239 cycles: a cap of 300 is above every life, 60 cuts most of each.
      const train = fleet(30, 21, [CONDITIONS[0]!]);
      const test = fleet(10, 77, [CONDITIONS[0]!]);
      const options = { settings: SETTINGS, sensors: ['a', 'b'], folds: 3, seeds: 1, gbt: { trees: 60, depth: 3 } };
      const byDefault = core.trainRulModel(train, options);
      const long = core.trainRulModel(train, { ...options, cap: 300 });
      const short = core.parseRulModel(core.serialiseRulModel(core.trainRulModel(train, { ...options, cap: 60 })));
      assert.ok(short.ok);
      assert.deepEqual([byDefault.cap, long.cap, short.value.cap], [125, 300, 60], 'recorded in the model and kept in its file');
      // Interval groups at the same fractions of the learned range (groups with too few residuals merged away).
      assert.deepEqual(core.conformalEdges(125), [25, 50, 75, 100, 115]);
      assert.deepEqual(core.conformalEdges(300), [60, 120, 180, 240, 276]);
      for (const [model, cap] of [[byDefault, 125], [long, 300], [short.value, 60]] as const) {
        assert.ok(model.gbt.intervals.edges.length > 0 && model.gbt.intervals.edges.every((e) => core.conformalEdges(cap).includes(e)), `edges ${model.gbt.intervals.edges.join()} for cap ${cap}`);
      }
      // The health indicator learns min(1, RUL/cap): near 1 on a new engine with the cap at 125, about life/300 with
      // the cap above every life.
      const first = (model: typeof long) => core.healthTrajectory(model.pipeline, model.healthIndex, core.historyPrefix(test[0]!, 1))[0]!;
      assert.ok(first(long) < 0.6 && first(byDefault) > 0.75, `health at the first cycle: cap 300 ${first(long)}, cap 125 ${first(byDefault)}`);
      // Estimates: never above the cap; where the true RUL is beyond 125, only the long cap can say so.
      const early: { truth: number; long: number; byDefault: number }[] = [];
      for (const h of test) {
        const life = h.a!.length;
        for (let seen = 10; seen <= life; seen += 10) {
          const prefix = core.historyPrefix(h, seen);
          const capped = core.predictRul(short.value, 'gbt', prefix, 20);
          assert.ok(capped.rul <= 60 && capped.ceiling === 60);
          if (life - seen > 150) early.push({ truth: life - seen, long: core.predictRul(long, 'gbt', prefix, 20).rul, byDefault: core.predictRul(byDefault, 'gbt', prefix, 20).rul });
        }
      }
      assert.ok(early.length > 20 && early.every((e) => e.byDefault <= 125));
      const errors = (key: 'long' | 'byDefault') => rmse(early.map((e) => e[key] - e.truth));
      assert.ok(errors('long') < 0.7 * errors('byDefault'), `RMSE where the true RUL > 150: cap 300 ${errors('long').toFixed(1)}, cap 125 ${errors('byDefault').toFixed(1)}`);
      // Cross-validation scores against min(RUL, cap): above every life, that is the true RUL on every cycle.
      const cv = core.crossValidateRul(train, { ...options, cap: 300 });
      assert.equal(cv.cappedRmse, cv.lateRmse);
      assert.ok(cv.coverage90 > 0.8, `coverage ${cv.coverage90}`);
      // With a cap of 60 it only has to tell the last 60 cycles apart: a far smaller capped error.
      const cv60 = core.crossValidateRul(train, { ...options, cap: 60 });
      assert.ok(cv60.cappedRmse < cv.cappedRmse / 2, `capped RMSE: cap 60 ${cv60.cappedRmse}, cap 300 ${cv.cappedRmse}`);
      assert.throws(() => core.trainRulModel(train, { ...options, cap: 0 }), /cap must be a number above 0, got 0/);
      assert.throws(() => core.crossValidateRul(train, { ...options, cap: Number.NaN }), /cap must be a number above 0, got NaN/);
      const noCap = JSON.parse(core.serialiseRulModel(long));
      delete noCap.cap;
      assert.match((core.parseRulModel(JSON.stringify(noCap)) as { reason: string }).reason, /no learning target cap/);
    });

    it('refuses a history without the model\'s signals', () => {
      const model = core.trainRulModel(fleet(6, 1, [CONDITIONS[0]!]), { settings: SETTINGS, sensors: ['a', 'b'], folds: 2, gbt: { trees: 5 } });
      assert.throws(() => core.predictRul(model, 'gbt', { setting1: [0], setting2: [0], setting3: [100], a: [1] }, 20), /no signal "b"/);
    });
  });

  describe('history from the twin', () => {
    it('aligns the signals by timestamp and keeps only readings after the last part replacement', () => {
      const store = new core.TwinStore(core.normaliseDefinition({ name: 'engines', historyPoints: 100 }), new core.ManualClock(10_000));
      for (let i = 1; i <= 6; i++) store.ingest({ assetId: 'e1', ts: i * 1000, signals: { a: i, b: 10 * i } });
      store.ingest({ assetId: 'e1', ts: 6500, signals: { a: 99 } }); // b missing at this time: not a row
      store.logMaintenance('e1', { kind: 'inspection', ts: 2500 });
      assert.deepEqual(core.twinHistory(store, 'e1', ['a', 'b']).columns, { a: [1, 2, 3, 4, 5, 6], b: [10, 20, 30, 40, 50, 60] });
      store.logMaintenance('e1', { kind: 'part-replaced', ts: 3500 });
      const after = core.twinHistory(store, 'e1', ['a', 'b']);
      assert.deepEqual(after.columns, { a: [4, 5, 6], b: [40, 50, 60] });
      assert.equal(after.since, 3500);
    });

    it('finds the same rows as aligning by timestamp maps, with gaps, bad readings, late readings and replacements (copies and views; windows too)', () => {
      // The alignment as first written (a map of usable readings per signal), kept here as the reference.
      const byMaps = (store: InstanceType<typeof core.TwinStore>, assetId: string, names: readonly string[], until = Infinity, withRows?: (rows: number[]) => void): Record<string, number[]> => {
        const since = core.lastPartReplacement(store, assetId);
        const series = names.map((name) => store.history(assetId, name, since));
        const maps = series.map((s) => {
          const map = new Map<number, number>();
          s.ts.forEach((ts, i) => {
            if (s.quality[i] !== 'bad' && (since === undefined || ts > since) && ts <= until) map.set(ts, s.values[i]!);
          });
          return map;
        });
        const rows = series[0] === undefined ? [] : series[0].ts.filter((ts) => maps.every((m) => m.has(ts)));
        withRows?.(rows);
        return Object.fromEntries(names.map((name, j) => [name, rows.map((ts) => maps[j]!.get(ts)!)]));
      };
      const reading = fc.record({
        ts: fc.integer({ min: 1, max: 60 }),
        signals: fc.subarray(['a', 'b', 'c'], { minLength: 1 }),
        value: fc.integer({ min: -5, max: 20 }),
        bad: fc.boolean(),
        replaced: fc.integer({ min: 0, max: 30 }),
      });
      fc.assert(
        fc.property(fc.array(reading, { maxLength: 80 }), fc.constantFrom(['a', 'b', 'c'], ['b', 'a'], ['c'], ['a', 'a', 'b'], []), (readings, names) => {
          const store = new core.TwinStore(core.normaliseDefinition({ name: 'm', historyPoints: 20, signals: [{ name: 'a', min: -3 }] }), new core.ManualClock(1_000_000));
          for (const r of readings) {
            const signals = Object.fromEntries(r.signals.map((s, k) => [s, r.value + k]));
            const quality = r.bad ? { [r.signals[0]!]: 'bad' as const } : undefined;
            store.ingest({ assetId: 'x', ts: r.ts * 1000, signals, ...(quality ? { quality } : {}) });
            if (r.replaced === 0) store.logMaintenance('x', { kind: 'part-replaced', ts: r.ts * 1000 - 500 });
          }
          const expected = byMaps(store, 'x', names);
          assert.deepEqual(core.twinHistory(store, 'x', names).columns, expected);
          // The estimate's form: views of the store's reused buffers, with the same numbers.
          const view = core.twinHistory(store, 'x', names, { view: true }).columns;
          assert.deepEqual(Object.fromEntries(Object.entries(view).map(([name, column]) => [name, Array.from(column)])), expected);
          // Up to a time (a completed run ends at its failure), with the rows' timestamps.
          let rows: number[] = [];
          const upTo = byMaps(store, 'x', names, 30_000, (r) => (rows = r));
          const bounded = store.alignedHistoryView('x', names, core.lastPartReplacement(store, 'x'), 30_000);
          assert.deepEqual(Object.fromEntries(Object.entries(bounded.columns).map(([name, column]) => [name, Array.from(column)])), upTo);
          assert.deepEqual(names.length === 0 ? [] : Array.from(bounded.ts), names.length === 0 ? [] : rows);
          for (const name of names) {
            const series = store.history('x', name, 10_000, 40_000);
            const window = store.usableWindow('x', name, 10_000, 40_000);
            assert.deepEqual([Array.from(window.ts.subarray(0, window.count)), Array.from(window.values.subarray(0, window.count))], [series.ts.filter((_, i) => series.quality[i] !== 'bad'), series.values.filter((_, i) => series.quality[i] !== 'bad')]);
          }
        }),
        { numRuns: 500 },
      );
    });

    it('turns each logged failure into a completed run from the previous life-ending entry, once; refuses a life whose start is gone', () => {
      const store = new core.TwinStore(core.normaliseDefinition({ name: 'engines', historyPoints: 100 }), new core.ManualClock(100_000));
      for (let i = 1; i <= 20; i++) store.ingest({ assetId: 'e1', ts: i * 1000, signals: { a: i + 0.1, b: 10 * i } });
      store.logMaintenance('e1', { kind: 'part-replaced', ts: 4500 });
      store.logMaintenance('e1', { kind: 'failure', ts: 12_000, part: 'HPC' });
      store.logMaintenance('e1', { kind: 'failure', ts: 20_000 });
      const { runs, refused } = core.completedRuns(store, 'e1');
      assert.deepEqual(refused, []);
      assert.deepEqual(runs.map((r) => [r.id, r.startedAt, r.failedAt, r.cycles, r.part]), [
        ['e1@12000', 5000, 12_000, 8, 'HPC'],
        ['e1@20000', 13_000, 20_000, 8, undefined],
      ]);
      // Stored as the twin's 32-bit floats, nine digits: the same numbers the features see.
      assert.deepEqual(runs[0]!.columns.a, [5, 6, 7, 8, 9, 10, 11, 12].map((v) => Number(Math.fround(v + 0.1).toPrecision(9))));
      assert.equal(Math.fround(runs[0]!.columns.a[0]!), Math.fround(5.1));
      // A failure also ends the life for the estimate.
      assert.equal(core.twinHistory(store, 'e1', ['a']).columns.a!.length, 0);
      assert.deepEqual(core.completedRuns(store, 'e1', (id) => id === 'e1@12000' || id === 'e1@20000'), { runs: [], refused: [] });

      const small = new core.TwinStore(core.normaliseDefinition({ name: 'engines', historyPoints: 10 }), new core.ManualClock(100_000));
      for (let i = 1; i <= 20; i++) small.ingest({ assetId: 'e2', ts: i * 1000, signals: { a: i } });
      small.logMaintenance('e2', { kind: 'failure', ts: 20_000 });
      const cut = core.completedRuns(small, 'e2');
      assert.equal(cut.runs.length, 0);
      assert.match(cut.refused[0]!.reason, /keeps 10 readings per signal and has dropped the start of this life/);
    });
  });

  describe('learning from completed runs', () => {
    const model = core.trainRulModel(fleet(12, 3, [CONDITIONS[0]!]), { settings: SETTINGS, sensors: ['a', 'b', 'c'], folds: 3, gbt: { trees: 20 } });
    const runs = fleet(5, 9, [CONDITIONS[0]!]).map((columns, i) => ({ id: `r${i}`, assetId: `x${i}`, startedAt: 0, failedAt: i, cycles: columns.a!.length, columns: columns as Record<string, number[]> }));

    it('adds each new run to the similarity library and refits the degradation prior; once per run; the trees stay', () => {
      const learned = core.learnRuns(model, runs);
      assert.deepEqual(learned.added, ['r0', 'r1', 'r2', 'r3', 'r4']);
      assert.equal(learned.model.similarity.library.length, 17);
      assert.notDeepEqual(learned.model.degradation.linear.priorMean, model.degradation.linear.priorMean);
      assert.equal(learned.model.gbt, model.gbt);
      assert.equal(model.similarity.library.length, 12, 'the original model is not changed (estimates in flight see one whole model)');
      const again = core.learnRuns(learned.model, runs);
      assert.deepEqual(again.added, []);
      assert.equal(again.model, learned.model);
      // Refitting the prior over the library alone gives the trained prior back (paths rounded to 4 decimals).
      const refit = core.fitDegradation('exponential', model.similarity.library);
      assert.ok(Math.abs(refit.priorMean[1] - model.degradation.exponential.priorMean[1]) < 1e-3 * Math.abs(model.degradation.exponential.priorMean[1]));
      // It survives JSON, and what it learned is known after.
      const back = core.parseRulModel(core.serialiseRulModel(learned.model));
      assert.ok(back.ok);
      assert.deepEqual([...core.knownRuns(back.value)], ['r0', 'r1', 'r2', 'r3', 'r4']);
      const missing = core.learnRuns(model, [{ ...runs[0]!, id: 'no-b', columns: { ...runs[0]!.columns, b: undefined as unknown as number[] } }]);
      assert.match(missing.refused[0]!.reason, /no b/);
    });

    it('retraining set: file histories and runs on the signals they share; without a file only the given sensors', () => {
      const withCounter = runs.map((r) => ({ ...r, columns: { ...r.columns, cycle: r.columns.a!.map((_, i) => i + 1) } }));
      const both = core.retrainingSet(SETTINGS, fleet(3, 4, [CONDITIONS[0]!]), withCounter);
      assert.deepEqual(both.sensors, ['a', 'b', 'c']);
      assert.equal(both.histories.length, 8);
      assert.deepEqual(core.retrainingSet(SETTINGS, [], withCounter).sensors, ['a', 'b', 'c', 'cycle']);
      assert.deepEqual(core.retrainingSet(SETTINGS, [], withCounter, model.pipeline.sensors).sensors, model.pipeline.sensors);
      assert.throws(() => core.retrainingSet(['altitude'], [], runs), /settings altitude are not in every history/);
      assert.throws(() => core.retrainingSet(SETTINGS, [], []), /nothing to learn from/);
    });

    it('run library: added by id, oldest dropped beyond the limit, malformed saved runs dropped', () => {
      const library = core.emptyRunLibrary();
      assert.equal(core.addRuns(library, runs.slice(0, 3)).length, 3);
      assert.equal(core.addRuns(library, runs.slice(1, 5), 4).length, 2);
      assert.deepEqual(library.runs.map((r) => r.id), ['r1', 'r2', 'r3', 'r4']);
      // Saved as 32-bit floats (the twin's precision): what comes back is what the twin held.
      const saved = JSON.parse(JSON.stringify(core.encodeRunLibrary(library)));
      const back = core.parseRunLibrary(saved);
      assert.ok(back.ok);
      assert.deepEqual(back.value.runs.map((r) => r.id), ['r1', 'r2', 'r3', 'r4']);
      assert.deepEqual(back.value.runs[0]!.columns.a, library.runs[0]!.columns.a!.map(Math.fround));
      assert.ok(JSON.stringify(saved).length < 0.6 * JSON.stringify(library).length, 'smaller than plain JSON');
      saved.runs[0].columns.a = saved.runs[0].columns.a.slice(0, 8); // two values short
      saved.runs[1].columns.b = 'abc'; // not whole floats
      const parsed = core.parseRunLibrary(saved);
      assert.ok(parsed.ok);
      assert.equal(parsed.value.runs.length, 2);
      assert.equal(parsed.dropped, 2);
      assert.equal(core.parseRunLibrary({ format: 'other' }).ok, false);
    });
  });

  describe('model files', () => {
    it('names: plain file names only, never a path', () => {
      assert.deepEqual(core.modelFileName('FD001 fleet.json'), { ok: true, value: 'FD001 fleet.json' });
      assert.deepEqual(core.modelFileName('pump_v2'), { ok: true, value: 'pump_v2.json' });
      for (const bad of ['../x', '..', 'a/b', 'a\\b', '.hidden', '', ' ', 'x'.repeat(81), 'a..b', 'C:evil', 'nul\u0000']) {
        assert.equal(core.modelFileName(bad).ok, false, JSON.stringify(bad));
      }
      assert.equal(core.modelNameFrom('../Turbofan fleet/A'), 'Turbofan-fleet-A');
    });

    it('a model that parses but cannot estimate is found out', () => {
      const model = core.trainRulModel(fleet(6, 1, [CONDITIONS[0]!]), { settings: SETTINGS, sensors: ['a', 'b'], folds: 2, gbt: { trees: 5 } });
      assert.equal(core.rulModelFault(model), undefined);
      const broken = structuredClone(model);
      broken.gbt.ensemble[0]!.leaf = broken.gbt.ensemble[0]!.leaf.slice(0, 3);
      assert.match(core.rulModelFault(broken) ?? '', /gbt method of the model gives no estimate/);
    });
  });
});
