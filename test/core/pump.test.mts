import assert from 'node:assert/strict';
import { DEFAULT_PUMP, PumpSimulator, operatingPoint, stepBearingTemperature } from '../../dist/core/index.js';

const close = (a: number, b: number, tolerance: number) => assert.ok(Math.abs(a - b) <= tolerance, `${a} is not within ${tolerance} of ${b}`);

describe('centrifugal pump physics', () => {
  it('meets the system curve where the hand calculation says', () => {
    // H0 = 52 m, a = 0.0004, Hs = 20 m, b = 0.001: Q = sqrt(32 / 0.0014) = 151.19 m³/h, H = 52 − 0.0004·Q² = 42.857 m
    const p = operatingPoint(DEFAULT_PUMP, 1480);
    close(p.flowM3h, Math.sqrt(32 / 0.0014), 1e-9);
    close(p.headM, 52 - 0.0004 * (32 / 0.0014), 1e-9);
    close(p.pressureBar, (1000 * 9.81 * p.headM) / 1e5, 1e-12);
  });

  it('follows the affinity laws on an open system (no static head)', () => {
    const open = { ...DEFAULT_PUMP, staticHeadM: 0 };
    const full = operatingPoint(open, 1480);
    const half = operatingPoint(open, 740);
    close(half.flowM3h / full.flowM3h, 0.5, 1e-12); // Q ∝ N
    close(half.headM / full.headM, 0.25, 1e-12); // H ∝ N²
    close(half.hydraulicPowerKw / full.hydraulicPowerKw, 0.125, 1e-12); // P ∝ N³
  });

  it('gives no flow below the speed that lifts the static head', () => {
    // H0·r² = Hs  ⇒  r = sqrt(20/52) ⇒ N = 917.9 rpm
    assert.equal(operatingPoint(DEFAULT_PUMP, 900).flowM3h, 0);
    assert.ok(operatingPoint(DEFAULT_PUMP, 940).flowM3h > 0);
  });

  it('heats the bearing in proportion to friction: +50 % friction, +50 % temperature rise', () => {
    const base = operatingPoint(DEFAULT_PUMP, 1480);
    const worn = operatingPoint({ ...DEFAULT_PUMP, bearingFriction: DEFAULT_PUMP.bearingFriction * 1.5 }, 1480);
    close(worn.steadyBearingTempC - 25, 1.5 * (base.steadyBearingTempC - 25), 1e-9);
    assert.ok(worn.vibrationMmS > base.vibrationMmS);
    // M = μ·F·d/2 = 0.0015·4000·0.025 = 0.15 N·m; ω = 1480·2π/60 ⇒ P = 23.25 W
    close(base.bearingLossW, 0.15 * ((1480 * 2 * Math.PI) / 60), 1e-9);
  });

  it('integrates bearing temperature exactly: one time constant covers 63.2 % of the step', () => {
    const tau = DEFAULT_PUMP.bearingThermalResistance * DEFAULT_PUMP.bearingHeatCapacity;
    const t = stepBearingTemperature(DEFAULT_PUMP, 25, 50, tau);
    close((t - 25) / (50 * DEFAULT_PUMP.bearingThermalResistance), 1 - Math.exp(-1), 1e-12);
  });
});

describe('pump simulator', () => {
  it('is deterministic for a seed and differs between seeds', () => {
    const run = (seed: number) => {
      const sim = new PumpSimulator({ assetId: 'p', seed });
      return Array.from({ length: 5 }, (_, i) => sim.step(1e12 + i * 1000, 1).signals);
    };
    assert.deepEqual(run(7), run(7));
    assert.notDeepEqual(run(7), run(8));
  });

  it('grows bearing friction at the declared rate and warms the bearing', () => {
    const sim = new PumpSimulator({ assetId: 'p', seed: 1, frictionGrowthPerHour: 0.5, noise: 0 });
    const first = sim.step(1e12, 1).signals;
    let last = first;
    for (let i = 0; i < 3600; i++) last = sim.step(1e12 + i * 1000, 1).signals;
    close(sim.bearingFriction / DEFAULT_PUMP.bearingFriction, 1 + 0.5 * (3601 / 3600), 1e-9);
    assert.ok(last.bearingTemp! > first.bearingTemp! + 5, `bearing went from ${first.bearingTemp} to ${last.bearingTemp}`);
    assert.ok(last.vibration! > first.vibration!);
  });

  it('starts wear again with a new bearing: friction as new, then growing at the same rate, at a new bearing\'s temperature', () => {
    const sim = new PumpSimulator({ assetId: 'p', seed: 1, frictionGrowthPerHour: 0.5, noise: 0 });
    for (let i = 0; i < 7200; i++) sim.step(1e12 + i * 1000, 1);
    sim.addBearingFriction(0.3);
    const worn = sim.step(1e12 + 7200_000, 1).signals.bearingTemp!;
    close(sim.bearingFriction / DEFAULT_PUMP.bearingFriction, 1 + 0.5 * (7201 / 3600) + 0.3, 1e-9);
    sim.replaceBearing();
    const first = sim.step(1e12 + 7201_000, 1).signals.bearingTemp!;
    // One second of wear on the new bearing; the damage from the fault went with the old one.
    close(sim.bearingFriction / DEFAULT_PUMP.bearingFriction, 1 + 0.5 / 3600, 1e-9);
    // Back at the temperature a new bearing runs at (that of a pump started new), not cooling down from the worn one's.
    const startedNew = new PumpSimulator({ assetId: 'p', seed: 1, frictionGrowthPerHour: 0.5, noise: 0 }).step(1e12, 1).signals.bearingTemp!;
    close(first, startedNew, 0.01);
    assert.ok(first < worn - 5, `${first} °C with the new bearing, ${worn} °C with the worn one`);
    let later = first;
    for (let i = 0; i < 3600; i++) later = sim.step(1e12 + (7202 + i) * 1000, 1).signals.bearingTemp!;
    close(sim.bearingFriction / DEFAULT_PUMP.bearingFriction, 1 + 0.5 * (3601 / 3600), 1e-9);
    const fresh = new PumpSimulator({ assetId: 'p', seed: 1, frictionGrowthPerHour: 0.5, noise: 0 });
    let asNew = 0;
    for (let i = 0; i < 3601; i++) asNew = fresh.step(1e12 + i * 1000, 1).signals.bearingTemp!;
    assert.ok(later < worn - 5, `an hour later the bearing runs cooler than the worn one (${later.toFixed(1)} against ${worn.toFixed(1)} °C)`);
    close(later, asNew, 0.5);
  });

  it('ramps towards a new speed setpoint and settles on the affinity-law flow', () => {
    const sim = new PumpSimulator({ assetId: 'p', seed: 1, noise: 0, speedRampRpmPerS: 100 });
    sim.setSpeedSetpoint(1200);
    assert.equal(sim.step(1e12, 1).signals.speed, 1380);
    const s = sim.step(1e12, 10).signals;
    assert.equal(s.speed, 1200);
    close(s.flow!, operatingPoint(DEFAULT_PUMP, 1200).flowM3h, 1e-3);
    assert.throws(() => sim.setSpeedSetpoint(NaN), /finite/);
  });

  it('emits the telemetry shape with all six signals', () => {
    const t = new PumpSimulator({ assetId: 'pump-9', seed: 3 }).step(1e12, 1);
    assert.equal(t.assetId, 'pump-9');
    assert.equal(t.ts, 1e12);
    assert.deepEqual(Object.keys(t.signals).sort(), ['bearingTemp', 'flow', 'power', 'pressure', 'speed', 'vibration']);
  });
});

describe('pump prediction after a speed command (simulate before write)', () => {
  it('matches the hand-integrated first-order bearing warm-up at the new speed', async () => {
    const { predictPumpAfterCommand, firstLimitViolation, bearingTimeConstant } = await import('../../dist/core/index.js');
    const start = operatingPoint(DEFAULT_PUMP, 1480).steadyBearingTempC;
    const steady = operatingPoint(DEFAULT_PUMP, 1800).steadyBearingTempC;
    const tau = bearingTimeConstant(DEFAULT_PUMP);
    const trajectory = predictPumpAfterCommand({ speedRpm: 1480, bearingTempC: start, targetRpm: 1800, rampRpmPerS: 1e9, horizonS: 1800, stepS: 10 });
    for (const p of [trajectory[0]!, trajectory[59]!, trajectory.at(-1)!]) {
      close(p.bearingTemp, steady + (start - steady) * Math.exp(-p.t / tau), 1e-9);
      close(p.flow, operatingPoint(DEFAULT_PUMP, 1800).flowM3h, 1e-9);
    }
    assert.match(firstLimitViolation(trajectory, [{ signal: 'bearingTemp', max: 56 }], [{ name: 'bearingTemp', unit: 'degC' }])!, /^bearingTemp would reach 56(\.\d)? degC after \d+ min, above its maximum 56$/);
    assert.equal(firstLimitViolation(trajectory, [{ signal: 'bearingTemp', max: 90 }]), undefined);
  });
});
