import assert from 'node:assert/strict';
import { compileScaling, compileSignalConversions, compileUnitConversion, findUnit, readableLife, UNITS } from '../../dist/core/index.js';

/** Converts one value, failing the test with the reason when the pair is refused. */
function convert(value: number, from: string, to: string): number {
  const c = compileUnitConversion(from, to);
  if (!c.ok) throw new Error(c.reason);
  return c.value(value);
}

/** Equal to within `digits` decimal places (the hand calculation's precision). */
function near(actual: number, expected: number, digits = 6): void {
  assert.ok(Math.abs(actual - expected) < 10 ** -digits, `${actual} is not ${expected} to ${digits} places`);
}

describe('unit conversion (hand-checked values)', () => {
  it('converts temperatures: °F and K to °C and back', () => {
    near(convert(212, '°F', '°C'), 100);
    near(convert(32, 'degF', 'degC'), 0);
    near(convert(-40, '°F', '°C'), -40); // the one temperature both scales share
    near(convert(98.6, '°F', '°C'), 37);
    near(convert(0, 'K', '°C'), -273.15);
    near(convert(300, 'K', '°C'), 26.85);
    near(convert(100, '°C', '°F'), 212);
    near(convert(373.15, 'K', '°F'), 212);
  });

  it('converts pressures: bar, psi and kPa', () => {
    near(convert(1, 'bar', 'kPa'), 100);
    near(convert(250, 'kPa', 'bar'), 2.5);
    near(convert(1, 'psi', 'kPa'), 6.894757, 6); // NIST SP 811: 1 psi = 6.894 757 kPa
    near(convert(14.5037738, 'psi', 'bar'), 1, 6);
    near(convert(1, 'MPa', 'bar'), 10);
    near(convert(1013.25, 'mbar', 'kPa'), 101.325);
  });

  it('converts rotational speed: rpm and rad/s', () => {
    near(convert(1500, 'rpm', 'rad/s'), 157.079633, 6); // 1500 × 2π / 60 = 50π
    near(convert(1, 'rad/s', 'rpm'), 9.549297, 6); // 60 / 2π
    near(convert(50, 'Hz', 'rpm'), 3000);
  });

  it('converts vibration velocity, flow and power', () => {
    near(convert(1, 'in/s', 'mm/s'), 25.4);
    near(convert(7.1, 'mm/s', 'in/s'), 0.279528, 6);
    near(convert(36, 'm³/h', 'l/s'), 10);
    near(convert(10, 'l/s', 'm3/h'), 36);
    near(convert(100, 'gpm', 'l/min'), 378.5411784);
    near(convert(1, 'hp', 'kW'), 0.745700, 6);
    near(convert(100, 'kW', 'hp'), 134.102209, 6);
    near(convert(2500, 'W', 'kW'), 2.5);
  });

  it('gives back the value for a unit converted to itself and round-trips every unit', () => {
    assert.equal(convert(12.5, 'bar', 'bar'), 12.5);
    for (const a of UNITS) {
      for (const b of UNITS.filter((u) => u.quantity === a.quantity)) {
        near(convert(convert(42, a.symbol, b.symbol), b.symbol, a.symbol), 42, 9);
      }
    }
  });

  it('refuses unknown units and pairs of different quantities with a reason', () => {
    const unknown = compileUnitConversion('furlong/fortnight', 'mm/s');
    assert.equal(unknown.ok, false);
    assert.match(!unknown.ok ? unknown.reason : '', /unknown unit "furlong\/fortnight" \(known units: °C, °F, K/);
    const mixed = compileUnitConversion('°F', 'kPa');
    assert.deepEqual(mixed, { ok: false, reason: 'cannot convert °F (temperature) to kPa (pressure)' });
    assert.equal(findUnit(' m3/h ')?.symbol, 'm³/h');
  });
});

describe('linear scaling', () => {
  it('maps 4–20 mA to 0–10 bar and S7 counts to percent, extrapolating outside the range', () => {
    const ma = compileScaling(4, 20, 0, 10);
    assert.ok(ma.ok);
    assert.equal(ma.value(12), 5);
    assert.equal(ma.value(4), 0);
    assert.equal(ma.value(20), 10);
    assert.equal(ma.value(2), -1.25); // a broken wire reads below range and stays visible as such
    const counts = compileScaling(0, 27648, 0, 100);
    assert.ok(counts.ok);
    assert.equal(counts.value(13824), 50);
    const inverted = compileScaling(0, 100, 100, 0);
    assert.ok(inverted.ok);
    assert.equal(inverted.value(25), 75);
  });

  it('refuses an empty raw range and non-numbers', () => {
    assert.deepEqual(compileScaling(5, 5, 0, 1), { ok: false, reason: 'scaling raw min and raw max are both 5; the raw range must not be empty' });
    const r = compileScaling(0, Number.NaN, 0, 1);
    assert.equal(r.ok, false);
    assert.match(!r.ok ? r.reason : '', /raw max must be a finite number/);
  });
});

describe('per-signal conversions', () => {
  it('applies declared conversions to their signals and leaves the rest alone', () => {
    const c = compileSignalConversions([
      { signal: 'bearingTemp', kind: 'unit', from: '°F', to: '°C' },
      { signal: 'pressure', kind: 'scale', rawMin: '4', rawMax: '20', engMin: '0', engMax: '1000' },
    ]);
    assert.ok(c.ok);
    assert.deepEqual(c.value({ bearingTemp: 212, pressure: 12, flow: 3, note: 'text' }), { bearingTemp: 100, pressure: 500, flow: 3, note: 'text' });
    assert.deepEqual(c.value({ flow: 1 }), { flow: 1 });
  });

  it('refuses at deploy a list it cannot use, naming the signal', () => {
    const cases: Array<[unknown, RegExp]> = [
      [[{ signal: 'speed', kind: 'unit', from: 'rpm', to: 'kPa' }], /conversion for speed: cannot convert rpm \(rotational speed\) to kPa \(pressure\)/],
      [[{ signal: 't', kind: 'unit', from: 'degX', to: '°C' }], /conversion for t: unknown unit "degX"/],
      [[{ signal: '', kind: 'unit', from: 'K', to: '°C' }], /conversion 1 names no signal/],
      [[{ signal: 'p', kind: 'scale', rawMin: 1, rawMax: 1, engMin: 0, engMax: 1 }], /conversion for p: scaling raw min and raw max are both 1/],
      [[{ signal: 'p', kind: 'unit', from: 'bar', to: 'kPa' }, { signal: 'p', kind: 'unit', from: 'bar', to: 'psi' }], /signal p has more than one conversion/],
      [[{ signal: 'p', kind: 'log' }], /kind must be "unit" or "scale"/],
      ['bar', /conversions must be a list/],
    ];
    for (const [rules, reason] of cases) {
      const r = compileSignalConversions(rules);
      assert.equal(r.ok, false, JSON.stringify(rules));
      assert.match(!r.ok ? r.reason : '', reason);
    }
  });

  it('shows a remaining life of two hours or more in hours, shorter ones and other units as they are', () => {
    assert.deepEqual(readableLife(241, 'minutes'), { rul: '4.0', unit: 'h' });
    assert.deepEqual(readableLife(120, 'minutes'), { rul: '2.0', unit: 'h' });
    assert.deepEqual(readableLife(119.6, 'minutes'), { rul: '120', unit: 'minutes' });
    assert.deepEqual(readableLife(9000, 'seconds'), { rul: '2.5', unit: 'h' });
    assert.deepEqual(readableLife(124.99, 'cycles'), { rul: '125', unit: 'cycles' });
  });
});
