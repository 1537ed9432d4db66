/**
 * Sliding condition indicators (twin-model's RMS, kurtosis, crest factor and slope over the last hour of a signal)
 * against the same indicators computed from every point of the window, on a real twin store: whatever the history
 * went through (late readings, replaced points, bad readings, resets, a history shorter than the window, spikes,
 * step changes), the answers agree to rounding, and an update reads only the points that arrived since the last one.
 */
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  AssetModel,
  ManualClock,
  PumpSimulator,
  TwinStore,
  WindowIndicators,
  conditionIndicators,
  normaliseDefinition,
  type ConditionIndicators,
  type HistoryReader,
  type WindowSource,
} from '../../dist/core/index.js';

const T0 = Date.UTC(2026, 0, 1);
const HOUR = 3_600_000;

function storeOf(historyPoints: number): TwinStore {
  return new TwinStore(normaliseDefinition({ name: 'pump', historyPoints }), new ManualClock(T0 + 1e12));
}

/** The signal `x` of asset `p` as a sliding window reads it, counting the points it is handed. */
function sourceOf(store: TwinStore): WindowSource & { pointsRead: number } {
  const source = {
    pointsRead: 0,
    layout: () => store.historyLayout('p', 'x'),
    oldest: () => store.oldestHistoryTs('p', 'x'),
    usable: (from: number, to: number, fromIncluded: boolean) => {
      const window = store.usableWindow('p', 'x', from, to, fromIncluded);
      source.pointsRead += window.count;
      return window;
    },
  };
  return source;
}

/** The indicators from every point of the window, as twin-model computed them before. */
function fromEveryPoint(store: TwinStore, from: number, to: number, timeScale = 1): ConditionIndicators | undefined {
  const window = store.usableWindow('p', 'x', from, to);
  return conditionIndicators(window.ts, window.values, timeScale, window.count);
}

function near(actual: number | null, expected: number | null, what: string, relative = 1e-7): void {
  if (expected === null || actual === null) {
    assert.equal(actual, expected, what);
    return;
  }
  assert.ok(Math.abs(actual - expected) <= relative * Math.max(Math.abs(expected), Math.abs(actual), 1e-9), `${what}: ${actual} against ${expected}`);
}

/**
 * @param spanHours the window's length in plant hours: a slope that moves the values by a billionth of their RMS
 *   across the window is rounding (both ways of computing it give such numbers for a flat window)
 */
function assertSame(actual: ConditionIndicators | undefined, expected: ConditionIndicators | undefined, at: string, spanHours = 1): void {
  if (expected === undefined) {
    assert.equal(actual, undefined, `${at}: empty window`);
    return;
  }
  assert.ok(actual, `${at}: indicators expected`);
  assert.equal(actual.points, expected.points, `${at}: points`);
  near(actual.rms, expected.rms, `${at}: rms`);
  near(actual.crestFactor, expected.crestFactor, `${at}: crest factor`);
  near(actual.kurtosis, expected.kurtosis, `${at}: kurtosis`, 1e-6);
  const flat = (1e-9 * expected.rms) / spanHours;
  if (expected.slopePerHour !== null && actual.slopePerHour !== null && Math.abs(expected.slopePerHour) < flat) {
    assert.ok(Math.abs(actual.slopePerHour) < 2 * flat, `${at}: a flat window's slope ${actual.slopePerHour}`);
  } else near(actual.slopePerHour, expected.slopePerHour, `${at}: slope`, 1e-6);
}

type Step =
  | { kind: 'reading'; gapMs: number; value: number; quality: 'good' | 'uncertain' | 'bad' }
  | { kind: 'late'; back: number; value: number }
  | { kind: 'replace'; back: number; value: number }
  | { kind: 'spike'; gapMs: number }
  | { kind: 'level'; to: number }
  | { kind: 'reset' }
  | { kind: 'update'; lagMs: number };

const step: fc.Arbitrary<Step> = fc.oneof(
  { weight: 12, arbitrary: fc.record({ kind: fc.constant('reading' as const), gapMs: fc.integer({ min: 1, max: 600_000 }), value: fc.double({ min: -5, max: 5, noNaN: true }), quality: fc.constantFrom('good' as const, 'good' as const, 'good' as const, 'uncertain' as const, 'bad' as const) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('late' as const), back: fc.double({ min: 0, max: 1, noNaN: true }), value: fc.double({ min: -5, max: 5, noNaN: true }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('replace' as const), back: fc.double({ min: 0, max: 1, noNaN: true }), value: fc.double({ min: -5, max: 5, noNaN: true }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('spike' as const), gapMs: fc.integer({ min: 1, max: 60_000 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('level' as const), to: fc.constantFrom(0, 1e-3, 1500, -40, 1e6) }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'reset' as const }) },
  { weight: 8, arbitrary: fc.record({ kind: fc.constant('update' as const), lagMs: fc.constantFrom(0, 0, 0, 1, 30_000) }) },
);

describe('sliding condition indicators (twin-model) against the indicators of every point of the window', () => {
  it('agree after any history of readings, late and replaced points, bad readings, spikes, level steps and resets', () => {
    fc.assert(
      fc.property(
        fc.array(step, { minLength: 50, maxLength: 600, size: 'max' }),
        fc.constantFrom(20, 100, 1000),
        fc.constantFrom(HOUR / 60, HOUR, 6 * HOUR),
        fc.constantFrom(1, 60),
        (steps, historyPoints, windowMs, timeScale) => {
          const store = storeOf(historyPoints);
          const source = sourceOf(store);
          const sliding = new WindowIndicators(timeScale);
          let now = T0;
          let level = 50;
          let lastTo = -Infinity;
          steps.forEach((s, i) => {
            const at = `step ${i} (${s.kind})`;
            switch (s.kind) {
              case 'reading':
                now += s.gapMs;
                store.ingest({ assetId: 'p', ts: now, signals: { x: level + s.value }, quality: { x: s.quality } });
                break;
              case 'spike':
                now += s.gapMs;
                store.ingest({ assetId: 'p', ts: now, signals: { x: level + 1e5 } });
                break;
              case 'late':
              case 'replace': {
                const history = store.history('p', 'x');
                if (history.ts.length < 2) break;
                const k = Math.floor(s.back * (history.ts.length - 1));
                const ts = s.kind === 'replace' ? history.ts[k]! : history.ts[k]! + 0.5;
                store.ingest({ assetId: 'p', ts, signals: { x: level + s.value } });
                break;
              }
              case 'level':
                level = s.to;
                break;
              case 'reset':
                store.reset('p');
                break;
              case 'update': {
                // twin-model's window ends at the snapshot's time: mostly the newest reading, sometimes older.
                const to = Math.max(lastTo, now - s.lagMs);
                lastTo = to;
                assertSame(sliding.update(source, to - windowMs, to), fromEveryPoint(store, to - windowMs, to, timeScale), at, (windowMs * timeScale) / HOUR);
                break;
              }
            }
          });
        },
      ),
      { numRuns: 300 },
    );
  });

  it('an update reads only the readings that arrived since the last one, however many the window holds', () => {
    // One reading a second and a window of an hour: 3,601 points in every window.
    const store = storeOf(10_000);
    const source = sourceOf(store);
    const sliding = new WindowIndicators();
    let found: ConditionIndicators | undefined;
    for (let k = 0; k < 8000; k++) {
      const ts = T0 + k * 1000;
      store.ingest({ assetId: 'p', ts, signals: { x: 50 + Math.sin(k / 7) } });
      if (k === 5000) source.pointsRead = 0;
      found = sliding.update(source, ts - HOUR, ts);
    }
    assert.equal(found?.points, 3601);
    assertSame(found, fromEveryPoint(store, T0 + 7999 * 1000 - HOUR, T0 + 7999 * 1000), 'last update');
    // 3,000 updates after the counter was reset: one new point each. Reading the whole window would be 10.8 million.
    assert.equal(source.pointsRead, 3000);
  });

  it('a window of identical values has no kurtosis, and a spike that left leaves no trace', () => {
    const store = storeOf(1000);
    const source = sourceOf(store);
    const sliding = new WindowIndicators();
    for (let k = 0; k < 300; k++) {
      const ts = T0 + k * 60_000;
      // A spike of a million among readings of exactly 1500, then 1500 again for more than the window.
      store.ingest({ assetId: 'p', ts, signals: { x: k === 100 ? 1e6 : 1500 } });
      const found = sliding.update(source, ts - HOUR, ts)!;
      assertSame(found, fromEveryPoint(store, ts - HOUR, ts), `reading ${k}`);
      if (k < 100 || k > 160) {
        assert.equal(found.kurtosis, null, `reading ${k}: a constant window has no kurtosis`);
        assert.equal(found.rms, 1500, `reading ${k}: rms of a constant 1500`);
        assert.equal(found.slopePerHour, k === 0 ? null : 0, `reading ${k}: no trend (none at all from one reading)`);
      }
    }
  });

  it('says when the history let go of readings the window would hold, and stops saying it after a reset', () => {
    // 30 readings of history at one a minute: a 60-minute window holds at most 29 minutes of them.
    const store = storeOf(30);
    const history: HistoryReader = {
      series: (signal, from, to) => store.history('p', signal, from, to),
      usable: (signal, from, to, fromIncluded) => store.usableWindow('p', signal, from, to, fromIncluded),
      layout: (signal) => store.historyLayout('p', signal),
      oldest: (signal) => store.oldestHistoryTs('p', signal),
      droppedUpTo: (signal) => store.historyDroppedUpTo('p', signal),
    };
    const created = AssetModel.create('p', { kind: 'pump-physics', healthyWindowSeconds: 600, indicatorWindowSeconds: 3600 });
    assert.ok(created.ok);
    const pump = new PumpSimulator({ assetId: 'p', seed: 5, noise: 0.01 });
    const update = (k: number) => {
      const ts = T0 + k * 60_000;
      const measured = pump.step(ts, 60).signals;
      store.ingest({ assetId: 'p', ts, signals: measured });
      return created.value.update(ts, measured, {}, history);
    };
    for (let k = 0; k < 30; k++) assert.equal(update(k).indicatorWindowCut, undefined, `reading ${k}: nothing let go yet`);
    const cut = update(30).indicatorWindowCut;
    assert.ok(cut, 'the 31st reading pushes the first out of the history');
    assert.equal(cut.minutes, 29);
    store.reset('p');
    assert.equal(update(31).indicatorWindowCut, undefined, 'a new history after the reset has let go of nothing');
  });

  it('twin-model\'s pump model gives the same indicators reading its twin incrementally as reading every point', () => {
    const store = storeOf(1000);
    const history: HistoryReader = {
      series: (signal, from, to) => store.history('p', signal, from, to),
      usable: (signal, from, to, fromIncluded) => store.usableWindow('p', signal, from, to, fromIncluded),
      layout: (signal) => store.historyLayout('p', signal),
      oldest: (signal) => store.oldestHistoryTs('p', signal),
    };
    const everyPoint: HistoryReader = { series: (signal, from, to) => store.history('p', signal, from, to), usable: (signal, from, to) => store.usableWindow('p', signal, from, to) };
    const options = { kind: 'pump-physics' as const, healthyWindowSeconds: 7200, indicatorWindowSeconds: 3600 };
    const incremental = AssetModel.create('p', options);
    const reference = AssetModel.create('p', options);
    assert.ok(incremental.ok && reference.ok);
    const pump = new PumpSimulator({ assetId: 'p', seed: 3, noise: 0.01, frictionGrowthPerHour: 0.05 });
    for (let k = 0; k < 900; k++) {
      const ts = T0 + k * 20_000;
      const measured = pump.step(ts, 20).signals;
      store.ingest({ assetId: 'p', ts, signals: measured });
      // Every third reading only: a throttled twin-state hands the model fewer snapshots than the twin has readings.
      if (k % 3 !== 0) continue;
      const a: Record<string, ConditionIndicators> = incremental.value.update(ts, measured, {}, history).indicators!;
      const b: Record<string, ConditionIndicators> = reference.value.update(ts, measured, {}, everyPoint).indicators!;
      assert.deepEqual(Object.keys(a).sort(), Object.keys(b).sort());
      for (const signal of Object.keys(b)) assertSame(a[signal], b[signal], `reading ${k}, ${signal}`);
    }
  });
});
