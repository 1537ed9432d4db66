/**
 * The virtual model's building blocks, each checked against values computed by hand or by an independent tool:
 * physics templates (affinity laws), window statistics (simple-statistics), the EWMA chart's run lengths (Lucas &
 * Saccucci's published table), recursive least squares and the ridge baseline.
 */
import assert from 'node:assert/strict';
import * as ss from 'simple-statistics';
import {
  DEFAULT_MOTOR,
  EwmaChart,
  ManualClock,
  TwinStore,
  normaliseDefinition,
  conditionIndicators,
  ResidualMonitor,
  RecursiveLeastSquares,
  SeededRandom,
  createPhysicsModel,
  crestFactor,
  correlation,
  ewmaAverageRunLength,
  fitRidgeBaseline,
  healthIndex,
  kurtosis,
  mean,
  monotonicity,
  parseRidgeBaseline,
  predictRidgeBaseline,
  prognosability,
  rootMeanSquare,
  sampleStandardDeviation,
  slope,
  solveLinearSystem,
  standardDeviation,
  trendability,
  variance,
} from '../../dist/core/index.js';

const close = (a: number, b: number, tolerance: number, what = '') => assert.ok(Math.abs(a - b) <= tolerance, `${what} ${a} is not within ${tolerance} of ${b}`);

function expectPump(speed: number, parameters?: Record<string, number>): Record<string, number> {
  const model = createPhysicsModel('pump-physics', { parameters });
  assert.ok(model.ok);
  const out = model.value.expect(0, { speed });
  assert.ok(out.ok, out.ok ? '' : out.reason);
  return out.value;
}

describe('model templates: physics shared with the simulator', () => {
  it('the pump template gives the hand-computed operating point at rated speed', () => {
    // Q = √((H0 − Hs)/(a + b)) = √(32/0.0014) = 151.186 m³/h; H = 52 − 0.0004·Q² = 42.857 m; p = ρgH = 4.2043 bar
    const e = expectPump(1480);
    close(e.flow!, 151.186, 0.001, 'flow');
    close(e.pressure!, (1000 * 9.81 * 42.857) / 1e5, 0.0001, 'pressure');
  });

  it('follows the affinity laws on an open system: Q ∝ N, p ∝ N² (hand values at 1480 and 1184 rpm)', () => {
    const open = { staticHeadM: 0 };
    const full = expectPump(1480, open);
    const slow = expectPump(1184, open); // N ratio 0.8
    // Q = √(52/0.0014) = 192.725 m³/h at 1480; 0.8 of it at 1184: 154.180 m³/h
    close(full.flow!, 192.725, 0.001, 'flow 1480');
    close(slow.flow!, 154.180, 0.001, 'flow 1184');
    // H = 52·r² − 0.0004·Q² = 52·0.64 − 0.0004·154.18² = 23.771 m ⇒ 2.3320 bar; full: 37.143 m ⇒ 3.6437 bar
    close(slow.pressure!, 2.3320, 0.0001, 'pressure 1184');
    close(slow.pressure! / full.pressure!, 0.64, 1e-12, 'p ∝ N²');
  });

  it('the pump template declares its inputs, outputs and parameters and refuses a typo in a parameter name', () => {
    const model = createPhysicsModel('pump-physics');
    assert.ok(model.ok);
    assert.deepEqual(model.value.template.inputs.map((i) => i.name), ['speed']);
    assert.deepEqual(model.value.template.outputs.map((o) => o.name), ['flow', 'pressure', 'power', 'vibration', 'bearingTemp']);
    assert.equal(model.value.parameters.bearingFriction, 0.0015);
    const typo = createPhysicsModel('pump-physics', { parameters: { bearingFricton: 0.002 } });
    assert.ok(!typo.ok && /"bearingFricton" is not a parameter of pump-physics/.test(typo.reason));
    const missing = model.value.expect(0, { flow: 100 });
    assert.ok(!missing.ok && /needs the input speed \(rpm\)/.test(missing.reason));
  });

  it('the motor thermal template settles at T_amb + (P_iron + P_cu)·R and covers 63.2 % of the rise in one τ', () => {
    const model = createPhysicsModel('motor-thermal');
    assert.ok(model.ok);
    const tau = DEFAULT_MOTOR.thermalResistance * DEFAULT_MOTOR.heatCapacity; // 2400 s
    // Start cold at 25 °C and run at rated current: T∞ = 25 + (400 + 1200)·0.05 = 105 °C
    const first = model.value.expect(0, { current: 55, windingTemp: 25 });
    assert.ok(first.ok);
    close(first.value.windingTemp!, 25, 1e-12);
    const later = model.value.expect(tau * 1000, { current: 55 });
    assert.ok(later.ok);
    close(later.value.windingTemp!, 25 + 80 * (1 - Math.exp(-1)), 1e-9, 'after one τ');
  });
});

describe('window statistics and condition indicators (checked against simple-statistics)', () => {
  const random = new SeededRandom(11);
  const values = Array.from({ length: 500 }, () => 50 + 2 * random.gaussian() + (random.next() < 0.02 ? 15 : 0));
  const time = values.map((_, i) => i * 10);

  it('mean, variance, standard deviations and RMS agree with simple-statistics', () => {
    close(mean(values), ss.mean(values), 1e-9);
    close(variance(values), ss.variance(values), 1e-9);
    close(standardDeviation(values), ss.standardDeviation(values), 1e-9);
    close(sampleStandardDeviation(values), ss.sampleStandardDeviation(values), 1e-9);
    close(rootMeanSquare(values), ss.rootMeanSquare(values), 1e-9);
  });

  it('kurtosis m4/m2² agrees with simple-statistics\' bias-corrected excess kurtosis converted back', () => {
    // simple-statistics gives G2 = ((n+1)·g2 + 6)·(n−1)/((n−2)(n−3)); g2 = m4/m2² − 3 is the population excess.
    const n = values.length;
    const g2 = (ss.sampleKurtosis(values) * ((n - 2) * (n - 3))) / (n - 1);
    close(kurtosis(values), (g2 - 6) / (n + 1) + 3, 1e-9);
    assert.ok(kurtosis(values) > 3, 'the impacts make the distribution heavy-tailed');
  });

  it('crest factor is peak over RMS (√2 for a sine) and slope matches a least-squares line', () => {
    const sine = Array.from({ length: 1000 }, (_, i) => Math.sin((2 * Math.PI * i) / 100));
    close(crestFactor(sine), Math.SQRT2, 1e-9);
    const trend = values.map((v, i) => v + 0.01 * time[i]!);
    close(slope(time, trend), ss.linearRegression(time.map((t, i) => [t, trend[i]!])).m, 1e-12);
    close(correlation(time, trend), ss.sampleCorrelation(time, trend), 1e-12);
  });

  it('condition indicators of a window read from the twin (typed-array views) agree with simple-statistics', () => {
    // One reading a minute for ten hours, a window of the last hour; plant time runs 60× telemetry time.
    const t0 = Date.UTC(2026, 0, 1);
    const store = new TwinStore(normaliseDefinition({ name: 'pump', historyPoints: 1000 }), new ManualClock(t0 + 1e9));
    for (let i = 0; i < 600; i++) store.ingest({ assetId: 'p', ts: t0 + i * 60_000, signals: { vibration: values[i % values.length]! + 0.002 * i } });
    store.ingest({ assetId: 'p', ts: t0 + 580 * 60_000 + 1, signals: { vibration: 1e6 }, quality: { vibration: 'bad' } });
    const to = t0 + 599 * 60_000;
    const window = store.usableWindow('p', 'vibration', to - 3_600_000, to);
    const reference = store.history('p', 'vibration', to - 3_600_000, to);
    const usable = reference.values.filter((_, i) => reference.quality[i] !== 'bad');
    const usableTs = reference.ts.filter((_, i) => reference.quality[i] !== 'bad');
    assert.equal(usable.length, 61, 'both ends of the window are included, the bad reading is not');
    assert.equal(window.count, 61);
    const found = conditionIndicators(window.ts, window.values, 60, window.count)!;
    assert.equal(found.points, 61);
    close(found.rms, ss.rootMeanSquare(usable), 1e-9);
    const n = usable.length;
    const g2 = (ss.sampleKurtosis(usable) * ((n - 2) * (n - 3))) / (n - 1);
    close(found.kurtosis!, (g2 - 6) / (n + 1) + 3, 1e-9);
    close(found.crestFactor!, Math.max(...usable.map(Math.abs)) / ss.rootMeanSquare(usable), 1e-12);
    const hours = usableTs.map((t) => (t * 60) / 3_600_000);
    close(found.slopePerHour!, ss.linearRegression(hours.map((h, i) => [h, usable[i]!])).m, 1e-9);
    assert.equal(conditionIndicators(new Float64Array(0), new Float64Array(0)), undefined);
    assert.deepEqual(conditionIndicators([5, 5], [2, 2]), { points: 2, rms: 2, kurtosis: null, crestFactor: 1, slopePerHour: null });
  });

  it('refuses windows it cannot answer for, with a sentence', () => {
    assert.throws(() => mean([]), /mean requires at least 1 value/);
    assert.throws(() => kurtosis([2, 2, 2]), /undefined when all values are equal/);
    assert.throws(() => slope([1, 1], [2, 3]), /all x values are equal/);
  });

  it('prognostic metrics: a clean rising trend scores 1 on all three, noise scores low', () => {
    const rising = [[0, 1, 2, 3, 4], [0, 2, 4, 6, 8, 10].map((v) => v * 0.4)];
    assert.equal(monotonicity(rising), 1);
    close(trendability(rising), 1, 1e-12);
    // values at failure 4 and 4: no spread ⇒ exp(0)
    close(prognosability(rising), 1, 1e-12);
    const noise = [0, 1, 2].map(() => Array.from({ length: 200 }, () => random.gaussian()));
    assert.ok(monotonicity(noise) < 0.2);
    assert.ok(trendability(noise) < 0.2);
  });
});

describe('EWMA control chart and health index', () => {
  it('average run lengths match Lucas & Saccucci (1990): λ = 0.1, L = 2.814 gives ARL₀ ≈ 500 and 10.3 at a 1σ shift', () => {
    close(ewmaAverageRunLength(0.1, 2.814), 500, 5, 'ARL0');
    close(ewmaAverageRunLength(0.1, 2.814, 1), 10.3, 0.1, 'ARL 1σ');
    close(ewmaAverageRunLength(0.25, 2.998), 500, 5, 'ARL0 λ=0.25');
  });

  it('the default chart (λ = 0.1, L = 5): ARL₀ in the millions, 1σ detected in under 40 updates', () => {
    const arl0 = ewmaAverageRunLength(0.1, 5);
    const arl1 = ewmaAverageRunLength(0.1, 5, 1);
    console.log(`      default chart: ARL0 = ${arl0.toFixed(0)} updates, ARL(1σ) = ${arl1.toFixed(1)}, ARL(2σ) = ${ewmaAverageRunLength(0.1, 5, 2).toFixed(1)}`);
    assert.ok(arl0 > 1e6);
    assert.ok(arl1 < 40);
  });

  it('hysteresis: a flag raised by a 3σ shift stays up until the smoothed residual falls below half the limit', () => {
    const chart = new EwmaChart({ lambda: 0.1, limit: 5, clearLimit: 2.5 });
    const sigma = Math.sqrt(0.1 / 1.9);
    let k = 0;
    while (!chart.update(3)) k++;
    // Z = 3·(1 − 0.9^n) > 5σ_Z = 1.147 ⇒ n > ln(1 − 1.147/3)/ln 0.9 = 4.58 ⇒ the 5th update
    assert.equal(k + 1, 5);
    let down = 0;
    while (chart.update(0)) down++;
    // Z falls by 0.9 per update from 3·(1 − 0.9⁵) = 1.229 to below 2.5σ_Z = 0.574: 8 updates
    assert.equal(down + 1, Math.ceil(Math.log((2.5 * sigma) / (3 * (1 - 0.9 ** 5))) / Math.log(0.9)));
  });

  it('residual monitor: settles, learns mean and std on the healthy window, then normalises with them', () => {
    const monitor = new ResidualMonitor({ signals: ['t'], healthyWindowMs: 10_000, settlingMs: 5000 });
    // settling: 0–4 s, ignored (a large start-up error); window 5–15 s: residual alternates 1 ± 0.5
    for (let s = 0; s < 5; s++) assert.equal(monitor.update(s * 1000, { t: 50 + 10 }, { t: 50 }).learning, true);
    for (let s = 5; s <= 15; s++) monitor.update(s * 1000, { t: 51 + (s % 2 ? 0.5 : -0.5) }, { t: 50 });
    const after = monitor.update(16_000, { t: 53 }, { t: 50 });
    assert.equal(after.learning, false);
    const scale = monitor.scales.t!;
    const window = Array.from({ length: 11 }, (_, i) => 1 + ((i + 5) % 2 ? 0.5 : -0.5));
    close(scale.mean, ss.mean(window), 1e-12);
    close(scale.std, ss.sampleStandardDeviation(window), 1e-12);
    close(after.normalisedResiduals.t!, (3 - scale.mean) / scale.std, 1e-9);
  });

  it('health index: 1 at zero residual, exp(−s²/2) for every signal s standard deviations off', () => {
    assert.equal(healthIndex(0), 1);
    close(healthIndex(4), Math.exp(-2), 1e-15);
    assert.throws(() => healthIndex(-1));
  });

  it('the monitor gives its health index to four decimals: a large fault reads 0, not 2e-234', () => {
    const monitor = new ResidualMonitor({ signals: ['t'], healthyWindowMs: 10_000 });
    for (let s = 0; s <= 10; s++) monitor.update(s * 1000, { t: 51 + (s % 2 ? 0.5 : -0.5) }, { t: 50 });
    let last = monitor.update(11_000, { t: 51.2 }, { t: 50 });
    assert.equal(last.healthIndex, Math.round(last.healthIndex! * 1e4) / 1e4);
    assert.ok(last.healthIndex > 0.9, `healthy: ${last.healthIndex}`);
    // 1,000 healthy standard deviations off for long enough that the smoothed residual follows
    for (let s = 12; s < 60; s++) last = monitor.update(s * 1000, { t: 600 }, { t: 50 });
    assert.equal(last.healthIndex, 0);
  });
});

describe('recursive least squares and the ridge baseline', () => {
  it('RLS recovers y = 2·x₁ − 3·x₂ from noisy samples and follows a step in the first parameter', () => {
    const random = new SeededRandom(3);
    const rls = new RecursiveLeastSquares([0, 0], 0.95, 100);
    let a = 2;
    for (let k = 0; k < 400; k++) {
      if (k === 200) a = 3;
      const x1 = random.gaussian();
      const x2 = random.gaussian();
      rls.update([x1, x2], a * x1 - 3 * x2 + 0.01 * random.gaussian());
      if (k === 199) close(rls.estimate[0]!, 2, 0.01, 'before the step');
    }
    close(rls.estimate[0]!, 3, 0.01, 'after the step');
    close(rls.estimate[1]!, -3, 0.01);
  });

  it('linear solver: solves a system and reports a singular one', () => {
    assert.deepEqual(solveLinearSystem([[2, 1], [1, 3]], [[3], [5]])!.map((r) => Math.round(r[0]! * 1e12) / 1e12), [0.8, 1.4]);
    assert.equal(solveLinearSystem([[1, 2], [2, 4]], [[1], [2]]), undefined);
  });

  it('ridge with a tiny penalty recovers a known multi-output plane; a given baseline round-trips through JSON', () => {
    const random = new SeededRandom(8);
    const x = Array.from({ length: 200 }, () => [random.next() * 10, random.next() * 5]);
    const y = x.map(([a, b]) => [1 + 2 * a! - b!, 5 - 0.5 * a!]);
    const fit = fitRidgeBaseline(x, y, { inputs: ['load', 'ambient'], outputs: ['temp', 'flow'], alpha: 1e-9 });
    assert.ok(fit.ok);
    const p = predictRidgeBaseline(fit.value, { load: 4, ambient: 2 });
    assert.ok(p.ok);
    close(p.value.temp!, 1 + 8 - 2, 1e-6);
    close(p.value.flow!, 5 - 2, 1e-6);
    const again = parseRidgeBaseline(JSON.parse(JSON.stringify(fit.value)));
    assert.ok(again.ok);
    assert.deepEqual(predictRidgeBaseline(again.value, { load: 4, ambient: 2 }), p);
    const missing = predictRidgeBaseline(fit.value, { load: 4 });
    assert.ok(!missing.ok && /needs the input ambient/.test(missing.reason));
  });

  it('ridge with one input agrees with simple-statistics\' least-squares line when the penalty is zero', () => {
    const random = new SeededRandom(9);
    const x = Array.from({ length: 100 }, () => [random.next() * 100]);
    const y = x.map(([v]) => [3 + 0.7 * v! + random.gaussian()]);
    const fit = fitRidgeBaseline(x, y, { inputs: ['speed'], outputs: ['flow'], alpha: 0 });
    assert.ok(fit.ok);
    const line = ss.linearRegression(x.map(([v], i) => [v!, y[i]![0]!]));
    const at = (v: number) => {
      const r = predictRidgeBaseline(fit.value, { speed: v });
      assert.ok(r.ok);
      return r.value.flow!;
    };
    close(at(0), line.b, 1e-6);
    close(at(50) - at(0), 50 * line.m, 1e-6);
  });
});
