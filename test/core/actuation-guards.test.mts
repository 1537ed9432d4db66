import assert from 'node:assert/strict';
import fc from 'fast-check';
import { TwinStore, checkCommand, normaliseDefinition, type AuditRecord } from '../../dist/core/index.js';

const speed = { name: 'speed', unit: 'rpm', min: 0, max: 1800, maxRatePerS: 50, tolerance: 5 };
const cmd = (value: unknown, extra: Record<string, unknown> = {}) => ({ assetId: 'pump-1', point: 'speed', value, ...extra });

describe('actuation guards, in order', () => {
  it('accepts a command that passes all six, with a verdict from each', () => {
    const d = checkCommand(cmd(1460), { point: speed, reported: 1480, interlocks: [{ name: 'bearingTemp < 90', passed: true }] });
    assert.equal(d.result, 'accepted');
    assert.equal(d.value, 1460);
    assert.deepEqual(d.verdicts.map((v) => v.guard), ['shape', 'limits', 'rate', 'interlocks', 'simulation', 'source']);
    assert.ok(d.verdicts.every((v) => v.passed));
  });

  it('1 shape: refuses unknown points and values that are not finite numbers', () => {
    assert.match(checkCommand(cmd(1), { point: undefined }).reason!, /^shape: "speed" is not an actuation point/);
    for (const bad of [NaN, Infinity, '1300', null, undefined, {}]) {
      assert.match(checkCommand(cmd(bad), { point: speed, reported: 1480 }).reason!, /^shape: value must be a finite number/);
    }
  });

  it('2 limits: refuses beyond min/max, or clamps when the point says so and reports it', () => {
    assert.match(checkCommand(cmd(2000), { point: speed, reported: 1790 }).reason!, /^limits: 2000 is outside 0 … 1800/);
    const clamped = checkCommand(cmd(2000), { point: { ...speed, maxRatePerS: undefined }, reported: 1790, policy: { limits: 'clamp', rate: 'refuse' } });
    assert.equal(clamped.value, 1800);
    assert.match(clamped.verdicts[1]!.detail, /clamped to 1800/);
  });

  it('3 rate: refuses a faster change, or ramps in one-second steps no larger than the rate', () => {
    assert.match(checkCommand(cmd(1300), { point: speed, reported: 1480 }).reason!, /^rate: a change of -180 is more than 50 per second/);
    const ramp = checkCommand(cmd(1300), { point: speed, reported: 1480, policy: { limits: 'refuse', rate: 'ramp' } });
    assert.deepEqual(ramp.ramp, [1430, 1380, 1330, 1300]);
    assert.equal(ramp.value, 1430);
    assert.match(checkCommand(cmd(1300), { point: speed }).reason!, /^rate: no usable reported value/);
    // Found by the property test below: a ramp from a reported value beyond the limits would write beyond them.
    // Further beyond a limit than one step, the first write within the limits would be a bigger change than the rate.
    assert.match(checkCommand(cmd(1700), { point: speed, reported: 1900, policy: { limits: 'refuse', rate: 'ramp' } }).reason!, /^rate: the reported 1900 is more than 50 above the maximum 1800/);
  });

  it('3 rate: a ramp from a reported value just beyond a limit (noise, overshoot) starts at that limit', () => {
    const ramp = { limits: 'refuse', rate: 'ramp' } as const;
    const down = checkCommand(cmd(1550), { point: speed, reported: 1820.6291, policy: ramp });
    assert.equal(down.result, 'accepted');
    assert.deepEqual(down.ramp, [1800, 1750, 1700, 1650, 1600, 1550]);
    const up = checkCommand(cmd(120), { point: speed, reported: -12, policy: ramp });
    assert.deepEqual(up.ramp, [0, 50, 100, 120]);
  });

  it('3 rate: the steps between carry no more decimals than the target and the rate, each at most the rate from the one before', () => {
    const ramp = { limits: 'refuse', rate: 'ramp' } as const;
    // From a noisy reading: setpoints as an engineer would type them, not 1541.3232.
    assert.deepEqual(checkCommand(cmd(1750), { point: speed, reported: 1491.3232, policy: ramp }).ramp, [1541, 1591, 1641, 1691, 1741, 1750]);
    assert.deepEqual(checkCommand(cmd(1300.5), { point: speed, reported: 1430.27, policy: ramp }).ramp, [1380.3, 1330.3, 1300.5]);
    // A rate with decimals: steps at its resolution.
    const fine = { ...speed, maxRatePerS: 0.4 };
    assert.deepEqual(checkCommand(cmd(1481), { point: fine, reported: 1479.9, policy: ramp }).ramp, [1480.3, 1480.7, 1481]);
  });

  it('4 interlocks: all must hold; one that cannot be evaluated (stale or bad input) counts as failed', () => {
    const refused = checkCommand(cmd(1460), { point: speed, reported: 1480, interlocks: [{ name: 'a', passed: true }, { name: 'bearingTemp < 90', passed: undefined, reason: 'bearingTemp is stale' }] });
    assert.equal(refused.reason, 'interlocks: bearingTemp < 90 cannot be evaluated (bearingTemp is stale)');
    assert.match(checkCommand(cmd(1460), { point: speed, reported: 1480, interlocks: [{ name: 'bearingTemp < 90', passed: false }] }).reason!, /does not hold/);
  });

  it('5 simulation: refuses when the predicted trajectory leaves a limit, with the prediction', () => {
    const d = checkCommand(cmd(1500), { point: speed, reported: 1480, simulate: (v) => ({ ok: v < 1490, detail: 'bearingTemp reaches 96 °C after 40 min' }) });
    assert.equal(d.reason, 'simulation: bearingTemp reaches 96 °C after 40 min');
    const broken = checkCommand(cmd(1470), { point: speed, reported: 1480, simulate: () => { throw new Error('no model'); } });
    assert.equal(broken.reason, 'simulation: the model could not run: no model');
  });

  it('6 source: what-if scenario traffic never passes', () => {
    assert.match(checkCommand(cmd(1470, { scenario: true }), { point: speed, reported: 1480 }).reason!, /^source: what-if scenario traffic/);
  });
});

describe('property: 10,000 random commands against random limits and interlocks', () => {
  it('write nothing outside limits or above the rate, refuse with a reason, and are each audited exactly once', () => {
    const store = new TwinStore(normaliseDefinition({ name: 'pump', historyPoints: 10, signals: [] }));
    let commands = 0;
    const anyValue = fc.oneof(fc.double(), fc.constantFrom(NaN, Infinity, -Infinity, 1e308, -1e308, 0), fc.string({ maxLength: 5 }), fc.constant(null), fc.integer({ min: -5000, max: 5000 }));
    const scenario = fc.record({
      limits: fc.tuple(fc.integer({ min: -2000, max: 2000 }), fc.integer({ min: 0, max: 4000 })).map(([lo, span]) => ({ min: lo, max: lo + span })),
      rate: fc.option(fc.integer({ min: 1, max: 100 }), { nil: undefined }),
      policy: fc.record({ limits: fc.constantFrom('refuse' as const, 'clamp' as const), rate: fc.constantFrom('refuse' as const, 'ramp' as const) }),
      reported: fc.option(fc.oneof(fc.integer({ min: -3000, max: 3000 }), fc.constant(NaN)), { nil: undefined }),
      interlocks: fc.array(fc.record({ name: fc.constantFrom('a', 'b'), passed: fc.constantFrom(true, false, undefined) }), { maxLength: 3 }),
      scenario: fc.boolean(),
      value: anyValue,
    });
    fc.assert(
      fc.property(scenario, (s) => {
        commands++;
        const point = { name: 'speed', min: s.limits.min, max: s.limits.max, ...(s.rate !== undefined ? { maxRatePerS: s.rate } : {}) };
        const context = { point, policy: s.policy, interlocks: s.interlocks, ...(s.reported !== undefined ? { reported: s.reported } : {}) };
        const d = checkCommand({ assetId: 'pump-1', point: 'speed', value: s.value, scenario: s.scenario }, context);
        const record: AuditRecord = { ts: commands, assetId: 'pump-1', point: 'speed', requested: s.value, mode: 'live', result: d.result, guards: d.verdicts };
        if (d.value !== undefined) record.written = d.value;
        if (d.reason !== undefined) record.reason = d.reason;
        store.appendAudit(record);
        if (d.result === 'refused') {
          assert.ok(d.reason && d.reason.length > 0);
          assert.equal(d.value, undefined);
          return;
        }
        const writes = d.ramp ?? [d.value!];
        for (const w of writes) assert.ok(Number.isFinite(w) && w >= point.min && w <= point.max, `write ${w} outside ${point.min} … ${point.max}`);
        if (s.rate !== undefined) {
          let previous = s.reported!;
          for (const w of writes) {
            assert.ok(Math.abs(w - previous) <= s.rate + 1e-9, `step from ${previous} to ${w} above ${s.rate}/s`);
            previous = w;
          }
        }
        assert.ok(s.interlocks.every((i) => i.passed === true), 'never accepted with an interlock not holding');
        assert.equal(s.scenario, false, 'never accepted from a scenario');
      }),
      { numRuns: 10_000 },
    );
    const trail = store.auditTrail('pump-1');
    assert.equal(commands, 10_000);
    // The trail keeps the newest 1,000, in order, one per command.
    assert.equal(trail.length, 1000);
    assert.deepEqual(trail.map((r) => r.ts), Array.from({ length: 1000 }, (_, i) => 9001 + i));
  });
});
