import assert from 'node:assert/strict';
import { ManualClock, TwinStore, isCurrentReading, normaliseDefinition } from '../../dist/core/index.js';

const T0 = Date.UTC(2026, 10, 25, 12, 0, 0);

function pumpStore(overrides: Record<string, unknown> = {}) {
  const clock = new ManualClock(T0);
  const spec = normaliseDefinition({
    name: 'centrifugal pump',
    historyPoints: 5,
    signals: [
      { name: 'flow', unit: 'm3/h', min: 0, max: 400 },
      { name: 'bearingTemp', unit: 'degC', min: -20, max: 150 },
    ],
    ...overrides,
  });
  return { store: new TwinStore(spec, clock), clock };
}

describe('twin store', () => {
  it('keeps the latest value, timestamp, quality and unit per signal', () => {
    const { store } = pumpStore();
    store.ingest({ assetId: 'pump-1', ts: T0, signals: { flow: 150, bearingTemp: 52 } });
    store.ingest({ assetId: 'pump-1', ts: T0 + 1000, signals: { flow: 151 } });
    const snap = store.snapshot('pump-1')!;
    assert.equal(snap.assetClass, 'centrifugal pump');
    assert.deepEqual(snap.signals.flow, { value: 151, ts: T0 + 1000, quality: 'good', unit: 'm3/h' });
    assert.deepEqual(snap.signals.bearingTemp, { value: 52, ts: T0, quality: 'good', unit: 'degC' });
    assert.equal(snap.ts, T0 + 1000);
  });

  it('increases the version with every accepted update, not with repeats', () => {
    const { store } = pumpStore();
    assert.equal(store.ingest({ assetId: 'p', ts: T0, signals: { flow: 1 } }).version, 1);
    assert.equal(store.ingest({ assetId: 'p', ts: T0 + 1, signals: { flow: 2 } }).version, 2);
    const repeat = store.ingest({ assetId: 'p', ts: T0 + 1, signals: { flow: 2 } });
    assert.equal(repeat.accepted, false);
    assert.equal(repeat.version, 2);
    assert.equal(store.history('p', 'flow').values.length, 2);
  });

  it('lets the newest source timestamp win; a late reading only goes to history', () => {
    const { store } = pumpStore();
    store.ingest({ assetId: 'p', ts: T0 + 2000, signals: { flow: 20 } });
    const late = store.ingest({ assetId: 'p', ts: T0 + 1000, signals: { flow: 10 } });
    assert.equal(late.accepted, true);
    assert.deepEqual(late.changed, []);
    assert.equal(store.snapshot('p')!.signals.flow!.value, 20);
    assert.deepEqual(store.history('p', 'flow').values, [10, 20]);
  });

  it('keeps out-of-range readings in history as bad, never as the latest value', () => {
    const { store } = pumpStore();
    store.ingest({ assetId: 'p', ts: T0, signals: { bearingTemp: 50 } });
    const out = store.ingest({ assetId: 'p', ts: T0 + 1, signals: { bearingTemp: 999 } });
    assert.match(out.rejected[0]!.reason, /above the maximum 150/);
    assert.equal(store.snapshot('p')!.signals.bearingTemp!.value, 50);
    assert.deepEqual(store.history('p', 'bearingTemp').quality, ['good', 'bad']);
  });

  it('never takes a reading the source marked bad as the latest value', () => {
    const { store } = pumpStore();
    store.ingest({ assetId: 'p', ts: T0, signals: { flow: 100 } });
    store.ingest({ assetId: 'p', ts: T0 + 1, signals: { flow: 0 }, quality: { flow: 'bad' } });
    assert.equal(store.snapshot('p')!.signals.flow!.value, 100);
    store.ingest({ assetId: 'p', ts: T0 + 2, signals: { flow: 90 }, quality: { flow: 'uncertain' } });
    assert.deepEqual(store.snapshot('p')!.signals.flow, { value: 90, ts: T0 + 2, quality: 'uncertain', unit: 'm3/h' });
  });

  it('shows a signal whose newest readings are bad with badSince, keeps its last usable value, and says why in an event', () => {
    const { store } = pumpStore();
    store.ingest({ assetId: 'p', ts: T0, signals: { flow: 100, bearingTemp: 50 } });
    const marked = store.ingest({ assetId: 'p', ts: T0 + 1000, signals: { flow: 0 }, quality: { flow: 'bad' } });
    assert.deepEqual(marked.rejected, [{ signal: 'flow', reason: 'marked bad by the source', kind: 'stored-as-bad' }]);
    assert.deepEqual(store.snapshot('p')!.signals.flow, { value: 100, ts: T0, quality: 'good', unit: 'm3/h', badSince: T0 + 1000 });
    // A later bad reading leaves the start of the bad spell where it was; an out-of-range reading is bad too.
    store.ingest({ assetId: 'p', ts: T0 + 2000, signals: { flow: 0 }, quality: { flow: 'bad' } });
    store.ingest({ assetId: 'p', ts: T0 + 2000, signals: { bearingTemp: 999 } });
    assert.equal(store.snapshot('p')!.signals.flow!.badSince, T0 + 1000);
    assert.equal(store.snapshot('p')!.signals.bearingTemp!.badSince, T0 + 2000);
    // A usable reading that arrives late, older than the bad ones, does not end the spell; a newer one does.
    store.ingest({ assetId: 'p', ts: T0 + 500, signals: { flow: 95 } });
    assert.deepEqual(store.snapshot('p')!.signals.flow, { value: 95, ts: T0 + 500, quality: 'good', unit: 'm3/h', badSince: T0 + 1000 });
    store.ingest({ assetId: 'p', ts: T0 + 3000, signals: { flow: 98 } });
    assert.deepEqual(store.snapshot('p')!.signals.flow, { value: 98, ts: T0 + 3000, quality: 'good', unit: 'm3/h' });
    // A bad reading older than the value shown says nothing about now.
    store.ingest({ assetId: 'p', ts: T0 + 2500, signals: { flow: 0 }, quality: { flow: 'bad' } });
    assert.equal(store.snapshot('p')!.signals.flow!.badSince, undefined);
  });

  it('takes a bad reading without a value (NaN) as the sensor being bad: nothing for the history, a new version, an event', () => {
    const { store } = pumpStore();
    store.ingest({ assetId: 'p', ts: T0, signals: { flow: 100 } });
    const out = store.ingest({ assetId: 'p', ts: T0 + 1000, signals: { flow: NaN }, quality: { flow: 'bad' } });
    assert.equal(out.accepted, true);
    assert.equal(out.version, 2);
    assert.deepEqual(out.rejected, [{ signal: 'flow', reason: 'marked bad by the source, without a value', kind: 'stored-as-bad' }]);
    assert.equal(store.snapshot('p')!.signals.flow!.badSince, T0 + 1000);
    assert.equal(store.snapshot('p', { sinceVersion: 1 })!.signals.flow!.badSince, T0 + 1000, 'a snapshot of changes only includes it');
    assert.deepEqual(store.history('p', 'flow').values, [100]);
    // The same news again changes nothing.
    assert.equal(store.ingest({ assetId: 'p', ts: T0 + 2000, signals: { flow: NaN }, quality: { flow: 'bad' } }).accepted, false);
    assert.equal(store.ingest({ assetId: 'p', ts: T0 + 3000, signals: { flow: 101 } }).version, 3);
    assert.equal(store.snapshot('p')!.signals.flow!.badSince, undefined);
  });

  it('a bad reading without a value keeps the signal from going stale (the source is heard) and brings a stale one back', () => {
    const { store, clock } = pumpStore({ signals: [{ name: 'flow', staleAfterMs: 5000 }] });
    store.ingest({ assetId: 'p', ts: T0, signals: { flow: 100 } });
    clock.advance(6000);
    assert.deepEqual(store.checkStaleness().map((c) => c.signal), ['flow']);
    const out = store.ingest({ assetId: 'p', ts: T0 + 6000, signals: { flow: NaN }, quality: { flow: 'bad' } });
    assert.deepEqual(out.cameBack, ['flow']);
    clock.advance(4000);
    store.ingest({ assetId: 'p', ts: T0 + 10_000, signals: { flow: NaN }, quality: { flow: 'bad' } });
    clock.advance(4000);
    assert.deepEqual(store.checkStaleness(), [], 'heard 4 s ago');
    assert.deepEqual(store.snapshot('p')!.signals.flow, { value: 100, ts: T0, quality: 'good', badSince: T0 + 6000 });
  });

  it('a restore keeps a bad spell that began live before it finished, and reports history a shorter History could not keep', () => {
    const { store: saved } = pumpStore({ historyPoints: 20 });
    for (let i = 0; i < 20; i++) saved.ingest({ assetId: 'p', ts: T0 + i * 1000, signals: { flow: 100 + i } });
    const data = JSON.parse(JSON.stringify(saved.exportAsset('p')));
    const { store } = pumpStore({ historyPoints: 5 });
    store.ingest({ assetId: 'p', ts: T0 + 30_000, signals: { flow: NaN }, quality: { flow: 'bad' } }); // live, during the restore
    assert.deepEqual(store.importAsset(data), { ok: true, value: 'p' });
    assert.deepEqual(store.snapshot('p')!.signals.flow, { value: 119, ts: T0 + 19_000, quality: 'good', unit: 'm3/h', badSince: T0 + 30_000 });
    const report = store.reconfigure(store.definition);
    assert.deepEqual([report.droppedPoints, report.shortenedSignals], [15, 1]);
    assert.equal(store.reconfigure(store.definition).droppedPoints, 0, 'reported once');
  });

  it('refuses undeclared signals when told to, with a reason, and stores the rest', () => {
    const { store } = pumpStore({ acceptUndeclaredSignals: false });
    const out = store.ingest({ assetId: 'p', ts: T0, signals: { flow: 1, colour: 3 } });
    assert.equal(out.accepted, true);
    assert.match(out.rejected[0]!.reason, /not declared/);
    assert.deepEqual(Object.keys(store.snapshot('p')!.signals), ['flow']);
  });

  it('refuses asset ids that do not match the pattern, and stores nothing for them', () => {
    const { store } = pumpStore({ assetIdPattern: '^pump-\\d+$' });
    const out = store.ingest({ assetId: 'fan-1', ts: T0, signals: { flow: 1 } });
    assert.equal(out.accepted, false);
    assert.match(out.rejected[0]!.reason, /does not match/);
    assert.equal(store.has('fan-1'), false);
  });

  it('bounds history per signal to the definition length', () => {
    const { store } = pumpStore();
    for (let i = 0; i < 12; i++) store.ingest({ assetId: 'p', ts: T0 + i, signals: { flow: i } });
    assert.deepEqual(store.history('p', 'flow').values, [7, 8, 9, 10, 11]);
  });

  it('answers "changed since version N" with only the signals changed after it', () => {
    const { store } = pumpStore();
    store.ingest({ assetId: 'p', ts: T0, signals: { flow: 1, bearingTemp: 40 } });
    const v = store.version('p');
    store.ingest({ assetId: 'p', ts: T0 + 1, signals: { flow: 2, bearingTemp: 40 } });
    assert.deepEqual(Object.keys(store.snapshot('p', { sinceVersion: v })!.signals), ['flow']);
  });

  it('stamps updatedAt from the injected clock', () => {
    const { store, clock } = pumpStore();
    clock.advance(5000);
    store.ingest({ assetId: 'p', ts: T0, signals: { flow: 1 } });
    assert.equal(store.snapshot('p')!.updatedAt, T0 + 5000);
  });

  it('keeps stored data through a changed definition, resizing history', () => {
    const { store } = pumpStore();
    for (let i = 0; i < 5; i++) store.ingest({ assetId: 'p', ts: T0 + i, signals: { flow: i } });
    store.reconfigure(normaliseDefinition({ name: 'pump', historyPoints: 3, signals: [{ name: 'flow', unit: 'l/s' }] }));
    assert.deepEqual(store.history('p', 'flow').values, [2, 3, 4]);
    assert.equal(store.snapshot('p')!.signals.flow!.unit, 'l/s');
    assert.equal(store.snapshot('p')!.version, 5);
  });

  it('says what a changed definition did: history dropped, signals no longer declared (which take no more readings), values outside the new range, assets the new pattern refuses', () => {
    const { store } = pumpStore({ acceptUndeclaredSignals: false });
    for (let i = 0; i < 5; i++) store.ingest({ assetId: 'pump-1', ts: T0 + i, signals: { flow: 100 + i, bearingTemp: 80 } });
    store.ingest({ assetId: 'fan-9', ts: T0, signals: { flow: 1 } });
    const report = store.reconfigure(
      normaliseDefinition({ name: 'pump', historyPoints: 2, acceptUndeclaredSignals: false, assetIdPattern: '^pump-\\d+$', signals: [{ name: 'bearingTemp', max: 50 }] }),
    );
    assert.deepEqual(report, {
      droppedPoints: 6, // pump-1: 3 of flow, 3 of bearingTemp; fan-9's single point stays
      shortenedSignals: 2,
      undeclared: ['flow'],
      outsideRange: [{ assetId: 'pump-1', signal: 'bearingTemp', value: 80 }],
      assetsNotMatching: ['fan-9'],
    });
    // The value outside the new range is marked bad from its own time, as a reading outside the range would be:
    // nothing that guards a command trusts it, and a snapshot asked for since the last version shows the change.
    const version = store.version('pump-1');
    const marked = store.snapshot('pump-1')!.signals.bearingTemp!;
    assert.equal(marked.value, 80);
    assert.equal(marked.badSince, T0 + 4);
    assert.equal(isCurrentReading(marked), false);
    assert.equal(store.reconfigure(store.definition).outsideRange.length, 1, 'still outside, and said again');
    assert.equal(store.version('pump-1'), version, 'marked once');
    // Kept across a save and a restore.
    const copy = new TwinStore(store.definition, new ManualClock(T0));
    assert.ok(copy.importAsset(store.exportAsset('pump-1')!).ok);
    assert.equal(copy.snapshot('pump-1')!.signals.bearingTemp!.badSince, T0 + 4);
    // flow is refused now for pump-1 as it would be for a new asset, and keeps what it had.
    const out = store.ingest({ assetId: 'pump-1', ts: T0 + 10, signals: { flow: 1, bearingTemp: 40 } });
    assert.deepEqual(out.rejected, [{ signal: 'flow', reason: 'signal "flow" is not declared in "pump"', kind: 'undeclared' }]);
    assert.equal(store.snapshot('pump-1')!.signals.flow!.value, 104);
    assert.equal(store.snapshot('pump-1')!.signals.bearingTemp!.value, 40);
    assert.equal(store.snapshot('pump-1')!.signals.bearingTemp!.badSince, undefined, 'a newer usable reading clears it');
  });

  it('forgets one asset or all on reset', () => {
    const { store } = pumpStore();
    store.ingest({ assetId: 'a', ts: T0, signals: { flow: 1 } });
    store.ingest({ assetId: 'b', ts: T0, signals: { flow: 1 } });
    store.reset('a');
    assert.deepEqual(store.assetIds(), ['b']);
    store.reset();
    assert.equal(store.assetCount, 0);
  });
});

describe('twin definition', () => {
  it('reads numbers given as text, as the editor stores them', () => {
    const spec = normaliseDefinition({ name: 'x', historyPoints: '20', signals: [{ name: 'a', min: '0', max: '10', staleAfterMs: '5000' }] });
    assert.equal(spec.historyPoints, 20);
    assert.deepEqual(spec.signals[0], { name: 'a', min: 0, max: 10, staleAfterMs: 5000 });
  });

  it('lists every problem at once', () => {
    assert.throws(
      () => normaliseDefinition({ name: 'x', historyPoints: 0, signals: [{ name: 'a', min: 5, max: 1 }, { name: 'a' }, { unit: 'm' }], assetIdPattern: '(' }),
      (err: Error) =>
        /history length/.test(err.message) &&
        /min is above max/.test(err.message) &&
        /declared twice/.test(err.message) &&
        /signal 3 has no name/.test(err.message) &&
        /not a valid regular expression/.test(err.message),
    );
  });
});
