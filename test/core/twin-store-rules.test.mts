import assert from 'node:assert/strict';
import * as ss from 'simple-statistics';
import { ManualClock, SeededRandom, SignalHistory, TwinStore, normaliseDefinition } from '../../dist/core/index.js';

const T0 = Date.UTC(2026, 10, 25, 12, 0, 0);

function store(overrides: Record<string, unknown> = {}) {
  const clock = new ManualClock(T0);
  const spec = normaliseDefinition({
    name: 'pump',
    historyPoints: 100,
    signals: [
      { name: 'speed', unit: 'rpm', min: 0, max: 3000, staleAfterMs: 10_000 },
      { name: 'flow', unit: 'm3/h', staleAfterMs: 10_000 },
      { name: 'note' },
    ],
    actuationPoints: [{ name: 'speed', unit: 'rpm', min: 0, max: 1800, tolerance: 5 }],
    ...overrides,
  });
  return { s: new TwinStore(spec, clock), clock };
}

const close = (a: number, b: number, tol: number, what = '') => assert.ok(Math.abs(a - b) <= tol, `${what} ${a} is not within ${tol} of ${b}`);

describe('window statistics (checked against simple-statistics)', () => {
  it('match mean, sample std, min, max and regression slope while the window slides', () => {
    const h = new SignalHistory(50);
    const rnd = new SeededRandom(42);
    const ts: number[] = [];
    const values: number[] = [];
    for (let i = 0; i < 500; i++) {
      const t = T0 + i * 1000 + Math.floor(rnd.next() * 300);
      // float32 rounding is what the window stores: compare against exactly those values.
      const v = Math.fround(1480 + 0.02 * i + 7 * rnd.gaussian());
      h.add(t, v);
      ts.push(t);
      values.push(v);
      if (i % 37 === 0 || i === 499) {
        const wt = ts.slice(-50);
        const wv = values.slice(-50);
        const st = h.statistics();
        assert.equal(st.count, wv.length);
        close(st.mean, ss.mean(wv), 1e-9, 'mean');
        if (wv.length > 1) close(st.std, ss.sampleStandardDeviation(wv), 1e-7, 'std');
        assert.equal(st.min, ss.min(wv));
        assert.equal(st.max, ss.max(wv));
        if (wv.length > 1) {
          const fit = ss.linearRegression(wt.map((t, k) => [(t - wt[0]!) / 1000, wv[k]!]));
          close(st.slopePerSecond, fit.m, 1e-9, 'slope');
        }
      }
    }
  });

  it('leave bad points out of the statistics', () => {
    const h = new SignalHistory(10);
    h.add(1000, 10);
    h.add(2000, 999, 'bad');
    h.add(3000, 20);
    const st = h.statistics();
    assert.equal(st.count, 2);
    assert.equal(st.mean, 15);
    assert.equal(st.max, 20);
  });

  it('stay exact after late inserts and same-timestamp replacements', () => {
    const h = new SignalHistory(5);
    for (const [t, v] of [[1, 1], [3, 3], [5, 5], [2, 2], [4, 4], [3, 30], [6, 6]] as const) h.add(t * 1000, v);
    // window: 2,3(→30),4,5,6
    const st = h.statistics();
    assert.deepEqual([st.count, st.min, st.max], [5, 2, 30]);
    close(st.mean, ss.mean([2, 30, 4, 5, 6]), 1e-12);
  });

  it('gives an EWMA per signal in the store', () => {
    const { s } = store({ ewmaAlpha: 0.5 });
    for (const [i, v] of [10, 20, 30].entries()) s.ingest({ assetId: 'p', ts: T0 + i, signals: { flow: v } });
    // 10 → 15 → 22.5
    assert.equal(s.statistics('p', 'flow')!.ewma, 22.5);
  });
});

describe('twin store: time-bounded history', () => {
  it('drops points older than the history age behind the newest', () => {
    const { s } = store({ historyMaxAgeMs: 5000 });
    for (let i = 0; i < 10; i++) s.ingest({ assetId: 'p', ts: T0 + i * 1000, signals: { flow: i } });
    assert.deepEqual(s.history('p', 'flow').values, [4, 5, 6, 7, 8, 9]);
  });
});

describe('twin store: future timestamps', () => {
  it('refuses readings more than five minutes ahead of the clock, storing nothing', () => {
    const { s } = store();
    const out = s.ingest({ assetId: 'p', ts: T0 + 6 * 60_000, signals: { flow: 1 } });
    assert.equal(out.accepted, false);
    assert.match(out.rejected[0]!.reason, /more than 5 minutes in the future/);
    assert.equal(s.has('p'), false);
  });
});

describe('twin store: staleness', () => {
  it('marks a signal stale after its timeout, counts it, and reports it coming back', () => {
    const { s, clock } = store();
    s.ingest({ assetId: 'p', ts: T0, signals: { speed: 1480, flow: 150 } });
    clock.advance(5000);
    s.ingest({ assetId: 'p', ts: T0 + 5000, signals: { flow: 151 } });
    clock.advance(6000); // speed: 11 s without update, flow: 6 s
    const changes = s.checkStaleness();
    assert.deepEqual(changes.map((c) => c.signal), ['speed']);
    assert.deepEqual(s.checkStaleness(), [], 'each change is reported once');
    assert.equal(s.snapshot('p')!.staleCount, 1);
    assert.equal(s.snapshot('p')!.signals.speed!.stale, true);
    assert.equal(s.staleCount, 1);
    const back = s.ingest({ assetId: 'p', ts: T0 + 11_000, signals: { speed: 1479 } });
    assert.deepEqual(back.cameBack, ['speed']);
    assert.equal(s.snapshot('p')!.staleCount, 0);
    assert.equal(s.snapshot('p')!.signals.speed!.stale, undefined);
  });

  it('never marks signals without a timeout stale', () => {
    const { s, clock } = store();
    s.ingest({ assetId: 'p', ts: T0, signals: { note: 1 } });
    clock.advance(3_600_000);
    assert.deepEqual(s.checkStaleness(), []);
  });
});

describe('twin store: desired vs reported', () => {
  it('keeps a desired value pending until the reported value reaches it within tolerance', () => {
    const { s, clock } = store();
    s.ingest({ assetId: 'p', ts: T0, signals: { speed: 1480 } });
    const set = s.setDesired('p', 'speed', 1300, { ttlMs: 60_000, source: 'test' });
    assert.ok(set.ok);
    assert.deepEqual([set.value.state, set.value.reported, set.value.delta], ['pending', 1480, -180]);
    clock.advance(1000);
    s.ingest({ assetId: 'p', ts: T0 + 1000, signals: { speed: 1380 } }); // ramping, within settle time
    assert.equal(s.desired('p', 'speed')!.state, 'pending');
    clock.advance(1000);
    const out = s.ingest({ assetId: 'p', ts: T0 + 2000, signals: { speed: 1303 } });
    assert.deepEqual(out.desiredChanged, [{ point: 'speed', state: 'reached' }]);
    assert.equal(s.snapshot('p')!.desired!.speed!.delta, -3);
  });

  it('expires a desired value after its time to live, so it never applies later', () => {
    const { s, clock } = store();
    s.ingest({ assetId: 'p', ts: T0, signals: { speed: 1480 } });
    s.setDesired('p', 'speed', 1300, { ttlMs: 5000 });
    clock.advance(5000);
    assert.equal(s.desired('p', 'speed')!.state, 'expired');
    s.ingest({ assetId: 'p', ts: T0 + 6000, signals: { speed: 1300 } });
    assert.equal(s.desired('p', 'speed')!.state, 'expired', 'an expired command stays expired even if the value happens to match');
  });

  it('lets the device win when it reports a different value after the settle time', () => {
    const { s, clock } = store();
    s.ingest({ assetId: 'p', ts: T0, signals: { speed: 1480 } });
    s.setDesired('p', 'speed', 1300);
    clock.advance(3000);
    const out = s.ingest({ assetId: 'p', ts: T0 + 3000, signals: { speed: 1450 } });
    assert.deepEqual(out.desiredChanged, [{ point: 'speed', state: 'overridden' }]);
  });

  it('a ramped desired value: readings on the way are not an override; the settle time and the time to live count from the last step', () => {
    const { s, clock } = store();
    s.ingest({ assetId: 'p', ts: T0, signals: { speed: 1480 } });
    // A ramp of 5 one-second steps to 1700: its last step is written 4 s after the first.
    const set = s.setDesired('p', 'speed', 1700, { ttlMs: 3000, rampMs: 4000 });
    assert.ok(set.ok);
    assert.equal(set.value.rampEndsAt, T0 + 4000);
    for (const [t, speed] of [[1000, 1530], [2000, 1580], [3000, 1630], [4000, 1680], [5500, 1690]] as const) {
      clock.set(T0 + t);
      s.ingest({ assetId: 'p', ts: T0 + t, signals: { speed } });
      assert.equal(s.desired('p', 'speed')!.state, 'pending', `at ${t} ms (${speed} rpm)`);
    }
    clock.set(T0 + 6000);
    s.ingest({ assetId: 'p', ts: T0 + 6000, signals: { speed: 1698 } });
    assert.equal(s.desired('p', 'speed')!.state, 'reached');
  });

  it('a ramped desired value that does not get there within the settle time after the last step is overridden', () => {
    const { s, clock } = store();
    s.ingest({ assetId: 'p', ts: T0, signals: { speed: 1480 } });
    s.setDesired('p', 'speed', 1700, { rampMs: 4000 });
    clock.set(T0 + 6001);
    const out = s.ingest({ assetId: 'p', ts: T0 + 6001, signals: { speed: 1650 } });
    assert.deepEqual(out.desiredChanged, [{ point: 'speed', state: 'overridden' }]);
  });

  it('refuses desired values for unknown points, outside limits, or not numbers', () => {
    const { s } = store();
    assert.match((s.setDesired('p', 'valve', 1) as { reason: string }).reason, /not an actuation point/);
    assert.match((s.setDesired('p', 'speed', 2000) as { reason: string }).reason, /above the maximum 1800/);
    assert.match((s.setDesired('p', 'speed', NaN) as { reason: string }).reason, /finite number/);
    assert.match((s.setDesired('p', 'speed', '1300') as { reason: string }).reason, /finite number/);
  });

  it('bumps the asset version when a desired value is set', () => {
    const { s } = store();
    s.ingest({ assetId: 'p', ts: T0, signals: { speed: 1480 } });
    const v = s.version('p');
    s.setDesired('p', 'speed', 1300);
    assert.equal(s.version('p'), v + 1);
  });
});

describe('twin store: maintenance log', () => {
  it('keeps entries in time order and shows the last in the snapshot', () => {
    const { s, clock } = store();
    s.ingest({ assetId: 'p', ts: T0, signals: { flow: 1 } });
    clock.advance(10_000);
    assert.ok(s.logMaintenance('p', { kind: 'inspection', by: 'A. Smith' }).ok);
    assert.ok(s.logMaintenance('p', { kind: 'part-replaced', part: 'bearing A', ts: T0 + 5000 }).ok);
    assert.deepEqual(s.maintenanceLog('p').map((m) => m.kind), ['part-replaced', 'inspection']);
    assert.equal(s.snapshot('p')!.lastMaintenance!.by, 'A. Smith');
  });

  it('finds the latest entry of given kinds, in time order, and tells when the log changed', () => {
    const { s, clock } = store();
    s.ingest({ assetId: 'p', ts: T0, signals: { flow: 1 } });
    assert.equal(s.lastMaintenanceOf('p', ['part-replaced', 'failure']), undefined);
    const seen = new Set([s.maintenanceRevision('p')]);
    const changed = () => {
      const revision = s.maintenanceRevision('p');
      assert.ok(!seen.has(revision), `revision ${revision} given twice`);
      seen.add(revision);
    };
    clock.advance(60_000);
    s.logMaintenance('p', { kind: 'part-replaced', part: 'bearing A', ts: T0 + 10_000 });
    changed();
    s.logMaintenance('p', { kind: 'inspection' });
    changed();
    // Logged after the fact, before the inspection: the latest life-ending entry is still the one latest in time.
    s.logMaintenance('p', { kind: 'failure', part: 'seal', ts: T0 + 20_000 });
    changed();
    assert.deepEqual(s.lastMaintenanceOf('p', ['part-replaced', 'failure']), { ts: T0 + 20_000, kind: 'failure', part: 'seal' });
    assert.equal(s.lastMaintenanceOf('p', ['part-replaced'])!.part, 'bearing A');
    assert.equal(s.lastMaintenanceOf('p', ['note']), undefined);
    // A copy: changing it changes nothing in the twin.
    s.lastMaintenanceOf('p', ['failure'])!.part = 'changed';
    assert.equal(s.lastMaintenanceOf('p', ['failure'])!.part, 'seal');
    // Reading leaves the log and its revision alone; so does a reading.
    const before = s.maintenanceRevision('p');
    s.maintenanceLog('p');
    s.ingest({ assetId: 'p', ts: T0 + 30_000, signals: { flow: 2 } });
    assert.equal(s.maintenanceRevision('p'), before);
    // Restored entries change it; an asset removed and seen again never gets back a number it had.
    const saved = JSON.parse(JSON.stringify(s.exportAsset('p')));
    s.reset('p');
    assert.equal(s.maintenanceRevision('p'), 0);
    s.ingest({ assetId: 'p', ts: T0 + 40_000, signals: { flow: 3 } });
    changed();
    assert.ok(s.importAsset(saved).ok);
    changed();
    assert.equal(s.lastMaintenanceOf('p', ['part-replaced', 'failure'])!.ts, T0 + 20_000);
    assert.equal(s.maintenanceRevision('unknown'), 0);
    assert.equal(s.lastMaintenanceOf('unknown', ['failure']), undefined);
  });

  it('refuses unknown kinds and non-text fields with a reason', () => {
    const { s } = store();
    assert.match((s.logMaintenance('p', { kind: 'magic' }) as { reason: string }).reason, /must be one of/);
    assert.match((s.logMaintenance('p', { kind: 'note', note: 42 }) as { reason: string }).reason, /note must be text/);
  });
});

describe('twin store: derived values from analytics nodes', () => {
  it('shows health, RUL and parameters in the snapshot without bumping the version, and persists them', () => {
    const { s, clock } = store();
    s.ingest({ assetId: 'p', ts: T0, signals: { flow: 1 } });
    const v = s.version('p');
    clock.advance(500);
    assert.ok(s.setDerived('p', 'rul', { rul: 87, lower: 70, upper: 101, unit: 'cycles' }).ok);
    assert.ok(s.setDerived('p', 'health', { index: 0.82 }).ok);
    const snap = s.snapshot('p')!;
    assert.deepEqual(snap.rul, { rul: 87, lower: 70, upper: 101, unit: 'cycles', updatedAt: T0 + 500 });
    assert.equal(snap.health!.index, 0.82);
    assert.equal(snap.version, v);
    const copy = new TwinStore(s.definition, clock);
    assert.ok(copy.importAsset(JSON.parse(JSON.stringify(s.exportAsset('p')))).ok);
    assert.deepEqual(copy.snapshot('p')!.rul, snap.rul);
  });

  it('refuses unknown keys, unknown assets and non-objects', () => {
    const { s } = store();
    s.ingest({ assetId: 'p', ts: T0, signals: { flow: 1 } });
    assert.match((s.setDerived('q', 'rul', {}) as { reason: string }).reason, /unknown asset/);
    assert.match((s.setDerived('p', 'mood' as 'rul', {}) as { reason: string }).reason, /not one of/);
    assert.match((s.setDerived('p', 'rul', [] as unknown as Record<string, unknown>) as { reason: string }).reason, /must be an object/);
  });
});

describe('twin store: persistence format', () => {
  it('round-trips an asset: latest values, history, statistics, desired values, version and maintenance', () => {
    const { s, clock } = store();
    for (let i = 0; i < 20; i++) s.ingest({ assetId: 'p', ts: T0 + i * 1000, signals: { speed: 1400 + i, flow: 150 + i / 10 } });
    s.ingest({ assetId: 'p', ts: T0 + 20_000, signals: { speed: 5000 } }); // bad, kept in history
    s.setDesired('p', 'speed', 1300, { ttlMs: 60_000 });
    s.logMaintenance('p', { kind: 'part-replaced', part: 'bearing A' });
    const saved = JSON.parse(JSON.stringify(s.exportAsset('p')));

    const restored = new TwinStore(s.definition, clock);
    assert.deepEqual(restored.importAsset(saved), { ok: true, value: 'p' });
    assert.deepEqual(restored.snapshot('p'), s.snapshot('p'));
    assert.equal(restored.snapshot('p')!.signals.speed!.badSince, T0 + 20_000, 'the bad spell survives a restart');
    assert.deepEqual(restored.history('p', 'speed'), s.history('p', 'speed'));
    assert.deepEqual(restored.statistics('p', 'flow'), s.statistics('p', 'flow'));
    assert.deepEqual(restored.maintenanceLog('p'), s.maintenanceLog('p'));
  });

  it('merges saved history with readings that arrived live before the restore finished', () => {
    const { s, clock } = store();
    s.ingest({ assetId: 'p', ts: T0, signals: { flow: 1 } });
    s.ingest({ assetId: 'p', ts: T0 + 1000, signals: { flow: 2 } });
    const saved = s.exportAsset('p');
    const fresh = new TwinStore(s.definition, clock);
    fresh.ingest({ assetId: 'p', ts: T0 + 2000, signals: { flow: 3 } });
    assert.ok(fresh.importAsset(saved).ok);
    assert.deepEqual(fresh.history('p', 'flow').values, [1, 2, 3]);
    assert.equal(fresh.snapshot('p')!.signals.flow!.value, 3, 'the live, newer value wins');
  });

  it('refuses corrupt saved data with a reason and keeps what it has', () => {
    const { s } = store();
    s.ingest({ assetId: 'p', ts: T0, signals: { flow: 1 } });
    const saved = s.exportAsset('p')!;
    for (const broken of [null, 'text', { ...saved, format: 'other' }, { ...saved, signals: { flow: { ...saved.signals.flow, history: { ts: 'AAA', values: '', quality: '' } } } }]) {
      const target = new TwinStore(s.definition);
      target.ingest({ assetId: 'q', ts: T0, signals: { flow: 9 } });
      const result = target.importAsset(broken);
      assert.equal(result.ok, false);
      assert.match((result as { reason: string }).reason, /^saved twin data: /);
      assert.equal(target.snapshot('q')!.signals.flow!.value, 9);
    }
  });

  it('reports which assets changed since the last save', () => {
    const { s } = store();
    s.ingest({ assetId: 'a', ts: T0, signals: { flow: 1 } });
    s.ingest({ assetId: 'b', ts: T0, signals: { flow: 1 } });
    assert.deepEqual(s.takeDirty().sort(), ['a', 'b']);
    assert.deepEqual(s.takeDirty(), []);
    s.ingest({ assetId: 'b', ts: T0 + 1, signals: { flow: 2 } });
    assert.deepEqual(s.takeDirty(), ['b']);
  });
});
