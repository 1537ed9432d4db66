/** twin-state commands that dashboards use: decimated history (`maxPoints`) and the audit trail (`audit`). */
import assert from 'node:assert/strict';
import { coreNodes, helper, nodes, nextMessage, onTab, uid } from '../support/red.mts';

async function load() {
  const def = uid('def');
  await helper.load(
    [nodes.definition, nodes.state, coreNodes.catch],
    onTab([
      { id: def, type: 'twin-definition', assetClass: 'pump', historyPoints: '5000', acceptUndeclared: true, signals: [{ name: 'bearingTemp', unit: 'degC', min: -20, max: 150 }] },
      { id: 'state', type: 'twin-state', definition: def, throttleMs: '0', wires: [['out'], []] },
      { id: 'out', type: 'helper' },
      { id: 'catch', type: 'catch', scope: ['state'], wires: [['caught']] },
      { id: 'caught', type: 'helper' },
    ]),
  );
  const defNode = helper.getNode(def) as unknown as { store: import('../../dist/core/index.js').TwinStore };
  return { state: helper.getNode('state'), out: helper.getNode('out'), caught: helper.getNode('caught'), store: defNode.store };
}

describe('twin-state: history for charts and the audit trail', function () {
  beforeEach(() => helper.startServer());
  afterEach(async () => {
    await helper.unload();
    await helper.stopServer();
  });

  it('thins a long history to maxPoints, keeping a spike, the newest reading and the message shape', async () => {
    const { state, out } = await load();
    const t0 = Date.now() - 3600_000;
    const batch = Array.from({ length: 3600 }, (_, i) => ({ assetId: 'pump-1', ts: t0 + i * 1000, signals: { bearingTemp: i === 2000 ? 97 : 55 + i / 360 } }));
    const ingested = nextMessage(out, (m: any) => m.topic === 'pump-1' && m.payload.version !== undefined);
    state.receive({ payload: batch });
    await ingested;

    const full = nextMessage(out, (m: any) => Array.isArray(m.payload.values) && m.tag === 'full');
    state.receive({ topic: 'history', tag: 'full', payload: { assetId: 'pump-1', signal: 'bearingTemp' } });
    assert.equal((await full).payload.values.length, 3600, 'without maxPoints: every point, as before');

    const thin = nextMessage(out, (m: any) => Array.isArray(m.payload.values) && m.tag === 'thin');
    state.receive({ topic: 'history', tag: 'thin', payload: { assetId: 'pump-1', signal: 'bearingTemp', maxPoints: 300 } });
    const p = (await thin).payload;
    assert.deepEqual(Object.keys(p).sort(), ['assetId', 'quality', 'signal', 'ts', 'values']);
    // 75 buckets; on a steady climb each bucket's first point is its minimum and its last its maximum, so two points
    // per bucket draw the same line (plus the spike's bucket, which keeps the spike too).
    assert.ok(p.values.length <= 300 && p.values.length >= 150, `${p.values.length} points`);
    assert.equal(Math.max(...p.values), 97, 'the one-reading spike is still there');
    assert.equal(p.ts.at(-1), t0 + 3599_000, 'the newest reading is there');
    assert.equal(p.ts.length, p.quality.length);
  });

  it('refuses a maxPoints below 4 through done(err)', async () => {
    const { state, caught } = await load();
    state.receive({ payload: { assetId: 'pump-1', ts: Date.now(), signals: { bearingTemp: 50 } } });
    for (const maxPoints of [2, 'many', 10.5]) {
      const err = nextMessage(caught);
      state.receive({ topic: 'history', payload: { assetId: 'pump-1', signal: 'bearingTemp', maxPoints } });
      assert.match((await err).error.message, /maxPoints must be a whole number of at least 4/);
    }
  });

  it('sends the audit trail kept in the twin: one asset, or all in time order, the newest `limit`', async () => {
    const { state, out, caught, store } = await load();
    const now = Date.now();
    for (const [i, assetId] of ['pump-1', 'pump-2', 'pump-1'].entries()) {
      store.appendAudit({ ts: now + i, assetId, point: 'speed', requested: 1300 + i, mode: 'confirm', result: 'confirmed', guards: [] });
    }
    const one = nextMessage(out, (m: any) => m.payload.records !== undefined);
    state.receive({ topic: 'audit', payload: { assetId: 'pump-1' } });
    const mine = (await one).payload;
    assert.equal(mine.assetId, 'pump-1');
    assert.deepEqual(mine.records.map((r: any) => r.requested), [1300, 1302]);

    const all = nextMessage(out, (m: any) => m.payload.records !== undefined);
    state.receive({ topic: 'audit', payload: { limit: 2 } });
    assert.deepEqual((await all).payload.records.map((r: any) => [r.assetId, r.requested]), [['pump-2', 1301], ['pump-1', 1302]]);

    const err = nextMessage(caught);
    state.receive({ topic: 'audit', payload: { limit: 0 } });
    assert.match((await err).error.message, /audit limit must be a whole number/);
  });
});
