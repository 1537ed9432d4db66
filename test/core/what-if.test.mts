/**
 * The what-if core: scenarios parsed at the door, the pump simulated from a fork of the twin with the simulator's
 * physics and the bearing wear law, checked against cases integrated by hand; Monte Carlo bands; comparison with the
 * baseline; promotion to actuator commands.
 */
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import fc from 'fast-check';

const require = createRequire(import.meta.url);
const core = require('../../dist/core/index.js') as typeof import('../../dist/core/index.js');
type AssetSnapshot = import('../../dist/core/index.js').AssetSnapshot;
type PumpFork = import('../../dist/core/index.js').PumpFork;
type WhatIfSettings = import('../../dist/core/index.js').WhatIfSettings;

const DEFAULTS = { horizonS: 3600, stepS: 10, runs: 1, seed: 1 };
const NO_LIMITS: WhatIfSettings = { limits: [], maxPoints: 200, uncertainty: core.DEFAULT_UNCERTAINTY };

function snapshot(speed: number, bearingTemp: number, extra: Partial<AssetSnapshot> = {}): AssetSnapshot {
  return {
    assetId: 'pump-1',
    assetClass: 'pump',
    version: 12,
    ts: 1_700_000_000_000,
    updatedAt: 1_700_000_000_000,
    staleCount: 0,
    signals: { speed: { value: speed, ts: 0, quality: 'good' }, bearingTemp: { value: bearingTemp, ts: 0, quality: 'good' } },
    ...extra,
  };
}

function fork(options: Partial<{ growthPerHour: number; doublingK: number; limitC: number; rampRpmPerS: number }> = {}, snap = snapshot(1480, 52.9)): PumpFork {
  const forked = core.forkPump(snap, { growthPerHour: 0.05, doublingK: 15, limitC: 90, rampRpmPerS: 100, ...options });
  assert.ok(forked.ok, forked.ok ? '' : forked.reason);
  return forked.value;
}

function scenarios(raw: unknown) {
  const parsed = core.parseScenarios(raw, DEFAULTS);
  assert.ok(parsed.ok, parsed.ok ? '' : parsed.reason);
  return parsed.value;
}

function run(f: PumpFork, raw: unknown, settings: WhatIfSettings = NO_LIMITS) {
  const outcome = core.runPumpWhatIf(f, scenarios(raw), settings);
  assert.ok(outcome.ok, outcome.ok ? '' : outcome.reason);
  return outcome.value;
}

// The default pump's bearing, by hand: radial load 4000 N, bore 0.05 m, R_th 1.2 K/W, C 500 J/K (τ = 600 s),
// ambient 25 °C, nominal friction 0.0015. Heat per unit friction at n rpm: F·(d/2)·ω = 4000·0.025·(2π·n/60).
const heatPerFriction = (rpm: number) => 4000 * 0.025 * ((2 * Math.PI * rpm) / 60);

describe('what-if core', () => {
  describe('scenarios at the door', () => {
    it('reads durations in seconds or with units, and fills what the message leaves out from the node defaults', () => {
      const [s] = scenarios({ name: 'faster', assetId: 'pump-1', horizon: '90 min', step: '30 s', changes: { setpoints: { speed: 1600 } } });
      assert.equal(s!.horizonS, 5400);
      assert.equal(s!.stepS, 30);
      assert.equal(s!.runs, 1);
      assert.deepEqual(s!.changes.setpoints, { speed: 1600 });
      const [t] = scenarios({ assetId: 'pump-1', horizon: 7200 });
      assert.equal(t!.name, 'scenario 1');
      assert.equal(t!.horizonS, 7200);
      assert.equal(t!.stepS, 10);
    });

    it('takes { assetId, scenarios } with the asset shared by every scenario, and sorts a profile by time', () => {
      const list = scenarios({ assetId: 'pump-1', scenarios: [{ name: 'a', changes: { profile: [{ at: '1 h', setpoints: { speed: 1000 } }, { at: 0, setpoints: { speed: 1600 } }] } }, { name: 'b' }] });
      assert.deepEqual(list.map((s) => [s.name, s.assetId]), [['a', 'pump-1'], ['b', 'pump-1']]);
      assert.deepEqual(list[0]!.changes.profile.map((p) => p.at), [0, 3600]);
    });

    it('refuses what it cannot run, saying why', () => {
      const reason = (raw: unknown) => {
        const parsed = core.parseScenarios(raw, DEFAULTS);
        assert.equal(parsed.ok, false);
        return parsed.ok ? '' : parsed.reason;
      };
      assert.match(reason('speed up'), /must be an object/);
      assert.match(reason({ name: 'x' }), /needs an assetId/);
      assert.match(reason({ assetId: 'p', horizon: 'soon' }), /horizon must be seconds or a duration/);
      assert.match(reason({ assetId: 'p', horizon: -5 }), /positive number of seconds/);
      assert.match(reason({ assetId: 'p', horizon: 10, step: 60 }), /longer than the horizon/);
      assert.match(reason({ assetId: 'p', runs: 0 }), /runs must be a whole number from 1 to 10000/);
      assert.match(reason({ assetId: 'p', runs: 2.5 }), /runs must be a whole number/);
      assert.match(reason({ assetId: 'p', changes: { speed: 1600 } }), /changes\.speed is not one of setpoints, conditions, parameters or profile/);
      assert.match(reason({ assetId: 'p', changes: { setpoints: { speed: 'fast' } } }), /changes\.setpoints\.speed must be a finite number/);
      assert.match(reason({ assetId: 'p', changes: { setpoints: { speed: NaN } } }), /finite number/);
      assert.match(reason({ assetId: 'p', changes: { profile: [{ at: '3 h' }] } }), /after the horizon/);
      assert.match(reason([{ name: 'a', assetId: 'p' }, { name: 'a', assetId: 'p' }]), /two scenarios are named "a"/);
      assert.match(reason({ assetId: 'p', horizon: '30 d', step: 1 }), /steps per run is too many/);
      assert.match(reason({ assetId: 'p', horizon: '10 h', step: 10, runs: 10_000 }), /simulation steps .* at most 20,000,000 per message/);
      assert.match(reason([]), /no scenario/);
    });

    it('the model refuses setpoints, conditions and parameters it does not know', () => {
      const f = fork();
      const reason = (changes: unknown) => {
        const outcome = core.runPumpWhatIf(f, scenarios({ name: 'x', assetId: 'pump-1', changes }), NO_LIMITS);
        assert.equal(outcome.ok, false);
        return outcome.ok ? '' : outcome.reason;
      };
      assert.match(reason({ setpoints: { valve: 50 } }), /setpoint "valve" is not known to the pump model \(it knows speed\)/);
      assert.match(reason({ conditions: { humidity: 80 } }), /condition "humidity" is not known/);
      assert.match(reason({ parameters: { colour: 1 } }), /parameter "colour" is not known/);
      assert.match(reason({ parameters: { bearingThermalResistance: 0 } }), /bearingThermalResistance must be greater than 0/);
      assert.match(reason({ setpoints: { speed: -10 } }), /speed setpoint must be ≥ 0/);
    });
  });

  describe('the fork', () => {
    it('starts from the twin: fresh speed and bearing temperature, a pending desired speed, the estimated friction', () => {
      const f = fork({}, snapshot(1400, 55, {
        desired: { speed: { value: 1300, ts: 0, state: 'pending' } },
        parameters: { bearingFriction: 0.0021, bearingFrictionRatio: 1.4, updatedAt: 0 },
      }));
      assert.equal(f.speedRpm, 1400);
      assert.equal(f.setpointRpm, 1300);
      assert.equal(f.bearingTempC, 55);
      assert.equal(f.parameters.bearingFriction, 0.0021);
      assert.equal(f.version, 12);
      // A reached desired value is the setpoint the drive holds while the reading agrees with it (within 2 %); one the
      // machine overrode or that expired is not, nor one the machine has moved away from since (the twin keeps it
      // 'reached': found by review, a baseline at 1300 rpm for a pump running at 1400).
      const reached = fork({}, snapshot(1307, 55, { desired: { speed: { value: 1300, ts: 0, state: 'reached' } } }));
      assert.equal(reached.setpointRpm, 1300);
      const movedSince = fork({}, snapshot(1400, 55, { desired: { speed: { value: 1300, ts: 0, state: 'reached' } } }));
      assert.equal(movedSince.setpointRpm, 1400);
      assert.equal(movedSince.wear.referenceSpeedRpm, 1400);
      const overridden = fork({}, snapshot(1400, 55, { desired: { speed: { value: 1300, ts: 0, state: 'overridden' } } }));
      assert.equal(overridden.setpointRpm, 1400);
    });

    it('refuses a twin that cannot support a prediction', () => {
      const options = { growthPerHour: 0.05, doublingK: 15, limitC: 90, rampRpmPerS: 100 };
      const stale = snapshot(1480, 50);
      stale.signals.speed!.stale = true;
      assert.deepEqual(core.forkPump(stale, options), { ok: false, reason: 'the speed reading of pump-1 is stale: a what-if needs a live twin' });
      const bad = snapshot(1480, 50);
      bad.signals.bearingTemp!.quality = 'bad';
      assert.match((core.forkPump(bad, options) as { reason: string }).reason, /bearingTemp reading of pump-1 is bad/);
      const failedSensor = snapshot(1480, 50);
      failedSensor.signals.bearingTemp!.badSince = failedSensor.signals.bearingTemp!.ts + 1000;
      assert.deepEqual(core.forkPump(failedSensor, options), { ok: false, reason: 'the bearingTemp sensor of pump-1 is reported bad: a what-if needs its reading' });
      const missing = snapshot(1480, 50);
      delete (missing.signals as Record<string, unknown>).bearingTemp;
      assert.match((core.forkPump(missing, options) as { reason: string }).reason, /no bearingTemp reading/);
      assert.match((core.forkPump(undefined, options) as { reason: string }).reason, /no such asset/);
    });
  });

  describe('against cases integrated by hand', () => {
    it('a speed step with no wear: the bearing follows T∞ + (T₀ − T∞)·e^(−t/τ)', () => {
      // Drive ramp fast enough to reach 1700 rpm within the first step; wear off.
      const f = fork({ growthPerHour: 0, rampRpmPerS: 1e6 });
      const outcome = run(f, { name: 'faster', assetId: 'pump-1', horizon: 1800, step: 1, changes: { setpoints: { speed: 1700 } } });
      const s = outcome.scenarios[0]!;
      const steady = 25 + 0.0015 * heatPerFriction(1700) * 1.2; // 57.04 °C
      const expected = (t: number) => steady + (52.9 - steady) * Math.exp(-t / 600);
      const temps = s.trajectories.bearingTemp!;
      for (const k of [1, 10, temps.length - 1]) assert.ok(Math.abs(temps[k]! - expected(s.t[k]!)) < 1e-9, `t=${s.t[k]}: ${temps[k]} vs ${expected(s.t[k]!)}`);
      assert.ok(Math.abs(s.kpis.atEnd.bearingTemp! - expected(1800)) < 1e-9);
      assert.equal(s.kpis.atEnd.speed, 1700);
      assert.equal(s.kpis.atEnd.bearingFriction, 0.0015);
    });

    it('linear wear (no temperature effect): friction grows g·μ·(n/n_ref) per hour and the remaining life follows', () => {
      const f = fork({ growthPerHour: 0.05, doublingK: Infinity, limitC: 90, rampRpmPerS: 1e6 });
      const outcome = run(f, { name: 'faster', assetId: 'pump-1', horizon: '2 h', step: 10, changes: { setpoints: { speed: 1700 } } });
      const s = outcome.scenarios[0]!;
      const growthPerHour = 0.05 * 0.0015 * (1700 / 1480);
      const frictionAtEnd = 0.0015 + growthPerHour * 2;
      assert.ok(Math.abs(s.kpis.atEnd.bearingFriction! - frictionAtEnd) < 1e-12);
      // The bearing trips at 90 °C: μ_fail = (90 − 25)/(R·heat per friction at 1700 rpm).
      const failure = 65 / (1.2 * heatPerFriction(1700));
      const rul = (failure - frictionAtEnd) / growthPerHour;
      assert.ok(Math.abs(s.kpis.rulAtEndH - rul) < 1e-9, `${s.kpis.rulAtEndH} vs ${rul}`);
      // The baseline at 1480 rpm wears slower and trips at a higher friction: it lives longer.
      const b = outcome.baseline;
      const baseGrowth = 0.05 * 0.0015;
      const baseRul = (65 / (1.2 * heatPerFriction(1480)) - (0.0015 + baseGrowth * 2)) / baseGrowth;
      assert.ok(Math.abs(b.kpis.rulAtEndH - baseRul) < 1e-9);
      assert.ok(s.kpis.rulAtEndH < b.kpis.rulAtEndH);
    });

    it('with temperature-accelerated wear the closed-form life matches a fine numerical integration', () => {
      const p = { ...core.DEFAULT_PUMP, bearingFriction: 0.002, ambientTempC: 30 };
      const wear = { growthPerHour: 0.05, referenceSpeedRpm: 1480, referenceAmbientC: 25, doublingK: 15, limitC: 90 };
      const closed = core.remainingLifeHours(p, wear, 1600, 0.002);
      // Euler in steps of 36 s of the quasi-steady ODE, written out independently of the library: wear doubles for
      // every 15 K the bearing runs hotter than it would at the same friction at 1480 rpm in a 25 °C room.
      const heat = heatPerFriction(1600) * 1.2;
      const normalHeat = heatPerFriction(1480) * 1.2;
      let mu = 0.002;
      let hours = 0;
      const dt = 0.01;
      while (30 + heat * mu < 90) {
        mu += 0.05 * 0.0015 * (1600 / 1480) * Math.pow(2, (30 + heat * mu - (25 + normalHeat * mu)) / 15) * dt;
        hours += dt;
      }
      assert.ok(Math.abs(closed - hours) / hours < 0.005, `closed form ${closed} h vs integrated ${hours} h`);
      assert.equal(core.remainingLifeHours(p, wear, 1600, 1), 0, 'already past the trip point');
      assert.equal(core.remainingLifeHours(p, { ...wear, growthPerHour: 0 }, 1600, 0.002), core.MAX_RUL_HOURS);
      // At the reference conditions the law is the linear wear of a normal life, however hot the worn bearing runs.
      const normal = { ...core.DEFAULT_PUMP, ambientTempC: 25 };
      assert.ok(Math.abs(core.remainingLifeHours(normal, wear, 1480, 0.0015) - (65 / (1.2 * heatPerFriction(1480)) - 0.0015) / (0.05 * 0.0015)) < 1e-9);
    });

    it('a limit crossing is reported when the first-order response says it happens', () => {
      const f = fork({ growthPerHour: 0, rampRpmPerS: 1e6 });
      const settings = { ...NO_LIMITS, limits: [{ signal: 'bearingTemp', max: 56 }] };
      const s = run(f, { name: 'faster', assetId: 'pump-1', horizon: 3600, step: 1, changes: { setpoints: { speed: 1700 } } }, settings).scenarios[0]!;
      const steady = 25 + 0.0015 * heatPerFriction(1700) * 1.2;
      const crossing = 600 * Math.log((steady - 52.9) / (steady - 56)); // ≈ 823 s
      assert.equal(s.violations.length, 1);
      const v = s.violations[0]!;
      assert.equal(v.signal, 'bearingTemp');
      assert.equal(v.bound, 'max');
      assert.equal(v.probability, 1);
      assert.ok(Math.abs(v.firstAtS - crossing) <= 1, `${v.firstAtS} vs ${crossing}`);
      assert.ok(Math.abs(s.kpis.timeOutsideLimitsS.bearingTemp! - (3600 - crossing)) <= 1);
      assert.equal(outcomeBaselineViolations(f, settings), 0);
    });
  });

  describe('comparing with the baseline', () => {
    it('a higher speed predicts a hotter bearing, a shorter life, more throughput and more energy, and says so', () => {
      const outcome = run(fork(), { name: 'faster', assetId: 'pump-1', horizon: '2 h', changes: { setpoints: { speed: 1650 } } });
      const s = outcome.scenarios[0]!;
      const b = outcome.baseline;
      assert.ok(s.kpis.peak.bearingTemp! > b.kpis.peak.bearingTemp! + 1);
      assert.ok(s.kpis.rulAtEndH < b.kpis.rulAtEndH);
      assert.ok(s.kpis.throughputM3 > b.kpis.throughputM3);
      assert.ok(s.kpis.energyKwh > b.kpis.energyKwh);
      const c = s.comparison!;
      assert.ok(c.differences.rulAtEndH < 0 && c.differences.peakBearingTempC > 0);
      assert.match(c.statements[0]!, /^remaining bearing life at the end [\d.]+ h shorter \(−\d+ %\)/);
      assert.ok(c.statements.some((t) => /K hotter than the baseline/.test(t)));
      assert.deepEqual(outcome.table.map((r) => r.scenario), ['baseline', 'faster']);
      assert.equal(outcome.table[1]!.rulAtEndH, Math.round(s.kpis.rulAtEndH * 10) / 10);
      // The baseline holds the speed the twin reports.
      assert.ok(b.trajectories.speed!.every((v) => v === 1480));
    });

    it('a lower speed and a cooler room both lengthen the life; scenarios of one message share one baseline', () => {
      const outcome = run(fork(), [
        { name: 'slower', assetId: 'pump-1', changes: { setpoints: { speed: 1300 } } },
        { name: 'cool room', assetId: 'pump-1', changes: { conditions: { ambientTemp: 15 } } },
      ]);
      const [slower, cool] = outcome.scenarios;
      assert.ok(slower!.kpis.rulAtEndH > outcome.baseline.kpis.rulAtEndH);
      assert.ok(cool!.kpis.rulAtEndH > outcome.baseline.kpis.rulAtEndH);
      assert.ok(cool!.kpis.peak.bearingTemp! <= outcome.baseline.kpis.peak.bearingTemp!);
      assert.equal(outcome.table.length, 3);
    });

    it('a profile changes the speed at the given time', () => {
      const s = run(fork({ rampRpmPerS: 1e6 }), { name: 'night', assetId: 'pump-1', horizon: '1 h', step: 60, changes: { profile: [{ at: '30 min', setpoints: { speed: 1200 } }] } }).scenarios[0]!;
      const speedAt = (seconds: number) => s.trajectories.speed![s.t.indexOf(seconds)]!;
      assert.equal(speedAt(1800), 1480);
      assert.equal(speedAt(1860), 1200);
      assert.equal(speedAt(3600), 1200);
    });

    it('trajectories are decimated to the chart size, keeping the start and the end', () => {
      const s = run(fork(), { name: 'x', assetId: 'pump-1', horizon: '10 h', step: 1 }, { ...NO_LIMITS, maxPoints: 100 }).scenarios[0]!;
      assert.ok(s.t.length <= 101 && s.t.length >= 90, `${s.t.length} points`);
      assert.equal(s.t[0], 0);
      assert.equal(s.t[s.t.length - 1], 36_000);
      assert.equal(s.trajectories.flow!.length, s.t.length);
    });
  });

  describe('against the demo\'s simulated pump', () => {
    // The demo's pumps (flows/demo.json): one reading a minute of plant time, bearing friction +5 % of new per hour,
    // 0.5 % noise, 1480 rpm, the bearing fails when it passes 90 °C (about 26 h from new). The twin's friction is the
    // estimate twin-model makes from those readings; the what-if node is set up as in the demo (5 %/h, doubling every
    // 15 K, trip at 90 °C).
    const READING_S = 60;
    function demoPumpLife() {
      const pump = new core.PumpSimulator({ assetId: 'pump-1', seed: 1, noise: 0.005, frictionGrowthPerHour: 0.05, speedSetpointRpm: 1480 });
      const estimator = new core.PumpParameterEstimator(core.DEFAULT_PUMP, { timeScale: READING_S, forgetting: 0.98 });
      const readings: Array<{ speed: number; bearingTemp: number; friction: number }> = [];
      for (let i = 1; i < 5000; i++) {
        const r = pump.step(i * 1000, READING_S).signals as { speed: number; bearingTemp: number };
        readings.push({ speed: r.speed, bearingTemp: r.bearingTemp, friction: estimator.update(i * 1000, r).bearingFriction });
        if (r.bearingTemp > 90) break;
      }
      return { readings, failedAtH: (readings.length * READING_S) / 3600 };
    }
    const life = demoPumpLife();
    /** The what-if's view after `hours` of plant time: the fork's remaining life now and the baseline's (horizon + life left at its end). */
    function whatIfAfter(hours: number) {
      const seen = life.readings.slice(0, Math.round((hours * 3600) / READING_S));
      const r = seen[seen.length - 1]!;
      const meanSpeed = seen.reduce((sum, x) => sum + x.speed, 0) / seen.length;
      const snap = snapshot(r.speed, r.bearingTemp, {
        parameters: { bearingFriction: r.friction, updatedAt: 0 },
        statistics: { speed: { count: seen.length, mean: meanSpeed, std: 7.4, min: 0, max: 0, slopePerSecond: 0, ewma: r.speed } },
      });
      const outcome = run(fork({}, snap), { name: 'as now', assetId: 'pump-1', horizon: '2 h', step: 60 });
      return { truthH: life.failedAtH - hours, nowH: outcome.fork.rulNowH, baselineH: 2 + outcome.baseline.kpis.rulAtEndH };
    }

    it('the bearing of the simulated pump fails after about 26 plant hours at 1480 rpm', () => {
      assert.ok(life.failedAtH > 25.5 && life.failedAtH < 27, `${life.failedAtH} h`);
    });

    // Tolerance 1.5 h, both ways: the friction twin-model estimates trails the true one by its memory of about 50
    // readings (forgetting 0.98), about 0.8 h of wear, so the what-if reads a slightly younger bearing; and the failure
    // is the first noisy reading above 90 °C (noise 0.45 K there, the bearing warming 1.4 K/h), up to about 0.8 h before
    // the true crossing (seeds 1–5: the what-if is 0.5–1.6 h long; here 0.8 h after 2 h and 1.1 h after 15 h). The
    // fault this guards against was 12.7 h for 24.4 h after 2 h, and 9.3 h for 11.4 h after 15 h.
    for (const hours of [2, 15]) {
      it(`after ${hours} h the what-if's remaining life is the simulated time to 90 °C within 1.5 h`, () => {
        const w = whatIfAfter(hours);
        assert.ok(Math.abs(w.nowH - w.truthH) < 1.5, `what-if now ${w.nowH.toFixed(2)} h, simulated ${w.truthH.toFixed(2)} h`);
        assert.ok(Math.abs(w.baselineH - w.truthH) < 1.5, `baseline (2 h + life left at its end) ${w.baselineH.toFixed(2)} h, simulated ${w.truthH.toFixed(2)} h`);
      });
    }
  });

  describe('a scenario that changes nothing', () => {
    function unchanged(f: PumpFork, changes: unknown) {
      const outcome = run(f, { name: 'as now', assetId: 'pump-1', horizon: '2 h', runs: 20, changes });
      return outcome.scenarios[0]!.comparison!;
    }
    const none = { energyKwh: 0, throughputM3: 0, energyPerM3: 0, peakBearingTempC: 0, rulAtEndH: 0, timeOutsideLimitsS: 0 };

    it('shows no difference when its speed is the setpoint the twin holds, whatever the noisy speed reading says', () => {
      // The drive reached 1480 rpm; the latest reading is 13 rpm low by noise.
      const f = fork({}, snapshot(1467, 52.9, { desired: { speed: { value: 1480, ts: 0, state: 'reached' } } }));
      assert.equal(f.setpointRpm, 1480);
      const c = unchanged(f, { setpoints: { speed: 1480 }, conditions: { ambientTemp: 25 } });
      assert.deepEqual(c.differences, none);
      assert.deepEqual(c.statements, ['no difference from the baseline']);
    });

    it('without a commanded setpoint the baseline holds the recent mean speed, not the latest noisy reading', () => {
      const snap = snapshot(1467, 52.9, { statistics: { speed: { count: 600, mean: 1480, std: 7.4, min: 1458, max: 1502, slopePerSecond: 0, ewma: 1478 } } });
      const f = fork({}, snap);
      assert.equal(f.setpointRpm, 1480);
      assert.deepEqual(unchanged(f, { setpoints: { speed: 1480 } }).differences, none);
      assert.deepEqual(unchanged(f, {}).statements, ['no difference from the baseline']);
    });
  });

  describe('Monte Carlo', () => {
    it('gives medians inside 5–95 % bands, the same result for the same seed, and another for another seed', () => {
      const raw = { name: 'faster', assetId: 'pump-1', horizon: '2 h', step: 30, runs: 200, seed: 7, changes: { setpoints: { speed: 1650 } } };
      const a = run(fork(), raw).scenarios[0]!;
      const again = run(fork(), raw).scenarios[0]!;
      assert.deepEqual(again, a);
      const other = run(fork(), { ...raw, seed: 8 }).scenarios[0]!;
      assert.notDeepEqual(other.kpiBands, a.kpiBands);
      const temp = a.trajectories.bearingTemp!;
      const band = a.bands!.bearingTemp!;
      for (let k = 0; k < temp.length; k++) assert.ok(band.p5[k]! <= temp[k]! && temp[k]! <= band.p95[k]!);
      assert.ok(band.p95[temp.length - 1]! - band.p5[temp.length - 1]! > 0.5, 'uncertain friction widens the band');
      const [lo, hi] = a.kpiBands!.rulAtEndH!;
      assert.ok(lo < a.kpis.rulAtEndH && a.kpis.rulAtEndH < hi);
      // Single runs carry no bands.
      assert.equal(run(fork(), { ...raw, runs: 1 }).scenarios[0]!.bands, undefined);
    });

    it('reports the share of runs that cross a limit', () => {
      const settings = { ...NO_LIMITS, limits: [{ signal: 'bearingTemp', max: 57 }] };
      const s = run(fork(), { name: 'faster', assetId: 'pump-1', horizon: '1 h', step: 30, runs: 300, changes: { setpoints: { speed: 1700 } } }, settings).scenarios[0]!;
      const v = s.violations.find((x) => x.signal === 'bearingTemp')!;
      assert.ok(v.probability > 0.05 && v.probability < 0.95, `probability ${v.probability}`);
      // The scenario's chance of crossing any limit, which the KPI table shows: here that one limit's.
      assert.equal(s.kpis.limitCrossingProbability, v.probability);
    });

    it('the KPI table gives the chance of crossing any limit, counted per run, beside how many limits were crossed', () => {
      // The bearing crosses its limit in some runs; every run crosses the speed limit, since the scenario asks for 1,700 rpm.
      const settings = { ...NO_LIMITS, limits: [{ signal: 'bearingTemp', max: 57 }, { signal: 'speed', max: 1650 }] };
      const outcome = run(fork(), { name: 'faster', assetId: 'pump-1', horizon: '1 h', step: 30, runs: 300, changes: { setpoints: { speed: 1700 } } }, settings);
      const s = outcome.scenarios[0]!;
      const bearing = s.violations.find((x) => x.signal === 'bearingTemp')!;
      assert.ok(bearing.probability < 0.95, `bearing ${bearing.probability}`);
      assert.equal(s.violations.find((x) => x.signal === 'speed')!.probability, 1);
      const row = outcome.table[1]!;
      assert.equal(row.violations, 2);
      assert.equal(row.limitCrossingProbability, 1);
      // The baseline holds 1,480 rpm: only its bearing crosses, in some runs.
      assert.deepEqual(outcome.baseline.violations.map((x) => x.signal), ['bearingTemp']);
      assert.equal(outcome.table[0]!.limitCrossingProbability, Math.round(outcome.baseline.violations[0]!.probability * 1000) / 1000);
    });
  });

  describe('promotion', () => {
    it('turns constant setpoints into actuator commands without the scenario mark', () => {
      const [s] = scenarios({ name: 'faster', assetId: 'pump-1', changes: { setpoints: { speed: 1600 } } });
      assert.deepEqual(core.promoteScenario(s!), { ok: true, value: [{ assetId: 'pump-1', point: 'speed', value: 1600, source: 'what-if: faster' }] });
      const [profile] = scenarios({ name: 'night', assetId: 'pump-1', changes: { profile: [{ at: 60, setpoints: { speed: 1000 } }] } });
      assert.match((core.promoteScenario(profile!) as { reason: string }).reason, /only constant setpoints can be sent/);
      const [none] = scenarios({ name: 'hot day', assetId: 'pump-1', changes: { conditions: { ambientTemp: 35 } } });
      assert.match((core.promoteScenario(none!) as { reason: string }).reason, /changes no setpoint/);
    });
  });

  it('never changes the fork it starts from, and any scenario either runs with finite results or is refused with a reason', () => {
    const f = fork();
    const before = structuredClone(f);
    fc.assert(
      fc.property(
        fc.record({
          speed: fc.oneof(fc.double({ min: -100, max: 3000, noNaN: true }), fc.constant(Number.NaN)),
          ambient: fc.double({ min: -40, max: 60, noNaN: true }),
          runs: fc.integer({ min: 1, max: 5 }),
          horizon: fc.integer({ min: 1, max: 20_000 }),
          step: fc.integer({ min: 1, max: 600 }),
          resistance: fc.double({ min: -1, max: 5, noNaN: true }),
        }),
        (x) => {
          const parsed = core.parseScenarios({ name: 's', assetId: 'pump-1', horizon: x.horizon, step: x.step, runs: x.runs, changes: { setpoints: { speed: x.speed }, conditions: { ambientTemp: x.ambient }, parameters: { bearingThermalResistance: x.resistance } } }, DEFAULTS);
          if (!parsed.ok) return assert.ok(parsed.reason.length > 0);
          const outcome = core.runPumpWhatIf(f, parsed.value, { ...NO_LIMITS, limits: [{ signal: 'bearingTemp', max: 80 }] });
          if (!outcome.ok) return assert.ok(outcome.reason.length > 0);
          const s = outcome.value.scenarios[0]!;
          for (const series of Object.values(s.trajectories)) assert.ok(series.every(Number.isFinite));
          assert.ok(Number.isFinite(s.kpis.energyKwh) && s.kpis.rulAtEndH >= 0);
        },
      ),
      { numRuns: 300 },
    );
    assert.deepEqual(f, before);
  });
});

function outcomeBaselineViolations(f: PumpFork, settings: WhatIfSettings): number {
  const parsed = core.parseScenarios({ name: 'x', assetId: 'pump-1', horizon: 3600, step: 1 }, DEFAULTS);
  assert.ok(parsed.ok);
  const outcome = core.runPumpWhatIf(f, parsed.value, settings);
  assert.ok(outcome.ok);
  return outcome.value.baseline.violations.length;
}
