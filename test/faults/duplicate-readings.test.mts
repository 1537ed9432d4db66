/**
 * Found by the broker-restart fault test (issue 13.1): after a Mosquitto restart, QoS 1 messages that were in flight
 * come again, behind newer ones. The store recognised a copy only when it repeated the latest reading, so every late
 * copy bumped the asset's version (10,633 versions for 10,000 messages in that test). These tests pin the rule down
 * without a broker: a reading the twin already holds changes nothing, however late its copy comes.
 */
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { ManualClock, TwinStore, normaliseDefinition } from '../../dist/core/index.js';

const T0 = Date.UTC(2026, 10, 25, 12, 0, 0);

function store(historyPoints = 1000) {
  const spec = normaliseDefinition({ name: 'pump', historyPoints, signals: [{ name: 'flow', min: 0, max: 400 }, { name: 'speed' }] });
  return new TwinStore(spec, new ManualClock(T0 + 3_600_000));
}

describe('fault: readings delivered more than once (QoS 1 redelivery)', () => {
  it('a late copy of a reading changes neither the version nor the history; a late different value still counts', () => {
    const twin = store();
    for (let i = 0; i < 10; i++) twin.ingest({ assetId: 'p', ts: T0 + i * 1000, signals: { flow: 100 + i, speed: 1400 } });
    const before = twin.snapshot('p')!;
    assert.equal(before.version, 10);
    for (let i = 3; i < 8; i++) {
      const outcome = twin.ingest({ assetId: 'p', ts: T0 + i * 1000, signals: { flow: 100 + i, speed: 1400 } });
      assert.equal(outcome.accepted, false, `copy of reading ${i}`);
    }
    // A copy of an out-of-range reading (kept as bad) is recognised too.
    twin.ingest({ assetId: 'p', ts: T0 + 10_500, signals: { flow: 999 } });
    const withBad = twin.snapshot('p')!.version;
    assert.equal(twin.ingest({ assetId: 'p', ts: T0 + 10_500, signals: { flow: 999 } }).accepted, false);
    assert.equal(twin.snapshot('p')!.version, withBad);
    // The latest values stay; flow's newest reading is bad (out of range), which its badSince says.
    assert.deepEqual(twin.snapshot('p')!.signals, { ...before.signals, flow: { ...before.signals.flow!, badSince: T0 + 10_500 } });
    assert.equal(twin.history('p', 'flow').ts.length, 11);
    // A correction (same time, another value) is new information.
    assert.equal(twin.ingest({ assetId: 'p', ts: T0 + 4000, signals: { flow: 42 } }).accepted, true);
    assert.equal(twin.history('p', 'flow').values[4], 42);
  });

  it('property: any stream with copies of any of its readings, in any order, gives the version and history of the unique readings', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 400 }), { minLength: 1, maxLength: 60 }),
        fc.array(fc.nat(), { maxLength: 60 }),
        fc.array(fc.nat(), { maxLength: 120 }),
        (values, copies, order) => {
          const readings = values.map((value, i) => ({ assetId: 'p', ts: T0 + i * 100, signals: { flow: value } }));
          const delivered = [...readings, ...copies.map((c) => readings[c % readings.length]!)];
          // Shuffle deterministically from the generated order numbers.
          for (let i = delivered.length - 1; i > 0; i--) {
            const j = (order[i % Math.max(1, order.length)] ?? 0) % (i + 1);
            [delivered[i], delivered[j]] = [delivered[j]!, delivered[i]!];
          }
          const once = store();
          for (const r of readings) once.ingest(r);
          const twice = store();
          for (const r of delivered) twice.ingest(r);
          assert.equal(twice.snapshot('p')!.version, readings.length);
          assert.deepEqual(twice.history('p', 'flow'), once.history('p', 'flow'));
          assert.deepEqual(twice.snapshot('p')!.signals, once.snapshot('p')!.signals);
        },
      ),
      { numRuns: 500 },
    );
  });
});
