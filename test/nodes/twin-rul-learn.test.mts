/**
 * twin-rul learning from the twin's own run-to-failure histories, in a real Node-RED runtime. A model trained on
 * C-MAPSS FD001 training engines 1–30 runs a twin into which engines 31–60 are replayed, each ending in a logged
 * failure: the twin's run library takes every run, the similarity method gains them at once, `retrain` trains the
 * trees again on engines 1–30 plus the 30 learned runs in a worker while estimates go on, and engines 61–100 (never
 * seen) are estimated better. The library survives a restart of Node-RED, kept in a localfilesystem or Redis store.
 */
import assert from 'node:assert/strict';
import { cmapssDir } from '../support/data.mts';
import { createRequire } from 'node:module';
import { existsSync, mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startNodeRedProcess, type NodeRedProcess } from '../support/node-red-process.mts';
import { collect, coreNodes, helper, nodes, onTab, startServerIn, stopServerIn, tempDir, uid, until } from '../support/red.mts';
import { RedisServer } from '../support/redis.mts';
import { execFileSync } from 'node:child_process';

const REDIS_PASSWORD = 'runs-secret-8812';

const require = createRequire(import.meta.url);
const core = require('../../dist/core/index.js') as typeof import('../../dist/core/index.js');
type RulModel = import('../../dist/core/index.js').RulModel;
type SignalColumns = import('../../dist/core/index.js').SignalColumns;

const TRAIN_FD001 = join(cmapssDir(), 'train_FD001.txt');
const TRAIN_TEXT = readFileSync(TRAIN_FD001, 'utf8');
const engines = (() => {
  const parsed = core.parseCmapss(TRAIN_TEXT);
  if (!parsed.ok) throw new Error(parsed.reason);
  return parsed.value.engines;
})();
const columns = engines.map(core.engineColumns);
/** Small models, so the tests train in seconds; the same options for the base model and the retraining. */
const TRAINING = { folds: 3, seeds: 1, trees: 60 };

/** Engines 1–30 as a C-MAPSS file (the "training file" of the base model). */
function writeTrainingFile(path: string): void {
  writeFileSync(path, TRAIN_TEXT.split('\n').filter((line) => line.trim() !== '' && Number(line.trim().split(/\s+/)[0]) <= 30).join('\n') + '\n');
}

function trainBase(trainingFile: string): RulModel {
  return core.trainRulModel(columns.slice(0, 30), { folds: TRAINING.folds, seeds: TRAINING.seeds, gbt: { ...core.DEFAULT_TRAINING.gbt, trees: TRAINING.trees }, file: trainingFile });
}

/**
 * What an engineer checks on assets the model never saw: RMSE of the estimate against the true remaining life on
 * engines 61–100, each seen up to 10, 30, 60, 90 and 120 cycles before its failure.
 */
function heldOutRmse(model: RulModel, method: 'gbt' | 'similarity'): number {
  let squares = 0;
  let n = 0;
  for (const c of columns.slice(60)) {
    const life = c.s2!.length;
    for (const left of [10, 30, 60, 90, 120]) {
      if (life - left < 5) continue;
      const p = core.predictRul(model, method, core.historyPrefix(c, life - left), 20);
      squares += (p.rul - left) ** 2;
      n++;
    }
  }
  return Math.sqrt(squares / n);
}

function telemetry(assetId: string, c: SignalColumns, cycle: number, t0: number) {
  const signals: Record<string, number> = {};
  for (const name of core.CMAPSS_SIGNALS) signals[name] = c[name]![cycle]!;
  return { assetId, ts: t0 + cycle * 1000, signals };
}

describe('twin-rul learns from completed run-to-failure histories', function () {
  this.timeout(120_000);
  let dir: ReturnType<typeof tempDir>;
  let trainingFile: string;
  let baseFile: string;
  let base: RulModel;

  before(() => {
    dir = tempDir('twin-rul-learn');
    trainingFile = join(dir.path, 'train_FD001_1-30.txt');
    writeTrainingFile(trainingFile);
    base = trainBase(trainingFile);
    baseFile = join(dir.path, 'base.json');
    writeFileSync(baseFile, core.serialiseRulModel(base));
  });
  after(() => dir?.remove());

  describe('in the test runtime', () => {
    beforeEach(() => startServerIn(dir.path));
    afterEach(() => stopServerIn());

    it('engines 31–60 replayed to a logged failure join the library; similarity uses them at once; retrain learns them in a worker and estimates unseen engines better', async () => {
      const def = uid('def');
      await helper.load(
        [nodes.definition, nodes.simulator, nodes.state, nodes.rul, coreNodes.catch],
        onTab([
          { id: def, type: 'twin-definition', assetClass: 'turbofan', historyPoints: '1000', acceptUndeclared: true, signals: [] },
          { id: 'sim', type: 'twin-simulator', model: 'cmapss-replay', file: TRAIN_FD001, units: '31-60', cyclesPerTick: '40', intervalMs: '40', assetPrefix: 'engine-', autoStart: true, wires: [['state'], ['events']] },
          { id: 'state', type: 'twin-state', definition: def, wires: [['similar', 'trees'], []] },
          { id: 'similar', type: 'twin-rul', definition: def, method: 'similarity', modelFile: baseFile, wires: [['out']] },
          { id: 'trees', type: 'twin-rul', definition: def, method: 'gbt', modelFile: baseFile, wires: [['out']] },
          { id: 'out', type: 'helper' },
          { id: 'events', type: 'helper' },
          { id: 'catch', type: 'catch', scope: null, wires: [['caught']] },
          { id: 'caught', type: 'helper' },
        ]),
      );
      const out = collect(helper.getNode('out'));
      const events = collect(helper.getNode('events'));
      const caught = collect(helper.getNode('caught'));
      const state = helper.getNode('state');
      const replayStart = Date.now();
      await until(() => events.some((e) => e.payload.type === 'complete'), 120_000, 'the replay of engines 31–60 to complete');
      console.log(`      replay: ${Date.now() - replayStart} ms`);

      // Each engine has run to failure: the maintenance team logs it in the twin.
      for (const engine of engines.slice(30, 60)) state.receive({ topic: 'maintenance', payload: { assetId: `engine-${engine.unit}`, kind: 'failure', part: 'HPC', by: 'test' } });
      const learned = () => out.filter((m) => m.topic === 'learned').flatMap((m) => m.payload.runs);
      await until(() => learned().length === 30, 10_000, '30 learned runs');
      assert.deepEqual(caught.map((m) => m.error.message), []);
      const runs = learned();
      for (const engine of engines.slice(30, 60)) {
        const run = runs.find((r: any) => r.assetId === `engine-${engine.unit}`);
        assert.ok(run, `engine ${engine.unit} is in the library`);
        assert.equal(run.cycles, engine.rows.length, `engine ${engine.unit}: the whole life, from its first cycle to the failure`);
        assert.equal(run.part, 'HPC');
      }
      const last = out.filter((m) => m.topic === 'learned').at(-1).payload;
      assert.equal(last.library, 30, 'the twin holds 30 completed runs');
      assert.equal(last.similarityLibrary, 60, 'the similarity library: 30 training engines + 30 learned');
      // The failure ended each life: the next snapshot has nothing to estimate from until the new part runs.
      assert.equal(core.twinHistory((helper.getNode(def) as any).store, 'engine-31', ['s2']).columns.s2!.length, 0);

      // The same runs learned by the core, for the figures (the twin hands the models the very same numbers).
      const asRuns = engines.slice(30, 60).map((e, i) => ({ id: `engine-${e.unit}`, assetId: `engine-${e.unit}`, startedAt: 0, failedAt: i, cycles: e.rows.length, columns: core.engineColumns(e) as Record<string, number[]> }));
      const learnedModel = core.learnRuns(base, asRuns).model;
      const similarityBefore = heldOutRmse(base, 'similarity');
      const similarityAfter = heldOutRmse(learnedModel, 'similarity');
      console.log(`      similarity on engines 61–100: RMSE ${similarityBefore.toFixed(2)} → ${similarityAfter.toFixed(2)} with the 30 learned runs`);
      assert.ok(similarityAfter < similarityBefore - 1, `similarity RMSE ${similarityBefore.toFixed(2)} → ${similarityAfter.toFixed(2)}`);

      // A held-out engine through the twin: the node's similarity estimate is the learned library's, not the base one's.
      const held = columns[60]!;
      const seen = held.s2!.length - 30;
      const t0 = Date.now() - 10_000_000;
      for (let i = 0; i < seen; i++) state.receive({ payload: telemetry('engine-61', held, i, t0) });
      const estimate = (method: string) => out.filter((m) => m.topic === 'engine-61' && m.payload.method === method && m.payload.cycles === seen).at(-1)?.payload;
      await until(() => estimate('similarity') !== undefined && estimate('gbt') !== undefined, 10_000, 'estimates of engine-61');
      const prefix = core.historyPrefix(held, seen);
      assert.equal(estimate('similarity').rul, core.predictRul(learnedModel, 'similarity', prefix, 20).rul);
      assert.notEqual(estimate('similarity').rul, core.predictRul(base, 'similarity', prefix, 20).rul);
      assert.equal(estimate('gbt').rul, core.predictRul(base, 'gbt', prefix, 20).rul, 'the trees are unchanged until retrain');

      // Retrain: the base model's training file plus the 30 runs, in a worker; estimates go on meanwhile.
      const trees = helper.getNode('trees');
      const statuses: string[] = [];
      trees.on('call:status', (call: any) => statuses.push(call.args[0].text));
      trees.receive({ topic: 'retrain', payload: { trees: TRAINING.trees, folds: TRAINING.folds, seeds: TRAINING.seeds } });
      const during: number[] = [];
      const other = columns[61]!;
      let cycle = 0;
      while (!out.some((m) => m.topic === 'retrained') && cycle < other.s2!.length) {
        state.receive({ payload: telemetry('engine-62', other, cycle++, t0) });
        await new Promise((r) => setTimeout(r, 20));
        if (!out.some((m) => m.topic === 'retrained')) during.push(out.filter((m) => m.topic === 'engine-62').length);
      }
      await until(() => out.some((m) => m.topic === 'retrained'), 60_000, 'the retrained report');
      assert.deepEqual(caught.map((m) => m.error.message), []);
      assert.ok(during.at(-1)! >= 5, `estimates went on during the retraining (${during.at(-1)} of engine-62)`);
      // The test runtime shows catalog keys, not texts: one status at the start, then one per fitted tree ensemble (3 folds + 1).
      assert.ok(statuses.filter((s) => s === 'twin-rul.status.retraining').length >= 5, `progress shown: ${statuses.join(' | ')}`);
      const report = out.find((m) => m.topic === 'retrained').payload;
      assert.equal(report.histories, 60);
      assert.equal(report.runs, 30);
      assert.equal(report.saved, join(dir.path, 'twinflow-models', 'turbofan-retrained.json'));
      const saved = core.parseRulModel(readFileSync(report.saved, 'utf8'));
      assert.ok(saved.ok);
      assert.equal(saved.value.trainedOn.runs?.length, 30);
      assert.equal(saved.value.trainedOn.file, trainingFile, 'the base model\'s training file was read again');
      const gbtBefore = heldOutRmse(base, 'gbt');
      const gbtAfter = heldOutRmse(saved.value, 'gbt');
      console.log(`      boosted trees on engines 61–100: RMSE ${gbtBefore.toFixed(2)} → ${gbtAfter.toFixed(2)} after retrain (${report.seconds} s)`);
      assert.ok(gbtAfter < gbtBefore, `gbt RMSE ${gbtBefore.toFixed(2)} → ${gbtAfter.toFixed(2)}`);

      // The node now estimates with the retrained model.
      state.receive({ payload: telemetry('engine-61', held, seen, t0) });
      await until(() => out.some((m) => m.topic === 'engine-61' && m.payload.method === 'gbt' && m.payload.cycles === seen + 1), 5000, 'a new estimate of engine-61');
      const after = out.filter((m) => m.topic === 'engine-61' && m.payload.method === 'gbt' && m.payload.cycles === seen + 1).at(-1).payload;
      assert.equal(after.rul, core.predictRul(saved.value, 'gbt', core.historyPrefix(held, seen + 1), 20).rul);
    });

    it('"learn" logs the failure and learns the run; a life longer than the twin keeps is refused with the reason', async () => {
      const def = uid('def');
      await helper.load(
        [nodes.definition, nodes.state, nodes.rul, coreNodes.catch],
        onTab([
          { id: def, type: 'twin-definition', assetClass: 'turbofan', historyPoints: '150', acceptUndeclared: true, signals: [] },
          { id: 'state', type: 'twin-state', definition: def, wires: [[], []] },
          { id: 'rul', type: 'twin-rul', definition: def, method: 'similarity', modelFile: baseFile, wires: [['out']] },
          { id: 'out', type: 'helper' },
          { id: 'catch', type: 'catch', scope: ['rul'], wires: [['caught']] },
          { id: 'caught', type: 'helper' },
        ]),
      );
      const out = collect(helper.getNode('out'));
      const caught = collect(helper.getNode('caught'));
      const state = helper.getNode('state');
      const rul = helper.getNode('rul');
      const t0 = Date.now() - 10_000_000;
      const short = engines.find((e) => e.rows.length < 150)!; // engine 39: 128 cycles
      const long = engines.find((e) => e.rows.length > 200)!;
      for (let i = 0; i < short.rows.length; i++) state.receive({ payload: telemetry('short', columns[short.unit - 1]!, i, t0) });
      for (let i = 0; i < long.rows.length; i++) state.receive({ payload: telemetry('long', columns[long.unit - 1]!, i, t0) });
      const store = (helper.getNode(def) as any).store;
      await until(() => store.history('short', 's21').ts.length === short.rows.length && store.history('long', 's21').ts.length === 150, 5000, 'the readings in the twin');
      rul.receive({ topic: 'learn', payload: { assetId: 'short', note: 'flame-out' } });
      await until(() => out.some((m) => m.topic === 'learned'), 5000, 'the learned reply');
      const reply = out.find((m) => m.topic === 'learned').payload;
      assert.equal(reply.runs[0].cycles, short.rows.length);
      assert.equal(reply.similarityLibrary, 31);
      assert.equal(store.maintenanceLog('short').at(-1).kind, 'failure');
      assert.equal(store.maintenanceLog('short').at(-1).ts, t0 + (short.rows.length - 1) * 1000, 'at the newest reading');

      // A failure the twin holds without twin-rul being told (written straight into the twin, as a restore does) is
      // found by the next estimate of the asset, although earlier estimates had already searched its log.
      const quiet = engines.filter((e) => e.rows.length < 150)[1]!;
      for (let i = 0; i < quiet.rows.length; i++) state.receive({ payload: telemetry('quiet', columns[quiet.unit - 1]!, i, t0) });
      await until(() => store.history('quiet', 's21').ts.length === quiet.rows.length, 5000, 'the readings of quiet in the twin');
      rul.receive({ payload: { assetId: 'quiet' } });
      rul.receive({ payload: { assetId: 'quiet' } });
      await until(() => out.filter((m) => m.topic === 'quiet').length === 2, 5000, 'two estimates of quiet');
      assert.ok(store.logMaintenance('quiet', { kind: 'failure', ts: t0 + (quiet.rows.length - 1) * 1000 }).ok);
      rul.receive({ payload: { assetId: 'quiet' } });
      await until(() => out.filter((m) => m.topic === 'learned').length === 2, 5000, 'quiet learned');
      const quietRun = out.filter((m) => m.topic === 'learned')[1].payload;
      assert.deepEqual(quietRun.runs.map((r: any) => [r.assetId, r.cycles]), [['quiet', quiet.rows.length]]);
      assert.equal(quietRun.similarityLibrary, 32);

      rul.receive({ topic: 'learn', payload: { assetId: 'long' } });
      await until(() => caught.length === 1, 5000, 'the refusal');
      assert.match(caught[0].error.message, /failure of "long" is logged, but its run cannot be learned: the twin keeps 150 readings per signal and has dropped the start of this life: raise the history length/);
      assert.ok(helper.log().args.some((a) => /keeps 150 readings per signal and has dropped the start of this life/.test((a[0] as { msg?: string } | undefined)?.msg ?? '')), 'the warning says why');
      rul.receive({ topic: 'retrain', payload: { trees: 'many' } });
      await until(() => caught.length === 2, 5000, 'the bad retrain request');
      assert.match(caught[1].error.message, /retrain: trees must be a whole number/);
    });
  });

  describe('bad requests', () => {
    beforeEach(() => startServerIn(dir.path));
    afterEach(() => stopServerIn());

    it('go to Catch with the reason, and the node keeps estimating', async () => {
      const def = uid('def');
      await helper.load(
        [nodes.definition, nodes.state, nodes.rul, coreNodes.catch],
        onTab([
          { id: def, type: 'twin-definition', assetClass: 'turbofan', historyPoints: '1000', acceptUndeclared: true, signals: [] },
          { id: 'state', type: 'twin-state', definition: def, wires: [['rul'], []] },
          // The packaged model: it records no training file, so a retrain needs runs or a file.
          { id: 'rul', type: 'twin-rul', definition: def, method: 'gbt', modelFile: '', wires: [['out']] },
          { id: 'out', type: 'helper' },
          { id: 'catch', type: 'catch', scope: ['rul'], wires: [['caught']] },
          { id: 'caught', type: 'helper' },
        ]),
      );
      const out = collect(helper.getNode('out'));
      const caught = collect(helper.getNode('caught'));
      const rul = helper.getNode('rul');
      const t0 = Date.now() - 10_000_000;
      helper.getNode('state').receive({ payload: telemetry('engine-1', columns[0]!, 0, t0) });
      const requests: Array<[Record<string, unknown>, RegExp]> = [
        [{ topic: 'learn', payload: {} }, /learn needs the asset that failed/],
        [{ topic: 'learn', payload: { assetId: 'engine-404' } }, /unknown asset "engine-404"/],
        [{ topic: 'learn', payload: { assetId: 'engine-1', ts: 'yesterday' } }, /maintenance time must be ms since the epoch/],
        [{ topic: 'learn', payload: { assetId: 'engine-1', note: 'x'.repeat(2000) } }, /note must be text of at most 1000 characters/],
        [{ topic: 'learn', payload: { assetId: 'engine-1' } }, /cannot be learned: only 1 complete reading\(s\) before the failure/],
        [{ topic: 'retrain', payload: {} }, /retrain has nothing to learn from: no completed runs in the twin yet, and no training file/],
        [{ topic: 'retrain', payload: { file: 42 } }, /retrain needs msg.payload.file/],
        [{ topic: 'retrain', payload: { save: '' } }, /retrain: save must be the path of the model file to write/],
        [{ topic: 'retrain', payload: { seeds: 99 } }, /retrain: seeds must be a whole number from 1 to 10/],
        [{ topic: 'retrain', payload: { file: join(dir.path, 'missing.txt') } }, /retraining failed: cannot read .*missing\.txt/],
      ];
      for (const [msg, reason] of requests) {
        const before = caught.length;
        rul.receive(msg);
        await until(() => caught.length === before + 1, 10_000, `the refusal of ${JSON.stringify(msg).slice(0, 80)}`);
        assert.match(caught.at(-1).error.message, reason);
      }
      // Still serving: the next reading of a new life gets its estimate.
      helper.getNode('state').receive({ payload: telemetry('engine-1', columns[0]!, 1, t0) });
      await until(() => out.some((m) => m.topic === 'engine-1' && m.payload.cycles === 1), 5000, 'an estimate after the refusals');
    });

    it('a deleted twin definition takes its completed runs with it: deployed again under its id, it starts with none', async () => {
      const def = uid('def');
      const flow = onTab([
        { id: def, type: 'twin-definition', assetClass: 'turbofan', historyPoints: '1000', acceptUndeclared: true, signals: [] },
        { id: 'state', type: 'twin-state', definition: def, wires: [[], []] },
        { id: 'rul', type: 'twin-rul', definition: def, method: 'similarity', modelFile: baseFile, wires: [['out']] },
        { id: 'out', type: 'helper' },
      ]);
      const t0 = Date.now() - 10_000_000;
      const engine = engines.find((e) => e.rows.length < 150)!;
      const learnOne = async (assetId: string): Promise<number> => {
        const out = collect(helper.getNode('out'));
        for (let i = 0; i < engine.rows.length; i++) helper.getNode('state').receive({ payload: telemetry(assetId, columns[engine.unit - 1]!, i, t0) });
        const store = (helper.getNode(def) as any).store;
        await until(() => store.history(assetId, 's21').ts.length === engine.rows.length, 5000, 'the readings in the twin');
        helper.getNode('rul').receive({ topic: 'learn', payload: { assetId } });
        await until(() => out.some((m) => m.topic === 'learned'), 5000, 'the learned reply');
        return out.find((m) => m.topic === 'learned').payload.library;
      };
      await helper.load([nodes.definition, nodes.state, nodes.rul], flow);
      assert.equal(await learnOne('first'), 1);
      await helper.setFlows(onTab([{ id: 'out', type: 'helper' }]), 'nodes');
      assert.equal(helper.getNode(def), null, 'the twin definition is deleted');
      await helper.setFlows(flow, 'nodes');
      assert.equal(await learnOne('second'), 1, 'only the run learned since the twin came back');
    });

    it('a redeployed twin-rul leaves no listener behind on its twin', async () => {
      const def = uid('def');
      const flow = (horizon: string) =>
        onTab([
          { id: def, type: 'twin-definition', assetClass: 'turbofan', historyPoints: '1000', acceptUndeclared: true, signals: [] },
          { id: 'rul', type: 'twin-rul', definition: def, method: 'similarity', modelFile: '', horizon, wires: [[]] },
        ]);
      await helper.load([nodes.definition, nodes.rul], flow('20'));
      const definition = helper.getNode(def) as any;
      const first = helper.getNode('rul');
      for (const horizon of ['21', '22', '23']) await helper.setFlows(flow(horizon), 'nodes');
      assert.notEqual(helper.getNode('rul'), first, 'twin-rul was redeployed');
      assert.equal(helper.getNode(def), definition, 'the twin definition stayed deployed');
      assert.equal(definition.events.listenerCount('maintenance'), 1);
    });
  });

  describe('across a restart of Node-RED', () => {
    let nr: NodeRedProcess | undefined;
    let redis: RedisServer | undefined;
    before(async () => {
      redis = await RedisServer.start({ password: REDIS_PASSWORD });
    });
    afterEach(async () => {
      await nr?.kill();
      nr = undefined;
    });
    after(async () => {
      await redis?.dispose();
    });

    /**
     * One twin kept in `store`: learns engine 41's run, stops cleanly, starts again and retrains: the run must still
     * be there. Readings are acknowledged at once (with a shared twin, one may be taken in a moment later) and the
     * learn command waits until the twin holds them all.
     */
    const keepsRuns = async (label: string, store: Record<string, unknown>, whereKept: (userDir: string) => void) => {
      const userDir = join(dir.path, `restart-${label}`);
      mkdirSync(userDir, { recursive: true });
      const z = 'tab';
      writeFileSync(
        join(userDir, 'flows.json'),
        JSON.stringify([
          { id: z, type: 'tab', label: 'learn' },
          { id: 'def', type: 'twin-definition', assetClass: 'turbofan', historyPoints: '1000', acceptUndeclared: true, contextStore: 'kept', signals: [] },
          { id: 'telemetry', type: 'http in', z, url: '/telemetry', method: 'post', x: 100, y: 100, wires: [['state', 'ack']] },
          { id: 'state', type: 'twin-state', z, definition: 'def', throttleMs: '0', x: 300, y: 100, wires: [[], []] },
          { id: 'ack', type: 'change', z, rules: [{ t: 'set', p: 'payload', pt: 'msg', to: '{"ok":true}', tot: 'json' }], x: 300, y: 50, wires: [['response']] },
          { id: 'snapshot', type: 'http in', z, url: '/snapshot', method: 'post', x: 100, y: 150, wires: [['ask']] },
          { id: 'ask', type: 'change', z, rules: [{ t: 'set', p: 'topic', pt: 'msg', to: 'snapshot', tot: 'str' }], x: 300, y: 150, wires: [['reader']] },
          { id: 'reader', type: 'twin-state', z, definition: 'def', throttleMs: '0', x: 500, y: 150, wires: [['response'], []] },
          { id: 'command', type: 'http in', z, url: '/rul/:topic', method: 'post', x: 100, y: 200, wires: [['topic']] },
          { id: 'topic', type: 'change', z, rules: [{ t: 'set', p: 'topic', pt: 'msg', to: 'req.params.topic', tot: 'msg' }], x: 300, y: 200, wires: [['rul']] },
          { id: 'rul', type: 'twin-rul', z, definition: 'def', method: 'similarity', modelFile: baseFile, x: 500, y: 200, wires: [['response']] },
          { id: 'catch', type: 'catch', z, scope: ['rul', 'reader'], x: 500, y: 300, wires: [['failed']] },
          { id: 'failed', type: 'change', z, rules: [{ t: 'set', p: 'statusCode', pt: 'msg', to: '400', tot: 'num' }, { t: 'set', p: 'payload', pt: 'msg', to: 'error.message', tot: 'msg' }], x: 700, y: 300, wires: [['response']] },
          { id: 'response', type: 'http response', z, x: 700, y: 150, wires: [] },
        ]),
      );
      const start = async () => (nr = await startNodeRedProcess({ userDir, flowFile: 'flows.json', logLevel: 'warn', contextStorage: { default: { module: 'memory' }, kept: store } }));
      const post = async (path: string, body: unknown) => {
        const res = await fetch(new URL(`api/${path}`, nr!.url), { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
        const text = await res.text();
        assert.equal(res.status, 200, `${path}: ${text}`);
        return JSON.parse(text);
      };
      await start();
      const engine = engines[40]!; // engine 41
      const t0 = Date.now() - 10_000_000;
      for (let i = 0; i < engine.rows.length; i++) await post('telemetry', telemetry('engine-41', columns[40]!, i, t0));
      const deadline = Date.now() + 10_000;
      while ((await post('snapshot', { assetId: 'engine-41' })).version !== engine.rows.length && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
      const learned = await post('rul/learn', { assetId: 'engine-41' });
      assert.equal(learned.runs[0].cycles, engine.rows.length);
      assert.equal(learned.library, 1);

      assert.equal(await nr!.stop(), 0, 'Node-RED stopped cleanly (and flushed its context)');
      nr = undefined;
      await start();
      const retrained = await post('rul/retrain', { trees: 20, folds: 3, seeds: 1 });
      assert.equal(retrained.runs, 1, 'the run learned before the restart is still there');
      assert.equal(retrained.histories, 31, 'engines 1–30 of the training file and the learned run');
      assert.ok(existsSync(retrained.saved));
      whereKept(userDir);
    };

    it('keeps the completed runs with the twin in a localfilesystem store: after the restart, retrain still learns from them', async () => {
      await keepsRuns('file', { module: 'localfilesystem', config: { flushInterval: 1 } }, (userDir) => {
        const contextFiles = (d: string): string[] => readdirSync(d).flatMap((n) => (statSync(join(d, n)).isDirectory() ? contextFiles(join(d, n)) : [join(d, n)]));
        assert.ok(contextFiles(join(userDir, 'context')).some((f) => readFileSync(f, 'utf8').includes('twinflow-run-library')), 'kept in the twin\'s context store');
      });
    });

    it('keeps them in the Redis store too (redis-server, with a password)', async () => {
      const prefix = `runs-${Date.now()}`;
      await keepsRuns('redis', { module: 'twinflow-redis', config: { url: redis!.url, password: REDIS_PASSWORD, instanceId: 'solo', prefix } }, () => {
        const cli = (...args: string[]) => execFileSync('redis-cli', ['-p', String(redis!.port), '--no-auth-warning', '-a', REDIS_PASSWORD, ...args], { encoding: 'latin1' });
        const keys = cli('--scan', '--pattern', `${prefix}*`).split('\n').filter(Boolean);
        assert.ok(keys.map((key) => cli('DUMP', key)).some((v) => v.includes('twinflow-run-library')), `kept in Redis under ${prefix} (keys: ${keys.join(', ')})`);
      });
    });
  });
});
