import assert from 'node:assert/strict';
import fc from 'fast-check';
import { SignalHistory } from '../../dist/core/index.js';

describe('signal history (ring buffer)', () => {
  it('keeps the newest points when full, oldest first', () => {
    const h = new SignalHistory(3);
    for (let i = 1; i <= 5; i++) h.add(i * 1000, i);
    assert.equal(h.length, 3);
    assert.deepEqual(h.series().ts, [3000, 4000, 5000]);
    assert.deepEqual(h.series().values, [3, 4, 5]);
  });

  it('inserts a late point at its place in time', () => {
    const h = new SignalHistory(5);
    h.add(1000, 1);
    h.add(3000, 3);
    h.add(2000, 2);
    assert.deepEqual(h.series().ts, [1000, 2000, 3000]);
    assert.deepEqual(h.series().values, [1, 2, 3]);
  });

  it('inserts a late point into a full, wrapped buffer and drops the oldest', () => {
    const h = new SignalHistory(4);
    for (const t of [1, 2, 3, 5, 6]) h.add(t, t); // wrapped: holds 2,3,5,6
    h.add(4, 4);
    assert.deepEqual(h.series().ts, [3, 4, 5, 6]);
    assert.deepEqual(h.series().values, [3, 4, 5, 6]);
  });

  it('refuses a point older than everything kept in a full buffer', () => {
    const h = new SignalHistory(2);
    h.add(10, 1);
    h.add(20, 2);
    assert.equal(h.add(5, 0), false);
    assert.deepEqual(h.series().ts, [10, 20]);
  });

  it('replaces a point with the same timestamp instead of growing', () => {
    const h = new SignalHistory(4);
    h.add(1000, 1);
    h.add(1000, 1.5, 'uncertain');
    assert.equal(h.length, 1);
    assert.deepEqual(h.at(0), { ts: 1000, value: 1.5, quality: 'uncertain' });
  });

  it('keeps quality per point and filters by time range', () => {
    const h = new SignalHistory(10);
    h.add(1, 1, 'good');
    h.add(2, 2, 'bad');
    h.add(3, 3, 'uncertain');
    const s = h.series(2, 3);
    assert.deepEqual(s, { ts: [2, 3], values: [2, 3], quality: ['bad', 'uncertain'] });
  });

  it('stores values as float32: about seven significant digits', () => {
    const h = new SignalHistory(1);
    h.add(1, 8138.62);
    assert.ok(Math.abs(h.at(0)!.value - 8138.62) < 1e-3);
  });

  it('gives a time window and the usable points after a time exactly as a scan of the whole history does', () => {
    const point = fc.record({ ts: fc.integer({ min: 0, max: 80 }), value: fc.integer({ min: -9, max: 9 }), quality: fc.constantFrom('good' as const, 'uncertain' as const, 'bad' as const) });
    const bound = fc.oneof(fc.integer({ min: -5, max: 85 }), fc.constantFrom(-Infinity, Infinity, NaN));
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 30 }), fc.array(point, { maxLength: 60 }), bound, bound, fc.option(fc.integer({ min: -5, max: 85 }), { nil: undefined }), (capacity, points, from, to, after) => {
        const h = new SignalHistory(capacity);
        for (const p of points) h.add(p.ts, p.value, p.quality);
        const all = h.series();
        const keep = all.ts.map((t) => !(t < from || t > to));
        assert.deepEqual(h.series(from, to), { ts: all.ts.filter((_, i) => keep[i]), values: all.values.filter((_, i) => keep[i]), quality: all.quality.filter((_, i) => keep[i]) });
        const ts = new Float64Array(h.length);
        const values = new Float64Array(h.length);
        // The usable points after a time (exclusive), as the RUL estimate reads a life after its part replacement.
        const n = after === undefined ? h.copyUsableFrom(-Infinity, Infinity, ts, values) : h.copyUsableFrom(after, Infinity, ts, values, false);
        const usable = all.ts.map((t, i) => all.quality[i] !== 'bad' && (after === undefined || t > after));
        assert.deepEqual([...ts.subarray(0, n)], all.ts.filter((_, i) => usable[i]));
        assert.deepEqual([...values.subarray(0, n)], all.values.filter((_, i) => usable[i]));
      }),
      { numRuns: 1000 },
    );
  });

  it('copies a window of usable points as a scan does, with and without bad points (the copy of whole runs)', () => {
    const point = fc.record({ ts: fc.integer({ min: 0, max: 80 }), value: fc.integer({ min: -9, max: 9 }), quality: fc.constantFrom('good' as const, 'uncertain' as const, 'bad' as const) });
    const bound = fc.oneof(fc.integer({ min: -5, max: 85 }), fc.constantFrom(-Infinity, Infinity));
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 30 }), fc.array(point, { maxLength: 60 }), fc.boolean(), bound, bound, (capacity, points, withBad, from, to) => {
        const h = new SignalHistory(capacity);
        for (const p of points) h.add(p.ts, p.value, withBad || p.quality !== 'bad' ? p.quality : 'good');
        const all = h.series();
        const usable = all.ts.map((t, i) => all.quality[i] !== 'bad' && t >= from && t <= to);
        const ts = new Float64Array(h.length);
        const values = new Float64Array(h.length);
        const n = h.copyUsableFrom(from, to, ts, values);
        assert.deepEqual([...ts.subarray(0, n)], all.ts.filter((_, i) => usable[i]));
        assert.deepEqual([...values.subarray(0, n)], all.values.filter((_, i) => usable[i]));
      }),
      { numRuns: 1000 },
    );
  });

  it('changes its revision with every change of the points, to a number no history had before', () => {
    const seen = new Set<number>();
    const fresh = (h: SignalHistory, what: string) => {
      assert.ok(!seen.has(h.revision), `${what}: revision ${h.revision} was seen before`);
      seen.add(h.revision);
    };
    const a = new SignalHistory(3);
    fresh(a, 'a new history');
    fresh(new SignalHistory(3), 'another new history');
    a.add(10, 1);
    fresh(a, 'appended');
    a.add(10, 2);
    fresh(a, 'replaced at the same time');
    a.add(5, 3, 'bad');
    fresh(a, 'a late bad point inserted');
    a.add(20, 4);
    fresh(a, 'full');
    a.add(30, 5);
    fresh(a, 'wrapped, the oldest dropped');
    const before = a.revision;
    assert.equal(a.add(1, 9), false);
    assert.equal(a.dropOlderThan(0), 0);
    assert.equal(a.revision, before, 'nothing changed: same revision');
    a.dropOlderThan(25);
    fresh(a, 'dropped by age');
    a.clear();
    fresh(a, 'cleared');
  });

  it('refuses a capacity that is not a positive whole number', () => {
    assert.throws(() => new SignalHistory(0), /at least 1/);
    assert.throws(() => new SignalHistory(2.5), /whole number/);
  });
});
