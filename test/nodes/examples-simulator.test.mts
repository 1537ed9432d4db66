/**
 * The simulator's example flows, imported as a user imports them, run in a real Node-RED runtime (debug nodes are
 * swapped for test helper nodes so the test sees what the debug sidebar would show).
 */
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { helper, importExample, nodes, until } from '../support/red.mts';
import { cmapssDir } from '../support/data.mts';

const require = createRequire(import.meta.url);
const coreNode = (path: string) => require(require.resolve(`@node-red/nodes/core/${path}`, { paths: [require.resolve('node-red')] })) as unknown;
const inject = coreNode('common/20-inject.js');
const comment = coreNode('common/90-comment.js');
const change = coreNode('function/15-change.js');
const fn = coreNode('function/10-function.js');

const TEST_FD001 = join(cmapssDir(), 'test_FD001.txt');

describe('simulator example flows', function () {
  beforeEach(() => helper.startServer());
  afterEach(async () => {
    await helper.unload();
    await helper.stopServer();
  });

  it('01 Simulated pump twin: snapshots of both pumps, and the speed inject slows them down', async () => {
    await helper.load([nodes.definition, nodes.simulator, nodes.state, inject, comment, fn], importExample('01 Simulated pump twin.json'));
    const snaps: any[] = [];
    helper.getNode('ex1.snap').on('input', (m: any) => snaps.push(m.payload));
    await until(() => snaps.some((s) => s.assetId === 'pump-1') && snaps.some((s) => s.assetId === 'pump-2'), 5000, 'snapshots of both pumps');
    assert.equal(snaps[0].signals.speed.value > 1400, true);
    helper.getNode('ex1.slow').receive({});
    // One tick is 60 simulated seconds, longer than the 100 rpm/s ramp needs.
    await until(() => snaps.some((s) => s.signals.speed?.value < 1250), 5000, 'the pumps to slow to 1200 rpm');
    // A new bearing for pump-1: fitted in the simulator and logged in the twin.
    helper.getNode('ex1.replace').receive({ payload: { assetId: 'pump-1' } });
    await until(() => snaps.some((s) => s.assetId === 'pump-1' && s.lastMaintenance?.kind === 'part-replaced'), 10_000, 'the replacement in pump-1\'s twin (snapshots at most every 5 s)');
    const entry = snaps.find((s) => s.assetId === 'pump-1' && s.lastMaintenance).lastMaintenance;
    assert.deepEqual([entry.part, entry.by], ['bearing', 'example 01']);
    assert.ok(!snaps.some((s) => s.assetId === 'pump-2' && s.lastMaintenance), 'pump-2 keeps its bearing');
    // The simulator took the command (a refused one would be logged as an error of that node).
    const simulatorErrors = helper.log().args.filter((a: any[]) => a[0]?.id === 'ex1.sim' && a[0]?.level <= 20);
    assert.deepEqual(simulatorErrors.map((a: any[]) => a[0].msg), [], 'the simulator refused nothing');
  });

  it('04 Turbofan replay: tells the user to set the file, and replays engines into their twins once it is set', async () => {
    const flow = importExample('04 Turbofan replay (C-MAPSS).json', (n) => {
      if (n.type === 'twin-simulator') n.intervalMs = '20';
      // Every snapshot, to follow single readings (the example sends one per engine every 5 s).
      if (n.type === 'twin-state') n.throttleMs = '0';
    });
    const firstComment = flow.find((n) => n.type === 'comment')!;
    assert.match(`${firstComment.name} ${firstComment.info}`, /train_FD001\.txt/);
    assert.equal(flow.find((n) => n.type === 'twin-simulator')!.file, '', 'the user sets the file');

    flow.find((n) => n.type === 'twin-simulator')!.file = TEST_FD001;
    await helper.load([nodes.definition, nodes.simulator, nodes.state, inject, comment, change], flow);
    const snaps: any[] = [];
    const events: any[] = [];
    helper.getNode('ex4.snap').on('input', (m: any) => snaps.push(m.payload));
    helper.getNode('ex4.events').on('input', (m: any) => events.push(m.payload));
    await until(() => snaps.filter((s) => s.assetId === 'engine-1').length >= 5, 5000, 'five snapshots of engine-1');
    const engine1 = snaps.find((s) => s.assetId === 'engine-1');
    assert.equal(engine1.assetClass, 'turbofan engine');
    assert.equal(engine1.signals.s9.unit, 'rpm');

    helper.getNode('ex4.stuck').receive({});
    await new Promise((r) => setTimeout(r, 100));
    const stuckFrom = snaps.length;
    await until(() => snaps.slice(stuckFrom).filter((s) => s.assetId === 'engine-3').length >= 6, 5000, 'six more snapshots of engine-3');
    // The first may still be in flight from before the fault; after it, s4 holds still while the engine wears.
    const s4 = snaps.slice(stuckFrom).filter((s) => s.assetId === 'engine-3').slice(1).map((s) => s.signals.s4.value);
    assert.equal(new Set(s4).size, 1, `s4 of engine-3 is stuck (${s4.join(', ')})`);

    // Engine 1 of test_FD001 has 31 cycles: it finishes and, with loop on, its twin is reset and starts again.
    await until(() => events.some((e) => e.type === 'finished' && e.assetId === 'engine-1'), 5000, 'engine-1 to finish');
    await until(() => snaps.some((s, i) => s.assetId === 'engine-1' && s.signals.cycle.value === 1 && snaps.slice(0, i).some((p) => p.assetId === 'engine-1' && p.signals.cycle.value === 31)), 5000, 'engine-1 to start again');
    const restarted = snaps.filter((s) => s.assetId === 'engine-1' && s.signals.cycle.value === 1).at(-1);
    assert.equal(restarted.version, 1, 'the reset gave engine-1 a fresh twin');
  });
});
