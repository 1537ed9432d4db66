/**
 * The optimiser on the forked pump twin: with the bearing friction risen, it finds the speed below nominal that keeps
 * the bearing under its limit while losing the least throughput, as a brute-force search of every rpm does; the
 * optimum it reports breaks no constraint; Nelder–Mead on three profile set-points beats a coarse brute-force grid.
 */
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const core = require('../../dist/core/index.js') as typeof import('../../dist/core/index.js');
type WhatIfSettings = import('../../dist/core/index.js').WhatIfSettings;
type ScenarioChanges = import('../../dist/core/index.js').ScenarioChanges;

const DEFAULTS = { horizonS: 3600, stepS: 10, runs: 1, seed: 1 };
const LIMIT = 70;
const settings: WhatIfSettings = { limits: [{ signal: 'bearingTemp', max: LIMIT }], maxPoints: 50, uncertainty: core.DEFAULT_UNCERTAINTY };

/** pump-1 at its nominal 1480 rpm with a bearing whose friction has risen to 2.2× nominal and keeps rising 5 %/h. */
function worn() {
  const forked = core.forkPump(
    {
      assetId: 'pump-1', assetClass: 'pump', version: 3, ts: 0, updatedAt: 0, staleCount: 0,
      signals: { speed: { value: 1480, ts: 0, quality: 'good' }, bearingTemp: { value: 66, ts: 0, quality: 'good' } },
      parameters: { bearingFriction: 0.0033, updatedAt: 0 },
    },
    { growthPerHour: 0.05, doublingK: 15, limitC: 90, rampRpmPerS: 100 },
  );
  assert.ok(forked.ok);
  return forked.value;
}

function optimisation(raw: Record<string, unknown>) {
  const parsed = core.parseOptimisation({ assetId: 'pump-1', horizon: '2 h', ...raw }, DEFAULTS);
  assert.ok(parsed.ok, parsed.ok ? '' : parsed.reason);
  return parsed.value;
}

async function optimise(raw: Record<string, unknown>) {
  const o = optimisation(raw);
  const outcome = await core.optimisePump(worn(), o, settings, core.kpiObjective(o.objective.kpi!));
  assert.ok(outcome.ok, outcome.ok ? '' : outcome.reason);
  return outcome.value;
}

/** Throughput over the horizon at constant speeds, and whether the bearing stayed at or under the limit at every step. */
function bruteForce(speeds: number[][], horizon = 7200, profile = false) {
  const fork = worn();
  return speeds.map((s) => {
    const changes: ScenarioChanges = profile
      ? { setpoints: {}, conditions: {}, parameters: {}, profile: s.map((speed, i) => ({ at: (i * horizon) / s.length, setpoints: { speed }, conditions: {} })) }
      : { setpoints: { speed: s[0]! }, conditions: {}, parameters: {}, profile: [] };
    const r = core.simulatePumpScenario(fork, { name: 'x', assetId: 'pump-1', horizonS: horizon, stepS: 10, runs: 1, seed: 1, changes }, settings, { name: 'x', horizonS: horizon, stepS: 10, runs: 1, seed: 1 });
    assert.ok(r.ok);
    return { speeds: s, throughput: r.value.kpis.throughputM3, safe: r.value.kpis.peak.bearingTemp! <= LIMIT };
  });
}

describe('optimising on the twin', () => {
  it('with rising bearing friction: the speed that keeps the bearing under its limit with the least throughput lost, as a brute force over every rpm finds', async () => {
    const outcome = await optimise({ variables: [{ path: 'setpoints.speed', min: 1000, max: 1600, step: 20 }], objective: 'throughputM3' });
    assert.equal(outcome.method, 'grid');
    assert.equal(outcome.evaluations, 31);
    const best = outcome.best!;
    const speed = best.values['setpoints.speed']!;
    // At the nominal 1480 rpm the worn bearing runs hot: the baseline breaks the limit.
    assert.ok(outcome.baseline.kpis.peak.bearingTemp! > LIMIT);
    assert.ok(speed < 1480, `optimum ${speed} rpm`);
    const brute = bruteForce(Array.from({ length: 601 }, (_, k) => [1000 + k]));
    const safest = brute.filter((b) => b.safe).sort((a, b) => b.throughput - a.throughput)[0]!;
    assert.ok(Math.abs(speed - safest.speeds[0]!) <= 20, `optimiser ${speed} rpm, brute force ${safest.speeds[0]} rpm`);
    // The reported optimum breaks nothing.
    assert.deepEqual(best.violations, []);
    assert.ok(best.kpis.peak.bearingTemp! <= LIMIT);
    assert.equal(best.objective, best.kpis.throughputM3);
    // The trade-off: throughput against the binding constraint, every grid point; the infeasible ones say why.
    assert.equal(outcome.tradeOff.constraint, `peak bearingTemp (limit ${LIMIT} °C)`);
    assert.equal(outcome.tradeOff.points.length, 31);
    assert.ok(outcome.tradeOff.points.filter((p) => p.feasible).every((p) => p.constraintValue <= LIMIT));
    assert.match(outcome.infeasible[0]!.reasons[0]!, /^bearingTemp above 70 after \d+ min \([\d.]+ min outside, worst [\d.]+\)$/);
    // The best setting as a scenario, ready for promotion to the actuator.
    assert.deepEqual(core.promoteScenario(outcome.scenario!), { ok: true, value: [{ assetId: 'pump-1', point: 'speed', value: speed, source: 'what-if: optimum' }] });
  });

  it('a floor on the remaining life binds when it is stricter than the temperature limit', async () => {
    const free = await optimise({ variables: [{ path: 'setpoints.speed', min: 1000, max: 1600, step: 20 }], objective: 'throughputM3' });
    // 15 % more life than the temperature limit leaves at its optimum: the bearing then has to run a few grid steps
    // slower, where it is further under the temperature limit than above the floor.
    const floor = Math.round(free.best!.kpis.rulAtEndH * 1.15);
    const bound = await optimise({ variables: [{ path: 'setpoints.speed', min: 1000, max: 1600, step: 20 }], objective: 'throughputM3', constraints: { minRulAtEndH: floor } });
    assert.ok(bound.best!.values['setpoints.speed']! < free.best!.values['setpoints.speed']!);
    assert.ok(bound.best!.kpis.rulAtEndH >= floor);
    assert.equal(bound.tradeOff.constraint, `remaining life at the end (floor ${floor} h)`);
    assert.ok(bound.infeasible.some((c) => c.reasons.some((r) => /below the [\d.]+ h floor/.test(r))));
  });

  it('minimises specific energy when asked, and reports no optimum when nothing is safe', async () => {
    const cheap = await optimise({ variables: [{ path: 'setpoints.speed', min: 1000, max: 1600, step: 50 }], objective: 'energyPerM3' });
    const all = cheap.tradeOff.points.filter((p) => p.feasible).map((p) => p.objective);
    assert.equal(cheap.best!.objective, Math.min(...all));
    const impossible = await optimise({ variables: [{ path: 'setpoints.speed', min: 1500, max: 1600, step: 50 }], objective: 'throughputM3' });
    assert.equal(impossible.best, null);
    assert.equal(impossible.scenario, null);
    assert.equal(impossible.infeasible.length, 3);
  });

  it('Nelder–Mead on three profile set-points does at least as well as a brute-force grid of 50 rpm, and stays safe', async () => {
    const variables = [0, 1, 2].map((i) => ({ path: `profile.${i}.setpoints.speed`, min: 1000, max: 1300 }));
    const profile = [0, 1, 2].map((i) => ({ at: i * 2400, setpoints: { speed: 1150 } }));
    const outcome = await optimise({ horizon: '2 h', changes: { profile }, variables, objective: 'throughputM3', maxEvaluations: 400 });
    assert.equal(outcome.method, 'nelder-mead');
    assert.ok(outcome.evaluations <= 400);
    const best = outcome.best!;
    assert.deepEqual(best.violations, []);
    const axis = [1000, 1050, 1100, 1150, 1200, 1250, 1300];
    const grid = axis.flatMap((a) => axis.flatMap((b) => axis.map((c) => [a, b, c])));
    const brute = bruteForce(grid, 7200, true).filter((b) => b.safe).sort((a, b) => b.throughput - a.throughput)[0]!;
    assert.ok(best.objective >= brute.throughput - 0.5, `Nelder–Mead ${best.objective.toFixed(1)} m³ vs grid ${brute.throughput.toFixed(1)} m³ at ${brute.speeds.join('/')}`);
    // As the friction rises the safe speed falls: the profile steps down.
    const [first, , last] = [0, 1, 2].map((i) => best.values[`profile.${i}.setpoints.speed`]!);
    assert.ok(first! > last!, `profile ${Object.values(best.values).map((v) => v.toFixed(0)).join('/')}`);
  });

  it('refuses requests it cannot run, saying why', () => {
    const reason = (raw: Record<string, unknown>) => {
      const parsed = core.parseOptimisation({ assetId: 'pump-1', ...raw }, DEFAULTS);
      assert.equal(parsed.ok, false);
      return parsed.ok ? '' : parsed.reason;
    };
    const speed = { path: 'setpoints.speed', min: 1000, max: 1600, step: 20 };
    assert.match(reason({ objective: 'throughputM3' }), /variables must list at least one/);
    assert.match(reason({ variables: [{ ...speed, path: 'speed' }], objective: 'throughputM3' }), /path must be setpoints\.<name>/);
    assert.match(reason({ variables: [{ ...speed, max: 900 }], objective: 'throughputM3' }), /max must be greater than min/);
    assert.match(reason({ variables: [{ ...speed, path: 'profile.2.setpoints.speed' }], objective: 'throughputM3' }), /names profile step 2, but changes\.profile has 0 steps/);
    assert.match(reason({ variables: [speed], objective: 'happiness' }), /objective must be one of throughputM3, energyKwh, energyPerM3, rulAtEndH/);
    assert.match(reason({ variables: [speed], objective: 'throughputM3', constraints: { maxTripProbability: 2 } }), /probability from 0 to 1/);
    assert.match(reason({ variables: [{ ...speed, step: 0.01 }, { path: 'conditions.ambientTemp', min: 0, max: 40, step: 0.1 }], objective: 'throughputM3' }), /the grid has \d+ points; at most 5000/);
    assert.deepEqual(optimisation({ variables: [speed], objective: { maximise: 'throughputM3 - 2 * energyKwh' } }).objective, { direction: 'maximise', expression: 'throughputM3 - 2 * energyKwh' });
  });
});
