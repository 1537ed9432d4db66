import assert from 'node:assert/strict';
import { coreNodes, helper, nodes, nextMessage, onTab, textsOn, uid, until } from '../support/red.mts';

function definition(id: string) {
  return {
    id,
    type: 'twin-definition',
    assetClass: 'pump',
    historyPoints: '100',
    acceptUndeclared: true,
    signals: [
      { name: 'speed', unit: 'rpm', min: 0, max: 3000, staleAfterS: 1 },
      { name: 'flow', unit: 'm3/h' },
    ],
    actuationPoints: [{ name: 'speed', unit: 'rpm', min: 0, max: 1800, tolerance: 5 }],
  };
}

async function load(extra: Record<string, unknown> = {}) {
  const def = uid('def');
  await helper.load(
    [nodes.definition, nodes.state, coreNodes.catch],
    onTab([
      definition(def),
      { id: 'state', type: 'twin-state', definition: def, throttleMs: '0', ...extra, wires: [['out'], ['events']] },
      { id: 'out', type: 'helper' },
      { id: 'events', type: 'helper' },
      { id: 'catch', type: 'catch', scope: ['state'], wires: [['caught']] },
      { id: 'caught', type: 'helper' },
    ]),
  );
  return { state: helper.getNode('state'), out: helper.getNode('out'), events: helper.getNode('events'), caught: helper.getNode('caught') };
}

describe('twin-state node', function () {
  beforeEach(() => helper.startServer());
  afterEach(async () => {
    await helper.unload();
    await helper.stopServer();
  });

  it('throttles snapshots per asset and still sends the last state', async () => {
    const { state, out } = await load({ throttleMs: '300' });
    const got: any[] = [];
    out.on('input', (m: any) => got.push(m.payload));
    const ts = Date.now();
    for (let i = 0; i < 20; i++) state.receive({ payload: { assetId: 'p', ts: ts + i, signals: { flow: i } } });
    await until(() => got.length >= 2, 3000, 'the trailing snapshot');
    await new Promise((r) => setTimeout(r, 400));
    assert.equal(got.length, 2, 'one at once, one when the window ends');
    assert.equal(got[0].signals.flow.value, 0);
    assert.equal(got[1].signals.flow.value, 19);
    assert.equal(got[1].version, 20);
  });

  it('throttled: a reading that comes when the window has ended but before its scheduled send has run goes out once', async () => {
    const { state, out } = await load({ throttleMs: '300' });
    const got: any[] = [];
    out.on('input', (m: any) => got.push(m.payload.version));
    const ts = Date.now() - 1000;
    state.receive({ payload: { assetId: 'p', ts, signals: { flow: 1 } } });
    await until(() => got.length === 1, 3000, 'the first snapshot');
    state.receive({ payload: { assetId: 'p', ts: ts + 1, signals: { flow: 2 } } }); // scheduled for the window's end
    await new Promise((r) => setImmediate(r));
    // A busy event loop: the window ends while the scheduled send cannot run yet, and a third reading comes.
    const busyUntil = Date.now() + 400;
    while (Date.now() < busyUntil);
    state.receive({ payload: { assetId: 'p', ts: ts + 2, signals: { flow: 3 } } });
    await new Promise((r) => setTimeout(r, 700));
    assert.deepEqual(got, [1, 3], 'the last state once, not twice');
  });

  it('reports a signal going stale and coming back on the events output, and in the status', async () => {
    const { state, events } = await load();
    const stale = nextMessage(events, (m: any) => m.payload.type === 'stale', 5000);
    state.receive({ payload: { assetId: 'p', ts: Date.now(), signals: { speed: 1480 } } });
    const event = (await stale).payload;
    assert.deepEqual([event.assetId, event.signal], ['p', 'speed']);
    await until(() => state.status.args.some((a: any[]) => a[0].text === 'twin-state.status.tracking-stale'), 3000, 'a stale status');
    const back = nextMessage(events, (m: any) => m.payload.type === 'back');
    state.receive({ payload: { assetId: 'p', ts: Date.now(), signals: { speed: 1479 } } });
    assert.equal((await back).payload.signal, 'speed');
  });

  it('logs maintenance, sets desired values and returns history on command', async () => {
    const { state, out, events, caught } = await load();
    const ts = Date.now() - 10_000;
    for (let i = 0; i < 5; i++) state.receive({ payload: { assetId: 'p', ts: ts + i * 1000, signals: { speed: 1400 + i } } });
    const logged = nextMessage(events, (m: any) => m.payload.type === 'maintenance');
    const snap = nextMessage(out, (m: any) => m.payload.lastMaintenance !== undefined);
    state.receive({ topic: 'maintenance', payload: { assetId: 'p', kind: 'part-replaced', part: 'bearing A', by: 'J. Doe' } });
    assert.equal((await logged).payload.entry.part, 'bearing A');
    assert.equal((await snap).payload.lastMaintenance.by, 'J. Doe');

    const desired = nextMessage(out, (m: any) => m.payload.desired !== undefined);
    state.receive({ topic: 'desired', payload: { assetId: 'p', point: 'speed', value: 1300, ttl: 60 } });
    const d = (await desired).payload.desired.speed;
    assert.deepEqual([d.value, d.state, d.reported, d.delta], [1300, 'pending', 1404, -104]);
    assert.equal(d.expiresAt - d.ts, 60_000);

    const reached = nextMessage(events, (m: any) => m.payload.type === 'desired');
    state.receive({ payload: { assetId: 'p', ts: Date.now(), signals: { speed: 1302 } } });
    assert.equal((await reached).payload.state, 'reached');

    const current = nextMessage(out, (m: any) => m.topic === 'snapshot');
    state.receive({ topic: 'snapshot', payload: { assetId: 'p' } });
    const version = (await current).payload.version;
    const changedSince = nextMessage(out, (m: any) => m.topic === 'snapshot');
    state.receive({ payload: { assetId: 'p', ts: Date.now() + 1, signals: { flow: 150 } } });
    state.receive({ topic: 'snapshot', payload: { assetId: 'p', sinceVersion: version } });
    assert.deepEqual(Object.keys((await changedSince).payload.signals), ['flow'], 'only what changed after that version');

    const history = nextMessage(out, (m: any) => Array.isArray(m.payload.values));
    state.receive({ topic: 'history', payload: { assetId: 'p', signal: 'speed' } });
    assert.deepEqual((await history).payload.values, [1400, 1401, 1402, 1403, 1404, 1302]);
    // from/to as ISO dates, as telemetry takes them: the same window as in ms.
    const window = nextMessage(out, (m: any) => Array.isArray(m.payload.values));
    state.receive({ topic: 'history', payload: { assetId: 'p', signal: 'speed', from: new Date(ts + 1000).toISOString(), to: ts + 3000 } });
    assert.deepEqual((await window).payload.values, [1401, 1402, 1403]);
    const refused = nextMessage(caught);
    state.receive({ topic: 'history', payload: { assetId: 'p', signal: 'speed', from: 'yesterday' } });
    assert.match((await refused).error.message, /history from: timestamp "yesterday" is not a date/);
  });

  it('reads times without a zone offset, in readings and in history windows, in the zone set on the node', async () => {
    const { state, out } = await load({ zonelessTimes: 'America/New_York' });
    // The wall-clock time in New York a minute ago, as a PLC there would send it: no offset.
    const at = Math.floor((Date.now() - 60_000) / 1000) * 1000;
    const wall = (ms: number) => new Intl.DateTimeFormat('sv-SE', { timeZone: 'America/New_York', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit' }).format(ms).replace(' ', 'T');
    const snap = nextMessage(out);
    state.receive({ payload: { assetId: 'p', ts: wall(at), signals: { speed: 1400 } } });
    assert.equal((await snap).payload.signals.speed.ts, at);
    const history = nextMessage(out, (m: any) => Array.isArray(m.payload.values));
    state.receive({ topic: 'history', payload: { assetId: 'p', signal: 'speed', from: wall(at - 1000), to: wall(at + 1000) } });
    assert.deepEqual((await history).payload.values, [1400]);
    assert.deepEqual(textsOn(state, 'warn'), [], 'the zone was chosen: nothing to warn about');
  });

  it('includes window statistics in snapshots when asked', async () => {
    const { state, out } = await load({ includeStatistics: true });
    const ts = Date.now() - 10_000;
    const last = nextMessage(out, (m: any) => m.payload.version === 3);
    for (const [i, v] of [10, 20, 30].entries()) state.receive({ payload: { assetId: 'p', ts: ts + i * 1000, signals: { flow: v } } });
    const stats = (await last).payload.statistics.flow;
    assert.deepEqual([stats.count, stats.mean, stats.min, stats.max, stats.std], [3, 20, 10, 30, 10]);
    assert.equal(stats.slopePerSecond, 10);
  });

  it('refuses bad commands through done(err) with a reason', async () => {
    const { state, caught } = await load();
    for (const [msg, pattern] of [
      [{ topic: 'maintenance', payload: { kind: 'note' } }, /needs msg.payload.assetId/],
      [{ topic: 'maintenance', payload: { assetId: 'p', kind: 'party' } }, /must be one of/],
      [{ topic: 'desired', payload: { assetId: 'p', point: 'valve', value: 1 } }, /not an actuation point/],
      [{ topic: 'desired', payload: { assetId: 'p', point: 'speed', value: 5000 } }, /above the maximum 1800/],
      [{ topic: 'desired', payload: { assetId: 'p', point: 'speed', value: 1000, ttl: -5 } }, /desired ttl must be a positive number of seconds, got -5/],
      [{ topic: 'history', payload: { assetId: 'nobody', signal: 'speed' } }, /unknown asset "nobody"/],
    ] as const) {
      const err = nextMessage(caught);
      state.receive(msg);
      assert.match((await err).error.message, pattern);
    }
  });

  it('reset forgets every asset only when asked for in so many words, never on an Inject node\'s default timestamp', async () => {
    const { state, out, caught } = await load();
    for (const id of ['p1', 'p2', 'p3']) {
      const sent = nextMessage(out);
      state.receive({ payload: { assetId: id, ts: Date.now() - 1000, signals: { speed: 1000 } } });
      await sent;
    }
    const snapshotOf = async (assetId: string) => {
      const answer = nextMessage(out);
      state.receive({ topic: 'snapshot', payload: { assetId } });
      return (await answer).payload;
    };
    // An Inject node's default payload is a timestamp: an error, and every asset is still there.
    let err = nextMessage(caught);
    state.receive({ topic: 'reset', payload: Date.now() });
    assert.match((await err).error.message, /reset needs msg.payload.assetId, or msg.payload = \{ all: true \}/);
    assert.equal((await snapshotOf('p1')).signals.speed.value, 1000);
    err = nextMessage(caught);
    state.receive({ topic: 'reset', payload: { assetId: 'nobody' } });
    assert.match((await err).error.message, /unknown asset "nobody"/);
    // One asset by name, then all of them when asked.
    state.receive({ topic: 'reset', payload: { assetId: 'p1' } });
    err = nextMessage(caught);
    state.receive({ topic: 'snapshot', payload: { assetId: 'p1' } });
    assert.match((await err).error.message, /unknown asset "p1"/);
    assert.equal((await snapshotOf('p2')).signals.speed.value, 1000);
    state.receive({ topic: 'reset', payload: { all: true } });
    const all = nextMessage(out);
    state.receive({ topic: 'snapshot', payload: {} });
    assert.deepEqual((await all).payload, []);
  });

  it('a signal the definition does not declare, when it stores no others, is an event and no error: the rest is stored', async () => {
    const def = uid('def');
    await helper.load(
      [nodes.definition, nodes.state, coreNodes.catch],
      onTab([
        { ...definition(def), acceptUndeclared: false },
        { id: 'state', type: 'twin-state', definition: def, throttleMs: '0', wires: [['out'], ['events']] },
        { id: 'out', type: 'helper' },
        { id: 'events', type: 'helper' },
        { id: 'catch', type: 'catch', scope: ['state'], wires: [['caught']] },
        { id: 'caught', type: 'helper' },
      ]),
    );
    const state = helper.getNode('state');
    let errors = 0;
    helper.getNode('caught').on('input', () => errors++);
    const rejected = nextMessage(helper.getNode('events'), (m: any) => m.payload.type === 'rejected');
    const sent = nextMessage(helper.getNode('out'));
    // A gateway's JSON with a sequence number and the radio's signal strength beside the pump's readings.
    state.receive({ payload: { assetId: 'p', ts: Date.now() - 1000, signals: { speed: 1200, seq: 41, rssi: -67 } } });
    assert.deepEqual(Object.keys((await sent).payload.signals), ['speed']);
    assert.match((await rejected).payload.reason, /signal "(seq|rssi)" is not declared/);
    // Text in a field the twin does not take (a device's "POWER": "ON"), as it comes or as a sensor node listed it.
    const power = nextMessage(helper.getNode('events'), (m: any) => m.payload.signal === 'POWER');
    const listed = nextMessage(helper.getNode('events'), (m: any) => m.payload.signal === 'mode');
    state.receive({ payload: { assetId: 'p', ts: Date.now() - 900, signals: { speed: 1201, POWER: 'ON' } }, rejected: [{ signal: 'mode', reason: 'value is the string "AUTO", not a finite number' }] });
    assert.match((await power).payload.reason, /value is the string "ON"/);
    assert.match((await listed).payload.reason, /AUTO/);
    await new Promise((resolve) => setTimeout(resolve, 100));
    assert.equal(errors, 0);
    // Text where a declared signal belongs, listed by a sensor node: an error naming it.
    const err = nextMessage(helper.getNode('caught'));
    state.receive({ payload: { assetId: 'p', ts: Date.now() - 800, signals: { speed: 1202 } }, rejected: [{ signal: 'flow', reason: 'value is the string "n/a", not a finite number' }] });
    assert.equal((await err).error.message, 'Error: flow of p not taken: value is the string "n/a", not a finite number');
  });

  it('a reading it cannot take (future time, NaN, text) is an error for Catch nodes and an event; the rest is stored', async () => {
    const { state, out, events, caught } = await load();
    // A PLC clock an hour ahead (local time sent as UTC): nothing stored, an error, an event.
    let rejected = nextMessage(events, (m: any) => m.payload.type === 'rejected');
    let err = nextMessage(caught);
    state.receive({ payload: { assetId: 'p', ts: Date.now() + 3_600_000, signals: { speed: 1 } } });
    assert.match((await rejected).payload.reason, /more than 5 minutes in the future/);
    assert.match((await err).error.message, /^Error: reading of p not taken: timestamp \d+ \(.*\) is more than 5 minutes in the future$/);
    // One bad signal among good ones: the good ones are stored and sent on, the bad one is named in the error.
    const sent = nextMessage(out);
    err = nextMessage(caught);
    state.receive({ payload: { assetId: 'p', ts: Date.now() - 1000, signals: { speed: 1200, flow: NaN, vibration: 'high' } } });
    const snapshot = (await sent).payload;
    assert.equal(snapshot.signals.speed.value, 1200);
    assert.equal(snapshot.signals.flow, undefined);
    assert.match((await err).error.message, /^Error: (flow|vibration) of p not taken: value is .*, not a finite number \(and 1 more in this message\)$/);
    const status = state.status.lastCall.args[0];
    assert.deepEqual([status.fill, status.text], ['yellow', 'twin-state.status.error']);
    // Outside the declared range is what the sensor said: kept as bad, an event, no error.
    rejected = nextMessage(events, (m: any) => m.payload.type === 'rejected');
    const stored = nextMessage(out);
    let errors = 0;
    caught.on('input', () => errors++);
    state.receive({ payload: { assetId: 'p', ts: Date.now() - 500, signals: { speed: 9000, flow: 10 } } });
    assert.match((await rejected).payload.reason, /9000 is above the maximum 3000/);
    assert.equal((await stored).payload.signals.flow.value, 10);
    const history = nextMessage(out);
    state.receive({ topic: 'history', payload: { assetId: 'p', signal: 'speed' } });
    const series = (await history).payload;
    assert.deepEqual([series.values, series.quality], [[1200, 9000], ['good', 'bad']]);
    // A Catch node's message comes on a turn of its own: give one the time to arrive before counting.
    await new Promise((resolve) => setTimeout(resolve, 100));
    assert.equal(errors, 0);
  });
});
