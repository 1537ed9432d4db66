import assert from 'node:assert/strict';
import { DEFAULT_PUMP, FaultInjector, PumpSimulator, parseFault, type Telemetry } from '../../dist/core/index.js';

const HOUR = 3600;
const reading = (signals: Record<string, number>, assetId = 'pump-1'): Telemetry => ({ assetId, ts: 1_700_000_000_000, signals });

function fault(raw: unknown) {
  const parsed = parseFault(raw);
  assert.ok(parsed.ok, parsed.ok ? '' : parsed.reason);
  return parsed.value;
}

describe('fault parsing', () => {
  it('reads faults from messages and from the editor (numbers as strings, empty fields as absent)', () => {
    assert.deepEqual(fault({ fault: 'drift', signal: 'bearingTemp', rate: 2 }), { fault: 'drift', signal: 'bearingTemp', rate: 2 });
    assert.deepEqual(fault({ fault: 'spike', assetId: '', signal: '', probability: '0.1', magnitude: '5', rate: '' }), { fault: 'spike', probability: 0.1, magnitude: 5 });
    assert.deepEqual(fault({ fault: 'stuck', assetId: 'engine-3', signal: 's4' }), { fault: 'stuck', assetId: 'engine-3', signal: 's4' });
    assert.deepEqual(fault({ fault: 'friction', rate: 20 }), { fault: 'friction', rate: 20 });
  });

  it('names what is wrong with a fault', () => {
    const cases: Array<[unknown, RegExp]> = [
      ['drift', /must be an object/],
      [{ fault: 'melt' }, /fault must be one of drift, spike, stuck, dropout, noise, friction \(or clear\), got "melt"/],
      [{ fault: 'drift' }, /drift fault: rate \(units per hour\) must be a number, got undefined/],
      [{ fault: 'dropout', probability: 1.5 }, /probability \(chance per reading, 0 to 1\) must be from 0 to 1, got 1.5/],
      [{ fault: 'spike', probability: 'often', magnitude: -1 }, /probability .* must be a number, got "often"; magnitude .* must be at least 0, got -1/],
      [{ fault: 'noise', level: -2 }, /level \(% of the reading\) must be at least 0/],
      [{ fault: 'friction', rate: 5, signal: 'vibration' }, /acts on the bearing, not on one signal/],
    ];
    for (const [raw, pattern] of cases) {
      const parsed = parseFault(raw);
      assert.equal(parsed.ok, false, JSON.stringify(raw));
      if (!parsed.ok) assert.match(parsed.reason, pattern);
    }
  });
});

describe('fault injection', () => {
  it('drift adds rate × hours since the fault started, to the named signal only', () => {
    const faults = new FaultInjector({ seed: 1 });
    faults.add(fault({ fault: 'drift', signal: 'bearingTemp', rate: 2 }), 10 * HOUR);
    const at = (hours: number) => faults.apply(reading({ bearingTemp: 50, flow: 150 }), 10 * HOUR + hours * HOUR)!.signals;
    assert.deepEqual(at(0), { bearingTemp: 50, flow: 150 });
    assert.deepEqual(at(1), { bearingTemp: 52, flow: 150 });
    assert.deepEqual(at(2.5), { bearingTemp: 55, flow: 150 });
    assert.deepEqual(at(10), { bearingTemp: 70, flow: 150 });
  });

  it('a stuck sensor keeps the value it had when the fault started', () => {
    const faults = new FaultInjector({ seed: 1 });
    faults.add(fault({ fault: 'stuck', signal: 'flow' }), 0);
    const outputs = [150, 151, 149.5, 160].map((flow, i) => faults.apply(reading({ flow, speed: 1400 + i }), i)!.signals);
    assert.deepEqual(outputs.map((s) => s.flow), [150, 150, 150, 150]);
    assert.deepEqual(outputs.map((s) => s.speed), [1400, 1401, 1402, 1403]);
    // Each asset sticks at its own value.
    assert.equal(faults.apply(reading({ flow: 90 }, 'pump-2'), 5)!.signals.flow, 90);
    assert.equal(faults.apply(reading({ flow: 95 }, 'pump-2'), 6)!.signals.flow, 90);
  });

  it('dropouts leave readings out at the given rate, and a message with nothing left is not sent', () => {
    const faults = new FaultInjector({ seed: 7 });
    faults.add(fault({ fault: 'dropout', signal: 'flow', probability: 0.3 }), 0);
    let dropped = 0;
    const n = 10_000;
    for (let i = 0; i < n; i++) {
      const out = faults.apply(reading({ flow: 150, speed: 1480 }), i)!;
      assert.equal(out.signals.speed, 1480);
      if (!('flow' in out.signals)) dropped++;
    }
    // Binomial(10 000, 0.3): standard deviation 46, so ±200 is more than four of them.
    assert.ok(Math.abs(dropped - 3000) < 200, `${dropped} of ${n} dropped`);

    const all = new FaultInjector({ seed: 7 });
    all.add(fault({ fault: 'dropout', probability: 1 }), 0);
    assert.equal(all.apply(reading({ flow: 150, speed: 1480 }), 0), undefined);
  });

  it('spikes add or subtract the magnitude with the given probability', () => {
    const faults = new FaultInjector({ seed: 3 });
    faults.add(fault({ fault: 'spike', signal: 'vibration', probability: 0.1, magnitude: 5 }), 0);
    const deltas = new Map<number, number>();
    const n = 10_000;
    for (let i = 0; i < n; i++) {
      const delta = Math.round((faults.apply(reading({ vibration: 2 }), i)!.signals.vibration! - 2) * 1e6) / 1e6;
      deltas.set(delta, (deltas.get(delta) ?? 0) + 1);
    }
    assert.deepEqual([...deltas.keys()].sort((a, b) => a - b), [-5, 0, 5]);
    const spikes = n - deltas.get(0)!;
    // Binomial(10 000, 0.1): standard deviation 30.
    assert.ok(Math.abs(spikes - 1000) < 150, `${spikes} spikes`);
    assert.ok(deltas.get(5)! > 350 && deltas.get(-5)! > 350, 'both directions');
  });

  it('noise adds a Gaussian error of the given % of the reading', () => {
    const faults = new FaultInjector({ seed: 11 });
    faults.add(fault({ fault: 'noise', level: 2 }), 0);
    const errors: number[] = [];
    for (let i = 0; i < 5000; i++) errors.push(faults.apply(reading({ pressure: 4 }), i)!.signals.pressure! / 4 - 1);
    const mean = errors.reduce((a, b) => a + b, 0) / errors.length;
    const sd = Math.sqrt(errors.reduce((a, b) => a + (b - mean) ** 2, 0) / (errors.length - 1));
    assert.ok(Math.abs(mean) < 0.002, `mean ${mean}`);
    assert.ok(Math.abs(sd - 0.02) < 0.001, `standard deviation ${sd}`);
  });

  it('is the same for the same seed and differs for another', () => {
    const run = (seed: number) => {
      const faults = new FaultInjector({ seed });
      faults.add(fault({ fault: 'noise', level: 1 }), 0);
      faults.add(fault({ fault: 'spike', probability: 0.2, magnitude: 3 }), 0);
      faults.add(fault({ fault: 'dropout', probability: 0.1 }), 0);
      return Array.from({ length: 200 }, (_, i) => faults.apply(reading({ flow: 150, pressure: 4 }), i));
    };
    assert.deepEqual(run(42), run(42));
    assert.notDeepEqual(run(42), run(43));
  });

  it('applies to the named asset only, never to exempt signals, and leaves the input alone', () => {
    const faults = new FaultInjector({ seed: 1, exempt: ['cycle'] });
    faults.add(fault({ fault: 'drift', assetId: 'engine-2', rate: 3600 }), 0);
    const input = reading({ cycle: 5, s2: 640 }, 'engine-2');
    assert.deepEqual(faults.apply(input, 1)!.signals, { cycle: 5, s2: 641 });
    assert.deepEqual(input.signals, { cycle: 5, s2: 640 });
    const other = reading({ cycle: 5, s2: 640 }, 'engine-1');
    assert.equal(faults.apply(other, 1), other);
  });

  it('replaces a fault of the same kind and target, and clear removes all or the named ones', () => {
    const faults = new FaultInjector({ seed: 1 });
    faults.add(fault({ fault: 'drift', signal: 'flow', rate: 1 }), 0);
    faults.add(fault({ fault: 'drift', signal: 'flow', rate: 10 }), HOUR);
    assert.equal(faults.active.length, 1);
    assert.equal(faults.apply(reading({ flow: 100 }), 2 * HOUR)!.signals.flow, 110);

    faults.add(fault({ fault: 'stuck', signal: 'speed' }), 0);
    faults.add(fault({ fault: 'stuck', assetId: 'pump-2', signal: 'speed' }), 0);
    assert.equal(faults.clear({ signal: 'flow' }), 1);
    assert.equal(faults.clear({ assetId: 'pump-2' }), 1);
    assert.deepEqual(faults.active.map((f) => [f.fault, f.signal]), [['stuck', 'speed']]);
    assert.equal(faults.clear(), 1);
    const clean = reading({ flow: 100, speed: 1480 });
    assert.equal(faults.apply(clean, 3 * HOUR), clean);
  });

  it('sums friction faults per asset as a fraction per hour, and the pump takes the extra friction', () => {
    const faults = new FaultInjector({ seed: 1 });
    faults.add(fault({ fault: 'friction', rate: 20 }), 0);
    faults.add(fault({ fault: 'friction', assetId: 'pump-2', rate: 30 }), 0);
    assert.equal(faults.frictionGrowthPerHour('pump-1'), 0.2);
    assert.equal(faults.frictionGrowthPerHour('pump-2'), 0.5);
    // Friction faults are physics, not sensor errors: readings pass unchanged.
    const r = reading({ flow: 150 });
    assert.equal(faults.apply(r, HOUR), r);

    const worn = new PumpSimulator({ assetId: 'p', seed: 1, frictionGrowthPerHour: 0.05, noise: 0 });
    worn.addBearingFriction(0.2);
    worn.step(1_700_000_000_000, HOUR);
    // μ = μ0 · (1 + 0.05 · 1 h + 0.2)
    assert.ok(Math.abs(worn.bearingFriction - DEFAULT_PUMP.bearingFriction * 1.25) < 1e-15);
    assert.throws(() => worn.addBearingFriction(-1), /≥ 0/);
  });
});
