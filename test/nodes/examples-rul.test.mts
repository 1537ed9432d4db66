/**
 * Example 06 (turbofan remaining useful life), imported as a user imports it and run in a real Node-RED runtime:
 * once the file is set, every replayed engine gets an estimate with its interval, and "part replaced" restarts
 * engine-1's count.
 */
import assert from 'node:assert/strict';
import { cmapssDir } from '../support/data.mts';
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { helper, nodes, until, uid } from '../support/red.mts';

const require = createRequire(import.meta.url);
const coreNode = (path: string) => require(require.resolve(`@node-red/nodes/core/${path}`, { paths: [require.resolve('node-red')] })) as unknown;
const inject = coreNode('common/20-inject.js');
const comment = coreNode('common/90-comment.js');

const root = join(import.meta.dirname, '..', '..');
const core = require('../../dist/core/index.js') as typeof import('../../dist/core/index.js');
const TEST_FD001 = join(cmapssDir(), 'test_FD001.txt');

describe('RUL example flow', function () {
  this.timeout(30_000);
  beforeEach(() => helper.startServer());
  afterEach(async () => {
    await helper.unload();
    await helper.stopServer();
  });

  it('06 Turbofan remaining useful life: estimates with intervals for each engine, restarted by "part replaced", and "engine-2: failed" teaches the model the run of engine-2', async () => {
    const flow = JSON.parse(readFileSync(join(root, 'examples', '06 Turbofan remaining useful life.json'), 'utf8')) as Array<Record<string, any>>;
    const def = flow.find((n) => n.type === 'twin-definition')!;
    const fresh = uid('def');
    for (const node of flow) {
      if (node.type === 'debug') node.type = 'helper';
      if (node.definition === def.id) node.definition = fresh;
    }
    def.id = fresh;
    const sim = flow.find((n) => n.type === 'twin-simulator')!;
    assert.equal(sim.file, '', 'the user sets the file');
    assert.match(flow.find((n) => n.type === 'comment')!.name, /test_FD001\.txt/);
    sim.file = TEST_FD001;
    sim.intervalMs = '20';
    sim.cyclesPerTick = '5';
    await helper.load([nodes.definition, nodes.simulator, nodes.state, nodes.rul, inject, comment], flow);
    const estimates: any[] = [];
    helper.getNode('ex6.out').on('input', (m: any) => estimates.push(m.payload));
    await until(() => new Set(estimates.map((e) => e.assetId)).size === 5, 10_000, 'estimates for engines 1–5');
    for (const e of estimates) {
      assert.equal(e.method, 'gbt');
      assert.ok(e.lower <= e.rul && e.rul <= e.upper && e.upper - e.lower > 0, JSON.stringify(e));
      assert.ok(e.probabilityOfFailureWithin.horizon === 20 && e.probabilityOfFailureWithin.p >= 0 && e.probabilityOfFailureWithin.p <= 1);
    }
    // Engine 3 runs 126 cycles: after "part replaced" on engine-1 (31 cycles, finished by now) nothing counts for it
    // until new readings come; the twin keeps the last estimate made before.
    await until(() => estimates.some((e) => e.assetId === 'engine-1' && e.cycles === 31), 10_000, 'engine-1 at its last cycle');
    helper.getNode('ex6.maint').receive({});
    const store = (helper.getNode(fresh) as any).store;
    await until(() => store.maintenanceLog('engine-1').length === 1, 5000, 'the maintenance entry');
    const before = estimates.filter((e) => e.assetId === 'engine-1').length;
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(estimates.filter((e) => e.assetId === 'engine-1').length, before, 'no estimate from an empty history');

    // "engine-2: failed": its history from new to the failure becomes a completed run the model learns at once.
    const engine2 = (core.parseCmapss(readFileSync(TEST_FD001, 'utf8')) as any).value.engines[1];
    await until(() => estimates.some((e) => e.assetId === 'engine-2' && e.cycles === engine2.rows.length), 10_000, 'engine-2 at its last cycle');
    helper.getNode('ex6.failed').receive({});
    await until(() => estimates.some((e) => Array.isArray(e.runs)), 5000, 'the learned message');
    const learned = estimates.find((e) => Array.isArray(e.runs));
    assert.deepEqual(learned.runs.map((r: any) => [r.assetId, r.cycles, r.part]), [['engine-2', engine2.rows.length, 'HPC module']]);
    assert.equal(learned.similarityLibrary, 101, 'the 100 training engines of the packaged model and engine-2');
  });
});
