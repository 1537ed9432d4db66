/**
 * The demo dashboard's what-if page logic (functions "scenario from the sliders" and "results for the page" of
 * flows/demo.json), run in a real Node-RED runtime: an untouched page asks for no change, the optimisation chart draws
 * each category in its own colour whatever the search found, and after Optimise the words and charts describe the
 * optimum the table shows. The cases a live demo reaches only now and then (no safe speed) are checked here.
 */
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { collect, helper, onTab, until } from '../support/red.mts';

const require = createRequire(import.meta.url);
const functionNode = require(require.resolve('@node-red/nodes/core/function/10-function.js', { paths: [require.resolve('node-red')] })) as unknown;
const demo = JSON.parse(readFileSync(join(import.meta.dirname, '..', '..', 'flows', 'demo.json'), 'utf8')) as Array<Record<string, any>>;
const byId = (id: string) => demo.find((n) => n.id === id)!;

/** Messages from a function node are built in its own sandbox: copied into this one, so deepEqual compares values. */
const plain = (value: unknown) => JSON.parse(JSON.stringify(value));

const OUTPUTS = ['temp', 'flow', 'words', 'trade', 'best', 'binding'];

/** A what-if result as twin-what-if sends it, cut down to what the page reads. */
function result(name: string, speed: number, statements: string[]) {
  return { name, runs: 1, t: [0, 3600, 7200], trajectories: { bearingTemp: [53, 54, 55], flow: [151, 151, 151] }, kpis: { throughputM3: 302, rulAtEndH: 20, peak: { bearingTemp: 55 } }, comparison: { statements }, values: { 'setpoints.speed': speed } };
}

function optimisation(feasible: (rpm: number) => boolean, best: ReturnType<typeof result> | null) {
  const speeds = [1000, 1200, 1400, 1600, 1800];
  return {
    kind: 'optimisation',
    name: 'optimum',
    evaluations: speeds.length,
    seconds: 0.5,
    baseline: result('baseline', 1480, []),
    best,
    tradeOff: { constraint: 'remaining life at the end (floor 8 h)', points: speeds.map((rpm) => ({ values: { 'setpoints.speed': rpm }, objective: rpm / 5, constraintValue: 30 - rpm / 100, feasible: feasible(rpm) })) },
    infeasible: speeds.filter((rpm) => !feasible(rpm)).map((rpm) => ({ values: { 'setpoints.speed': rpm }, reasons: [`${rpm} rpm: life below the 8 h floor`] })),
  };
}

describe('demo dashboard: what-if page texts and charts', () => {
  beforeEach(() => helper.startServer());
  afterEach(async () => {
    await helper.unload();
    await helper.stopServer();
  });

  async function loadResults() {
    const results = byId('dash.wi.fn.results');
    await helper.load([functionNode], onTab([{ ...results, z: 'tab', wires: OUTPUTS.map((id) => [id]) }, ...OUTPUTS.map((id) => ({ id, type: 'helper' }))]));
    const seen = Object.fromEntries(OUTPUTS.map((id) => [id, collect(helper.getNode(id))]));
    return { node: helper.getNode(results.id), seen };
  }

  it('draws safe speeds in green and speeds that break a limit in red, also when none or all are safe', async () => {
    const { node, seen } = await loadResults();
    // The chart colours its series in the order they first appear in a message.
    const palette: string[] = byId('dash.wi.chart.trade').colors;
    assert.deepEqual(palette.slice(0, 2), ['#2e7d32', '#c62828']);
    const cases = [
      { what: 'some safe', feasible: (rpm: number) => rpm <= 1400 },
      { what: 'none safe', feasible: () => false },
      { what: 'all safe', feasible: () => true },
    ];
    for (const [i, c] of cases.entries()) {
      node.receive({ payload: optimisation(c.feasible, null) });
      await until(() => seen.trade!.length === i + 1, 5000, `the trade-off chart (${c.what})`);
      const points: Array<{ x: number; y: number | null; series: string }> = plain(seen.trade![i].payload);
      const order = [...new Set(points.map((p) => p.series))];
      const colour = Object.fromEntries(order.map((series, k) => [series, palette[k]]));
      assert.deepEqual(colour, { safe: '#2e7d32', 'breaks a limit': '#c62828' }, c.what);
      // Every candidate is drawn once, in its category; a category with no candidate draws nothing.
      const drawn = (series: string) => points.filter((p) => p.series === series && p.y !== null).map((p) => p.x);
      assert.deepEqual(drawn('safe'), [1000, 1200, 1400, 1600, 1800].filter(c.feasible), c.what);
      assert.deepEqual(drawn('breaks a limit'), [1000, 1200, 1400, 1600, 1800].filter((rpm) => !c.feasible(rpm)), c.what);
    }
  });

  it('after Optimise the words and the scenario charts describe the optimum the table shows, or the baseline alone', async () => {
    const { node, seen } = await loadResults();
    node.receive({ payload: { kind: 'scenarios', seconds: 0.2, fork: { version: 7 }, baseline: result('baseline', 1480, []), scenarios: [result('1600 rpm', 1600, ['throughput +20.0 m³ (+7 %)'])] } });
    await until(() => seen.words!.length === 1, 5000, 'the scenario words');
    assert.match(seen.words![0].payload, /^1600 rpm: throughput \+20\.0 m³/);

    node.receive({ payload: optimisation((rpm) => rpm <= 1400, result('optimum', 1400, ['throughput −8.0 m³ (−3 %)', 'energy −1.2 kWh (−3 %)'])) });
    await until(() => seen.words!.length === 2, 5000, 'the optimum words');
    assert.equal(seen.words![1].payload, 'optimum (best), 1400 rpm: throughput −8.0 m³ (−3 %) · energy −1.2 kWh (−3 %). Computed in 0.50 s.');
    assert.deepEqual([...new Set(seen.temp![1].payload.map((p: any) => p.series))], ['baseline', 'optimum (best), 1400 rpm']);

    node.receive({ payload: optimisation(() => false, null) });
    await until(() => seen.words!.length === 3, 5000, 'the words when no speed is safe');
    assert.match(seen.words![2].payload, /^no safe speed: the table shows carrying on as now/);
    assert.deepEqual([...new Set(seen.temp![2].payload.map((p: any) => p.series))], ['baseline']);
  });

  it('an untouched page asks for no change; a moved slider is the change', async () => {
    const build = byId('dash.wi.fn.build');
    await helper.load([functionNode], onTab([{ ...build, z: 'tab', wires: [['out']] }, { id: 'out', type: 'helper' }]));
    const out = collect(helper.getNode('out'));
    const node = helper.getNode(build.id);
    // The page's start values, as the 'slider defaults' inject leaves them in the flow context.
    (node as any).context().flow.set('whatIf', { assetId: 'pump-1', speed: 1480, ambientTemp: 25, hours: 2, runs: 100 });
    node.receive({ topic: 'run' });
    node.receive({ topic: 'optimise' });
    node.receive({ topic: 'speed', payload: 1600 });
    node.receive({ topic: 'run' });
    await until(() => out.length === 3, 5000, 'three requests');
    assert.equal(out[0].payload.name, 'as now');
    assert.deepEqual(plain(out[0].payload.changes), { setpoints: {}, conditions: {} });
    assert.deepEqual(plain(out[1].payload.changes), { conditions: {} });
    assert.equal(out[2].payload.name, '1600 rpm');
    assert.deepEqual(plain(out[2].payload.changes), { setpoints: { speed: 1600 }, conditions: {} });
  });

  it('the KPI table has fixed decimals per column and the chance of crossing a limit in per cent', async () => {
    const format = byId('dash.wi.fn.table');
    assert.deepEqual(byId('dash.wi.node').wires[1], ['dash.wi.fn.table']);
    await helper.load([functionNode], onTab([{ ...format, z: 'tab', wires: [['out']] }, { id: 'out', type: 'helper' }]));
    const out = collect(helper.getNode('out'));
    helper.getNode(format.id).receive({ payload: [
      { scenario: 'baseline', energyKwh: 58, throughputM3: 302, energyPerM3: 0.1569, peakBearingTempC: 60.2, rulAtEndH: 84.4, minutesOutsideLimits: 0, violations: 0, limitCrossingProbability: 0 },
      { scenario: 'faster', energyKwh: 90.79, throughputM3: 360.5, energyPerM3: null, peakBearingTempC: 71, rulAtEndH: 20, minutesOutsideLimits: 12.25, violations: 1, limitCrossingProbability: 0.133 },
    ] });
    await until(() => out.length === 1, 5000, 'the table');
    assert.deepEqual(plain(out[0].payload), [
      { scenario: 'baseline', energyKwh: '58.0', throughputM3: '302.0', energyPerM3: '0.157', peakBearingTempC: '60.2', rulAtEndH: '84.4', minutesOutsideLimits: '0.0', limitCrossing: '0 %' },
      { scenario: 'faster', energyKwh: '90.8', throughputM3: '360.5', energyPerM3: '–', peakBearingTempC: '71.0', rulAtEndH: '20.0', minutesOutsideLimits: '12.3', limitCrossing: '13 %' },
    ]);
  });

  it('Send to actuator sends the pump on screen the scenario last run for it, never the one last run for another pump', async () => {
    const build = byId('dash.wi.fn.build');
    await helper.load([functionNode], onTab([{ ...build, z: 'tab', wires: [['out']] }, { id: 'out', type: 'helper' }]));
    const out = collect(helper.getNode('out'));
    const node = helper.getNode(build.id);
    (node as any).context().flow.set('whatIf', { assetId: 'pump-1', speed: 1480, ambientTemp: 25, hours: 2, runs: 100 });
    node.receive({ topic: 'optimise' });
    node.receive({ topic: 'assetId', payload: 'pump-3' });
    node.receive({ topic: 'promote' });
    node.receive({ topic: 'speed', payload: 1300 });
    node.receive({ topic: 'run' });
    node.receive({ topic: 'promote' });
    node.receive({ topic: 'assetId', payload: 'pump-1' });
    node.receive({ topic: 'promote' });
    await until(() => out.length === 5, 5000, 'five requests');
    const promotes = out.filter((m) => m.topic === 'promote').map((m) => plain(m.payload));
    assert.deepEqual(promotes, [
      // Nothing run for pump-3 yet: twin-what-if refuses this, and the page shows why.
      { name: '', assetId: 'pump-3', user: 'dashboard' },
      { name: '1300 rpm', assetId: 'pump-3', user: 'dashboard' },
      { name: 'optimum', assetId: 'pump-1', user: 'dashboard' },
    ]);
  });
});
