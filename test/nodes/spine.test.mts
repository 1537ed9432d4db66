import assert from 'node:assert/strict';
import { coreNodes, helper, nodes, nextMessage, onTab, uid, until } from '../support/red.mts';

const PUMP_SIGNALS = ['bearingTemp', 'flow', 'power', 'pressure', 'speed', 'vibration'];

function definition(id: string, extra: Record<string, unknown> = {}) {
  return {
    id,
    type: 'twin-definition',
    assetClass: 'centrifugal pump',
    historyPoints: '50',
    acceptUndeclared: true,
    signals: [
      { name: 'flow', unit: 'm3/h', min: 0, max: 400 },
      { name: 'bearingTemp', unit: 'degC', min: -20, max: 150, staleAfterS: 10 },
    ],
    ...extra,
  };
}

describe('spine: twin-simulator → twin-state in Node-RED', function () {
  beforeEach(() => helper.startServer());
  afterEach(async () => {
    await helper.unload();
    await helper.stopServer();
  });

  it('turns simulated pump readings into growing twin snapshots', async () => {
    const def = uid('def');
    await helper.load(
      [nodes.definition, nodes.simulator, nodes.state],
      onTab([
        definition(def),
        { id: 'sim', type: 'twin-simulator', assetCount: '2', assetPrefix: 'pump-', intervalMs: '20', timeScale: '60', seed: '1', speed: '1480', frictionGrowth: '5', noise: '0.5', autoStart: true, wires: [['state']] },
        { id: 'state', type: 'twin-state', definition: def, wires: [['out'], ['events']] },
        { id: 'out', type: 'helper' },
        { id: 'events', type: 'helper' },
      ]),
    );
    const out = helper.getNode('out');
    const versions = new Map<string, number[]>();
    let last: any;
    out.on('input', (msg: any) => {
      last = msg.payload;
      const list = versions.get(msg.topic) ?? [];
      list.push(msg.payload.version);
      versions.set(msg.topic, list);
    });
    await until(() => (versions.get('pump-1')?.length ?? 0) >= 5 && (versions.get('pump-2')?.length ?? 0) >= 5, 5000, 'five snapshots of each pump');
    for (const list of versions.values()) {
      for (let i = 1; i < list.length; i++) assert.equal(list[i], list[i - 1]! + 1, 'version increases by one per update');
    }
    assert.equal(last.assetClass, 'centrifugal pump');
    assert.deepEqual(Object.keys(last.signals).sort(), PUMP_SIGNALS);
    assert.equal(last.signals.flow.unit, 'm3/h');
    assert.ok(last.signals.flow.value > 140 && last.signals.flow.value < 165, `flow ${last.signals.flow.value}`);
    assert.equal(last.signals.flow.quality, 'good');
  });

  it('answers a snapshot command with one asset or all, and obeys a speed setpoint', async () => {
    const def = uid('def');
    await helper.load(
      [nodes.definition, nodes.simulator, nodes.state],
      onTab([
        definition(def),
        { id: 'sim', type: 'twin-simulator', assetCount: '2', assetPrefix: 'pump-', intervalMs: '1000', timeScale: '1', seed: '3', speed: '1480', frictionGrowth: '0', noise: '0', autoStart: false, wires: [['state']] },
        { id: 'state', type: 'twin-state', definition: def, wires: [['out'], []] },
        { id: 'out', type: 'helper' },
      ]),
    );
    const sim = helper.getNode('sim');
    const state = helper.getNode('state');
    const out = helper.getNode('out');
    sim.receive({ payload: { assetId: 'pump-2', speed: 1000 } });
    // The drive ramps at 100 rpm/s; simulated time advances 1 s per tick.
    let ticks = 0;
    out.on('input', (m: any) => {
      if (m.topic === 'pump-2') ticks++;
    });
    for (let i = 0; i < 6; i++) sim.receive({ topic: 'tick' });
    await until(() => ticks === 6, 2000, 'six ticks of pump-2');

    const one = nextMessage(out, (m: any) => !Array.isArray(m.payload) && m.payload.assetId === 'pump-2' && m.topic === 'snapshot');
    state.receive({ topic: 'snapshot', payload: 'pump-2' });
    const snap = (await one).payload;
    assert.equal(snap.signals.speed.value, 1000);
    assert.equal(snap.version, 6);

    const all = nextMessage(out, (m: any) => Array.isArray(m.payload));
    state.receive({ topic: 'snapshot' });
    const list = (await all).payload as any[];
    assert.deepEqual(list.map((s) => s.assetId).sort(), ['pump-1', 'pump-2']);
    assert.equal(list.find((s) => s.assetId === 'pump-1').signals.speed.value, 1480);
  });

  it('fails bad input through done(err) for a Catch node, keeps stored data, and completes good input', async () => {
    const def = uid('def');
    await helper.load(
      [nodes.definition, nodes.state, coreNodes.catch, coreNodes.complete],
      onTab([
        definition(def),
        { id: 'state', type: 'twin-state', definition: def, wires: [['out'], ['events']] },
        { id: 'out', type: 'helper' },
        { id: 'events', type: 'helper' },
        { id: 'catch', type: 'catch', scope: ['state'], wires: [['caught']] },
        { id: 'caught', type: 'helper' },
        { id: 'complete', type: 'complete', scope: ['state'], wires: [['completed']] },
        { id: 'completed', type: 'helper' },
      ]),
    );
    const state = helper.getNode('state');
    const ts = Date.now();
    const completed = nextMessage(helper.getNode('completed'));
    state.receive({ payload: { assetId: 'pump-1', ts, signals: { flow: 150, bearingTemp: 50 } } });
    await completed;

    for (const [payload, pattern] of [
      ['{"assetId": broken json', /must be an object/],
      [{ assetId: 'pump-1', ts: 'not a date', signals: { flow: 1 } }, /not a date/],
      [{ signals: { flow: 1 } }, /no assetId/],
      [42, /must be an object/],
    ] as const) {
      const caught = nextMessage(helper.getNode('caught'));
      state.receive({ payload });
      const msg = await caught;
      assert.match(msg.error.message, pattern);
      assert.equal(msg.error.source.id, 'state');
    }

    const event = nextMessage(helper.getNode('events'));
    state.receive({ payload: { assetId: 'pump-1', ts: ts + 1, signals: { flow: NaN, bearingTemp: 400 } } });
    const rejected = (await event).payload;
    assert.equal(rejected.type, 'rejected');

    const snap = nextMessage(helper.getNode('out'), (m: any) => m.topic === 'snapshot');
    state.receive({ topic: 'snapshot', payload: { assetId: 'pump-1' } });
    const kept = (await snap).payload;
    assert.equal(kept.signals.flow.value, 150);
    assert.equal(kept.signals.bearingTemp.value, 50);

    const unknown = nextMessage(helper.getNode('caught'));
    state.receive({ topic: 'snapshot', payload: 'pump-99' });
    assert.match((await unknown).error.message, /unknown asset "pump-99"/);
  });

  it('sends one snapshot per asset for a batch of telemetry', async () => {
    const def = uid('def');
    await helper.load(
      [nodes.definition, nodes.state],
      onTab([definition(def), { id: 'state', type: 'twin-state', definition: def, wires: [['out'], []] }, { id: 'out', type: 'helper' }]),
    );
    const got: any[] = [];
    helper.getNode('out').on('input', (m: any) => got.push(m));
    const ts = Date.now();
    helper.getNode('state').receive({
      payload: [
        { assetId: 'a', ts, signals: { flow: 1 } },
        { assetId: 'b', ts, signals: { flow: 2 } },
        { assetId: 'a', ts: ts + 1, signals: { flow: 3 } },
      ],
    });
    await until(() => got.length >= 2, 2000, 'two snapshots');
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(got.length, 2);
    const a = got.find((m) => m.topic === 'a').payload;
    assert.equal(a.signals.flow.value, 3);
    assert.equal(a.version, 2);
  });

  it('keeps the twin through a redeploy of the same definition', async () => {
    const def = uid('def');
    const flow = onTab([definition(def), { id: 'state', type: 'twin-state', definition: def, wires: [['out'], []] }, { id: 'out', type: 'helper' }]);
    await helper.load([nodes.definition, nodes.state], flow);
    const first = nextMessage(helper.getNode('out'));
    helper.getNode('state').receive({ payload: { assetId: 'p', ts: Date.now(), signals: { flow: 7 } } });
    await first;
    await helper.unload();
    await helper.load([nodes.definition, nodes.state], flow);
    const again = nextMessage(helper.getNode('out'));
    helper.getNode('state').receive({ topic: 'snapshot', payload: 'p' });
    assert.equal((await again).payload.signals.flow.value, 7);
  });

  it('reports a missing or invalid definition instead of crashing', async () => {
    const def = uid('def');
    await helper.load(
      [nodes.definition, nodes.state, coreNodes.catch],
      onTab([
        definition(def, { historyPoints: '-3' }),
        { id: 'state', type: 'twin-state', definition: def, wires: [[], []] },
        { id: 'catch', type: 'catch', scope: ['state'], wires: [['caught']] },
        { id: 'caught', type: 'helper' },
      ]),
    );
    const caught = nextMessage(helper.getNode('caught'));
    helper.getNode('state').receive({ payload: { assetId: 'p', signals: { flow: 1 } } });
    assert.match((await caught).error.message, /history length/);
  });

  it('refuses a bad simulator command through done(err)', async () => {
    await helper.load(
      [nodes.simulator, coreNodes.catch],
      onTab([
        { id: 'sim', type: 'twin-simulator', assetCount: '1', autoStart: false, wires: [[]] },
        { id: 'catch', type: 'catch', scope: ['sim'], wires: [['caught']] },
        { id: 'caught', type: 'helper' },
      ]),
    );
    const sim = helper.getNode('sim');
    for (const [msg, pattern] of [
      [{ payload: { speed: 'fast' } }, /speed setpoint must be a number/],
      [{ payload: { assetId: 'pump-7', speed: 1000 } }, /unknown asset "pump-7"/],
      [{ topic: 'explode' }, /expected topic start, stop or tick/],
    ] as const) {
      const caught = nextMessage(helper.getNode('caught'));
      sim.receive(msg);
      assert.match((await caught).error.message, pattern);
    }
  });
});
