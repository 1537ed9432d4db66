/** History decimation for charts (M4: first, last, min and max per time bucket). */
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { TwinStore, decimateSeries, type HistorySeries, type Quality } from '../../dist/core/index.js';

function series(values: number[], quality?: Quality[]): HistorySeries {
  return { ts: values.map((_, i) => i), values: [...values], quality: quality ?? values.map(() => 'good' as const) };
}

describe('decimateSeries (M4 aggregation for charts)', () => {
  it('keeps first, max, min and last of each time bucket: a case worked by hand', () => {
    // 12 points at t = 0…11, at most 8 points → 2 buckets: t·2/11 < 1 for t ≤ 5, so t 0–5 and t 6–11.
    // Bucket 1, values 3 7 1 4 6 2: first t0=3, max t1=7, min t2=1, last t5=2.
    // Bucket 2, values 5 5 9 0 8 4: first t6=5, max t8=9, min t9=0, last t11=4.
    const out = decimateSeries(series([3, 7, 1, 4, 6, 2, 5, 5, 9, 0, 8, 4]), 8);
    assert.deepEqual(out.ts, [0, 1, 2, 5, 6, 8, 9, 11]);
    assert.deepEqual(out.values, [3, 7, 1, 2, 5, 9, 0, 4]);
    assert.deepEqual(out.quality, Array(8).fill('good'));
  });

  it('returns a short series unchanged, as a copy', () => {
    const input = series([1, 2, 3]);
    const out = decimateSeries(input, 4);
    assert.deepEqual(out, input);
    out.values.push(9);
    assert.equal(input.values.length, 3);
  });

  it('keeps a one-point spike that averaging or every-n-th sampling would lose', () => {
    const values = Array.from({ length: 3600 }, (_, i) => 50 + Math.sin(i / 100));
    values[1234] = 95; // one reading, e.g. a bearing temperature spike
    const out = decimateSeries(series(values), 200);
    assert.ok(out.ts.length <= 200);
    assert.equal(Math.max(...out.values), 95);
    assert.ok(out.ts.includes(1234));
    assert.equal(out.ts.at(-1), 3599, 'the newest reading is kept');
    assert.equal(out.ts[0], 0, 'the oldest reading is kept');
  });

  it('leaves out bad readings while a bucket has usable ones, and keeps a bucket of only bad readings as bad', () => {
    // 10 points, at most 8 → 2 buckets: t 0–4 and t 5–9.
    // Bucket 1: usable 5 (t0), 6 (t2), 4 (t3, uncertain), 7 (t4); the bad 999 at t1 must not become the maximum:
    // first t0, min t3, max = last t4. Bucket 2: only bad readings → its first and last, still marked bad.
    const q: Quality[] = ['good', 'bad', 'good', 'uncertain', 'good', 'bad', 'bad', 'bad', 'bad', 'bad'];
    const out = decimateSeries(series([5, 999, 6, 4, 7, 1, 2, 3, 4, 5], q), 8);
    assert.deepEqual(out.ts, [0, 3, 4, 5, 9]);
    assert.deepEqual(out.values, [5, 4, 7, 1, 5]);
    assert.deepEqual(out.quality, ['good', 'uncertain', 'good', 'bad', 'bad']);
  });

  it('gives nothing for the empty buckets of a gap (a restart), and points from both sides of it', () => {
    const ts = [...Array.from({ length: 50 }, (_, i) => i), ...Array.from({ length: 50 }, (_, i) => 1000 + i)];
    const out = decimateSeries({ ts, values: ts.map((t) => t % 7), quality: ts.map(() => 'good' as const) }, 40);
    assert.ok(out.ts.length <= 40);
    assert.ok(out.ts.some((t) => t < 50) && out.ts.some((t) => t >= 1000));
    assert.ok(out.ts.every((t) => t < 50 || t >= 1000));
  });

  it('refuses a maxPoints below 4 or not whole, with a reason', () => {
    for (const bad of [0, 3, 4.5, NaN, -8]) assert.throws(() => decimateSeries(series([1, 2, 3, 4, 5]), bad), /maxPoints must be a whole number of at least 4/);
  });

  it('for any series: at most maxPoints, in time order, a subset of the input, with its extremes and ends', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ dt: fc.integer({ min: 1, max: 5000 }), v: fc.float({ noNaN: true, noDefaultInfinity: true, min: -1e6, max: 1e6 }) }), { minLength: 1, maxLength: 400 }),
        fc.integer({ min: 4, max: 100 }),
        (points, maxPoints) => {
          const ts: number[] = [];
          let t = 1_700_000_000_000;
          for (const p of points) ts.push((t += p.dt));
          const input: HistorySeries = { ts, values: points.map((p) => p.v), quality: ts.map(() => 'good') };
          const out = decimateSeries(input, maxPoints);
          assert.ok(out.ts.length <= maxPoints);
          for (let i = 1; i < out.ts.length; i++) assert.ok(out.ts[i]! > out.ts[i - 1]!);
          for (let i = 0; i < out.ts.length; i++) assert.equal(out.values[i], input.values[ts.indexOf(out.ts[i]!)]);
          assert.equal(Math.max(...out.values), Math.max(...input.values));
          assert.equal(Math.min(...out.values), Math.min(...input.values));
          assert.equal(out.ts[0], ts[0]);
          assert.equal(out.ts.at(-1), ts.at(-1));
        },
      ),
      { numRuns: 300 },
    );
  });

  it('is what TwinStore.history gives with maxPoints, over the window asked for', () => {
    const store = new TwinStore({ name: 'pump', signals: [{ name: 'flow' }], historyPoints: 3600, acceptUndeclaredSignals: false });
    const t0 = 1_700_000_000_000;
    for (let i = 0; i < 3600; i++) store.ingest({ assetId: 'p', ts: t0 + i * 1000, signals: { flow: 100 + (i % 60) } });
    const full = store.history('p', 'flow');
    assert.equal(full.ts.length, 3600);
    const thin = store.history('p', 'flow', t0 + 600_000, undefined, 240);
    assert.ok(thin.ts.length <= 240 && thin.ts.length >= 120, `${thin.ts.length} points`);
    assert.equal(thin.ts[0], t0 + 600_000);
    assert.equal(thin.ts.at(-1), t0 + 3599_000);
    assert.deepEqual([Math.min(...thin.values), Math.max(...thin.values)], [100, 159]);
    // What a chart receives for an hour of one signal at 1 Hz: the message shrinks by an order of magnitude.
    const hour = store.history('p', 'flow');
    const started = process.hrtime.bigint();
    const chart = store.history('p', 'flow', undefined, undefined, 300);
    const micros = Number(process.hrtime.bigint() - started) / 1000;
    console.log(`      (3600 points → ${chart.ts.length}: ${JSON.stringify(hour).length} → ${JSON.stringify(chart).length} bytes of JSON, ${micros.toFixed(0)} µs)`);
    // The same function, applied by hand to the plain window.
    assert.deepEqual(thin, decimateSeries(store.history('p', 'flow', t0 + 600_000), 240));
  });
});
