/**
 * twin-rul in a real Node-RED runtime: FD001 test engines replayed through twin-simulator → twin-state → twin-rul
 * give, at each engine's last cycle, the benchmark's estimate of the same model; a part replacement restarts the
 * history; training runs in a worker thread without blocking the event loop; errors reach Catch nodes.
 */
import assert from 'node:assert/strict';
import { cmapssDir } from '../support/data.mts';
import { createRequire } from 'node:module';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { collect, coreNodes, helper, nodes, onTab, tempDir, textsOn, uid, until } from '../support/red.mts';

const require = createRequire(import.meta.url);
const core = require('../../dist/core/index.js') as typeof import('../../dist/core/index.js');

const DATA = cmapssDir();
const TEST_FD001 = join(DATA, 'test_FD001.txt');
const TRAIN_FD001 = join(DATA, 'train_FD001.txt');
const MODEL = new URL('../../models/cmapss-fd001-gbt.json', import.meta.url).pathname;

const model = (() => {
  const parsed = core.parseRulModel(readFileSync(MODEL, 'utf8'));
  if (!parsed.ok) throw new Error(parsed.reason);
  return parsed.value;
})();
const testEngines = (() => {
  const parsed = core.parseCmapss(readFileSync(TEST_FD001, 'utf8'));
  if (!parsed.ok) throw new Error(parsed.reason);
  return parsed.value.engines;
})();

function definition(id: string) {
  return { id, type: 'twin-definition', assetClass: 'turbofan', historyPoints: '1000', acceptUndeclared: true, signals: [] };
}

/** twin-state → twin-rul (boosted trees, packaged model) → a collecting helper, on a new twin. */
async function loadStateAndRul() {
  const def = uid('def');
  await helper.load(
    [nodes.definition, nodes.state, nodes.rul],
    onTab([
      definition(def),
      { id: 'state', type: 'twin-state', definition: def, wires: [['rul'], []] },
      { id: 'rul', type: 'twin-rul', definition: def, method: 'gbt', modelFile: MODEL, wires: [['out']] },
      { id: 'out', type: 'helper' },
    ]),
  );
  return { out: collect(helper.getNode('out')), state: helper.getNode('state'), rul: helper.getNode('rul'), store: helper.getNode(def).store };
}

describe('twin-rul', function () {
  this.timeout(60_000);
  beforeEach(() => helper.startServer());
  afterEach(async () => {
    await helper.unload();
    await helper.stopServer();
  });

  it('replays FD001 test engines 1–5 through simulator → twin-state → twin-rul: at each last cycle the estimate is the benchmark\'s', async () => {
    const def = uid('def');
    await helper.load(
      [nodes.definition, nodes.simulator, nodes.state, nodes.rul],
      onTab([
        definition(def),
        { id: 'sim', type: 'twin-simulator', model: 'cmapss-replay', file: TEST_FD001, units: '1-5', cyclesPerTick: '40', intervalMs: '40', assetPrefix: 'engine-', autoStart: true, wires: [['state'], ['events']] },
        { id: 'state', type: 'twin-state', definition: def, wires: [['gbt', 'exp', 'sim-rul'], []] },
        { id: 'gbt', type: 'twin-rul', definition: def, method: 'gbt', modelFile: MODEL, horizon: '20', wires: [['out']] },
        { id: 'exp', type: 'twin-rul', definition: def, method: 'exponential', modelFile: MODEL, horizon: '20', wires: [['out']] },
        { id: 'sim-rul', type: 'twin-rul', definition: def, method: 'similarity', modelFile: MODEL, horizon: '20', wires: [['out']] },
        { id: 'out', type: 'helper' },
        { id: 'events', type: 'helper' },
      ]),
    );
    const lastCycle = new Map(testEngines.slice(0, 5).map((e) => [`engine-${e.unit}`, e.cycles.length]));
    const atEnd = new Map<string, any>();
    helper.getNode('out').on('input', (msg: any) => {
      if (msg.payload.cycles === lastCycle.get(msg.topic)) atEnd.set(`${msg.topic}/${msg.payload.method}`, msg.payload);
    });
    const events = collect(helper.getNode('events'));
    await until(() => events.some((e) => e.payload.type === 'complete'), 20_000, 'the replay to complete');
    await until(() => atEnd.size === 15, 5000, 'estimates at the last cycle of five engines by three methods');

    for (const engine of testEngines.slice(0, 5)) {
      const assetId = `engine-${engine.unit}`;
      for (const method of ['gbt', 'exponential', 'similarity'] as const) {
        const expected = core.predictRul(model, method, core.engineColumns(engine), 20);
        const got = atEnd.get(`${assetId}/${method}`);
        for (const key of ['rul', 'lower', 'upper', 'healthIndex'] as const) {
          assert.ok(Math.abs(got[key] - expected[key]) <= 1e-9, `${assetId} ${method} ${key}: node ${got[key]}, benchmark ${expected[key]}`);
        }
        assert.deepEqual(got.probabilityOfFailureWithin, expected.probabilityOfFailureWithin);
        // The longest answer of the method: the trees' cap, twice the longest training life, the longest library life.
        assert.equal(got.ceiling, { gbt: model.cap, exponential: model.degradation.exponential.maxRul, similarity: Math.max(...model.similarity.library.map((p) => p.length - 1)) }[method]);
        assert.equal(got.unit, 'cycles');
        assert.ok(got.lower <= got.rul && got.rul <= got.upper, `${assetId} ${method}: the interval holds the estimate`);
      }
    }
    // The estimate is in the twin: the last writer (one of the three nodes) left a complete RUL object there.
    const store = (helper.getNode(def) as any).store;
    const stored = store.snapshot('engine-3').rul;
    assert.equal(stored.cycles, lastCycle.get('engine-3'));
    assert.ok(typeof stored.rul === 'number' && typeof stored.updatedAt === 'number');
  });

  it('counts only the history after the last part replacement', async () => {
    const { out, state } = await loadStateAndRul();
    const engine = testEngines[2]!; // 126 cycles
    const replay = core.CmapssReplay.create({ engines: [engine], rowCount: engine.rows.length }, { assetPrefix: 'jet-', cyclesPerTick: 1, loop: false });
    assert.ok(replay.ok);
    const t0 = Date.UTC(2026, 0, 1);
    const feed = (from: number, to: number) => {
      for (let i = from; i < to; i++) state.receive({ payload: replay.value.tick(t0 + i * 1000).telemetry[0] });
    };
    feed(0, 80);
    await until(() => out.length === 80, 5000, '80 estimates');
    assert.equal(out[79].payload.cycles, 80);
    state.receive({ topic: 'maintenance', payload: { assetId: 'jet-3', kind: 'part-replaced', part: 'HPC', ts: t0 + 79 * 1000 + 500 } });
    feed(80, 126);
    // Each estimate reads the twin when its snapshot arrives; the last one rests on the 46 cycles after the replacement.
    await until(() => out.at(-1)?.payload.cycles === 46, 5000, 'an estimate on the 46 cycles after the replacement');
    const afterReplacement = out.slice(80).map((m) => m.payload.cycles);
    assert.ok(afterReplacement.every((c) => c >= 1 && c <= 46), `cycles counted after the replacement: ${afterReplacement.join(',')}`);
    const last = out.at(-1).payload;
    const after = core.historyPrefix(core.engineColumns({ ...engine, rows: engine.rows.slice(80), cycles: engine.cycles.slice(80) }), 46);
    assert.equal(last.rul, core.predictRul(model, 'gbt', after, 20).rul);
  });

  it('answers every snapshot of a burst with the estimate of the twin as it is; a new reading, a reset and other data give new ones', async () => {
    const { out, state, rul, store } = await loadStateAndRul();
    const t0 = Date.UTC(2026, 0, 1);
    // Two engines' readings under one asset id and the same timestamps: what a reset and a new engine look like.
    const replayOf = (engine: (typeof testEngines)[number]) => {
      const replay = core.CmapssReplay.create({ engines: [engine], rowCount: engine.rows.length }, { assetPrefix: 'jet-', cyclesPerTick: 1, loop: false });
      assert.ok(replay.ok);
      return (i: number) => ({ ...replay.value.tick(t0 + i * 1000).telemetry[0], assetId: 'jet-1' });
    };
    const first = replayOf(testEngines[0]!);
    const second = replayOf(testEngines[3]!);
    const expected = (engine: (typeof testEngines)[number], cycles: number) => core.predictRul(model, 'gbt', core.historyPrefix(core.engineColumns(engine), cycles), 20).rul;
    const a = Array.from({ length: 31 }, (_, i) => first(i));
    const b = Array.from({ length: 30 }, (_, i) => second(i));

    // 30 readings at once: every snapshot finds the twin with all 30, so all 30 answers are that one estimate.
    for (const [i, reading] of a.slice(0, 30).entries()) state.receive({ payload: reading, batch: `b${i}` });
    await until(() => out.length === 30, 5000, '30 answers');
    const burst = out.map((m) => m.payload);
    // Each answer is its message carried on: the flow's own properties stay with it, whether computed or reused.
    assert.deepEqual(out.map((m) => [m.batch, m.topic]), a.slice(0, 30).map((_, i) => [`b${i}`, 'jet-1']));
    assert.ok(burst.every((p) => p.cycles === 30 && p.rul === expected(testEngines[0]!, 30)), `answers: ${burst.map((p) => `${p.cycles}:${p.rul}`).join(' ')}`);
    assert.notEqual(burst[0], burst[1], 'each answer has its own payload');
    // A flow that changes an answer (here the first, computed one) changes neither the twin nor the next answers.
    const estimate = structuredClone(burst[0]);
    burst[0].rul = -1;
    burst[0].probabilityOfFailureWithin.p = -1;
    burst[29].probabilityOfFailureWithin.p = -1;
    rul.receive({ payload: { assetId: 'jet-1' }, again: true });
    await until(() => out.length === 31, 5000, 'the answer asked again');
    assert.deepEqual(out.pop()!.payload, estimate);
    assert.deepEqual({ assetId: 'jet-1', ...store.derived('jet-1', 'rul') }, estimate);
    // One more reading: a new estimate on 31 cycles.
    state.receive({ payload: a[30] });
    await until(() => out.length === 31, 5000, 'the 31st answer');
    assert.equal(out[30].payload.cycles, 31);
    assert.equal(out[30].payload.rul, expected(testEngines[0]!, 31));
    // The asset is reset and another engine's first 30 readings arrive with the same timestamps.
    state.receive({ topic: 'reset', payload: { assetId: 'jet-1' } });
    for (const reading of b) state.receive({ payload: reading });
    await until(() => out.length === 61, 5000, '30 answers after the reset');
    const other = out.slice(31).map((m) => m.payload);
    assert.ok(other.every((p) => p.cycles === 30 && p.rul === expected(testEngines[3]!, 30)), `after the reset: ${other.map((p) => `${p.cycles}:${p.rul}`).join(' ')}`);
    assert.notEqual(other[0].rul, burst[0].rul, 'the two engines have different estimates');
  });

  it('answers messages that arrive while its model file is read, and after, each once and in the order they came', async () => {
    // The packaged model padded with 40 MB of white space: reading and parsing it takes long enough that the first
    // messages certainly arrive before the model is there.
    const dir = tempDir('twin-rul-slow');
    try {
      const slowModel = join(dir.path, 'slow-model.json');
      writeFileSync(slowModel, readFileSync(MODEL, 'utf8') + ' '.repeat(40 * 1024 * 1024));
      const def = uid('def');
      await helper.load(
        [nodes.definition, nodes.rul, coreNodes.catch],
        onTab([
          definition(def),
          { id: 'rul', type: 'twin-rul', definition: def, method: 'gbt', modelFile: slowModel, wires: [['out']] },
          { id: 'out', type: 'helper' },
          { id: 'catch', type: 'catch', scope: ['rul'], wires: [['caught']] },
          { id: 'caught', type: 'helper' },
        ]),
      );
      const out = collect(helper.getNode('out'));
      const caught = collect(helper.getNode('caught'));
      const rul = helper.getNode('rul');
      const store = helper.getNode(def).store;
      const t0 = Date.UTC(2026, 0, 1);
      const replay = core.CmapssReplay.create({ engines: [testEngines[0]!], rowCount: testEngines[0]!.rows.length }, { assetPrefix: 'jet-', cyclesPerTick: 1, loop: false });
      assert.ok(replay.ok);
      const reading = (i: number) => replay.value.tick(t0 + i * 1000).telemetry[0]!;
      for (let i = 0; i < 30; i++) store.ingest(reading(i));
      for (let n = 0; n < 10; n++) rul.receive({ payload: { assetId: 'jet-1' }, n });
      await new Promise((r) => setTimeout(r, 5));
      assert.equal(out.length, 0, 'the first ten wait for the model');
      await until(() => out.length === 10, 30_000, 'the ten answers once the model is read');
      // Now a new reading, and ten more messages, answered at once.
      store.ingest(reading(30));
      for (let n = 10; n < 20; n++) rul.receive({ payload: { assetId: 'jet-1' }, n });
      await until(() => out.length === 20, 5000, 'twenty answers');
      await new Promise((r) => setTimeout(r, 200));
      assert.deepEqual(out.map((m) => m.n), Array.from({ length: 20 }, (_, n) => n), 'each message answered once, in order');
      assert.deepEqual(out.map((m) => m.payload.cycles), [...Array(10).fill(30), ...Array(10).fill(31)]);
      assert.equal(out[0].payload.rul, core.predictRul(model, 'gbt', core.historyPrefix(core.engineColumns(testEngines[0]!), 30), 20).rul);
      assert.deepEqual(caught, [], 'no errors');
    } finally {
      dir.remove();
    }
  });

  it('trains from a run-to-failure file in a worker thread while the event loop keeps serving', async () => {
    const dir = tempDir('twin-rul');
    try {
      const def = uid('def');
      await helper.load(
        [nodes.definition, nodes.rul],
        onTab([definition(def), { id: 'rul', type: 'twin-rul', definition: def, modelFile: MODEL, wires: [['out']] }, { id: 'out', type: 'helper' }]),
      );
      const out = collect(helper.getNode('out'));
      const save = join(dir.path, 'trained.json');
      const delay = monitorEventLoopDelay({ resolution: 10 });
      delay.enable();
      const start = Date.now();
      helper.getNode('rul').receive({ topic: 'train', payload: { file: TRAIN_FD001, trees: 60, folds: 3, save } });
      await until(() => out.length === 1, 50_000, 'the trained message');
      const trainingMs = Date.now() - start;
      delay.disable();
      const worstMs = delay.max / 1e6;
      assert.equal(out[0].topic, 'trained');
      assert.equal(out[0].payload.histories, 100);
      assert.ok(existsSync(save), 'the model was saved');
      const saved = core.parseRulModel(readFileSync(save, 'utf8'));
      assert.ok(saved.ok);
      const trees = saved.value.gbt.ensemble[0]!;
      assert.equal(trees.leaf.length, 60 * 2 ** trees.depth, 'the model has the 60 trees asked for');
      // Training took seconds; the event loop never waited more than a small share of that.
      assert.ok(trainingMs > 500, `training took ${trainingMs} ms`);
      assert.ok(worstMs < trainingMs / 5, `the event loop was blocked for ${worstMs.toFixed(0)} ms during ${trainingMs} ms of training`);
    } finally {
      dir.remove();
    }
  });

  it('answers a training cut off by a stop: its message ends with an error, the worker is gone', async () => {
    const def = uid('def');
    await helper.load(
      [nodes.definition, nodes.rul],
      onTab([definition(def), { id: 'rul', type: 'twin-rul', definition: def, modelFile: MODEL, wires: [['out']] }, { id: 'out', type: 'helper' }]),
    );
    const rul = helper.getNode('rul');
    const errors: string[] = [];
    const statuses: string[] = [];
    rul.on('call:error', (call: any) => errors.push(String(call.args[0]?.message ?? call.args[0])));
    rul.on('call:status', (call: any) => statuses.push(String(call.args[0]?.text ?? '')));
    rul.receive({ topic: 'train', payload: { file: TRAIN_FD001, trees: 60, folds: 3 } });
    // Texts are message-catalog keys here (twin-rul.status.training): the test runtime loads no catalogs.
    await until(() => statuses.some((t) => /\btraining\b/.test(t)), 10_000, 'the training to start');
    // The test helper removes its spies before it stops the flow: watch the node's error() on its prototype instead.
    const prototype = Object.getPrototypeOf(rul);
    const original = prototype.error;
    const stoppedWith: string[] = [];
    prototype.error = function (this: { id: string }, ...args: unknown[]) {
      if (this.id === 'rul') stoppedWith.push(String((args[0] as Error)?.message ?? args[0]));
      return original.apply(this, args);
    };
    try {
      await helper.unload();
    } finally {
      prototype.error = original;
    }
    assert.deepEqual(stoppedWith, ['training stopped: the flow was stopped or redeployed before it finished']);
    assert.deepEqual(errors.filter((e) => !e.startsWith('training stopped')), [], 'no other error');
  });

  it('a twin without the model\'s signals is an error naming them, never "waiting" for ever; a life longer than the history is flagged and warned of once', async () => {
    const def = uid('def');
    await helper.load(
      [nodes.definition, nodes.state, nodes.rul, coreNodes.catch],
      onTab([
        { ...definition(def), historyPoints: '50' },
        { id: 'state', type: 'twin-state', definition: def, wires: [['rul'], []] },
        { id: 'rul', type: 'twin-rul', definition: def, method: 'gbt', modelFile: MODEL, wires: [['out']] },
        { id: 'out', type: 'helper' },
        { id: 'catch', type: 'catch', scope: ['rul'], wires: [['caught']] },
        { id: 'caught', type: 'helper' },
      ]),
    );
    const out = collect(helper.getNode('out'));
    const caught = collect(helper.getNode('caught'));
    const state = helper.getNode('state');
    const rul = helper.getNode('rul');
    // A pump's signals into the packaged turbofan model: which of the model's signals are missing, and a hint.
    state.receive({ payload: { assetId: 'pump-1', ts: Date.UTC(2026, 0, 1), signals: { flow: 151, bearingTemp: 55 } } });
    await until(() => caught.length === 1, 5000, 'an error for Catch');
    assert.match(String(caught[0].error.message), /"pump-1" has no readings of "setting1", "setting2", "setting3", "s2", "s3" and 12 more that the RUL model .*cmapss-fd001-gbt\.json needs: are the twin.s signals named as the model.s \(setting1, setting2, setting3, s2,/);
    assert.equal(out.length, 0);

    // An engine of 126 cycles into a twin that keeps 50 readings per signal.
    const engine = testEngines[2]!;
    const replay = core.CmapssReplay.create({ engines: [engine], rowCount: engine.rows.length }, { assetPrefix: 'jet-', cyclesPerTick: 1, loop: false });
    assert.ok(replay.ok);
    const t0 = Date.UTC(2026, 0, 1);
    // One reading at a time: a burst would find the twin as its last reading left it.
    const feed = async (from: number, to: number) => {
      for (let i = from; i < to; i++) {
        const before = out.length;
        state.receive({ payload: replay.value.tick(t0 + i * 1000).telemetry[0] });
        // (The answer to the maintenance command below may come first: a reading gives at least one estimate.)
        await until(() => out.length > before, 5000, `the estimate after reading ${i + 1}`);
      }
    };
    await feed(0, 80);
    assert.equal(out.length, 80);
    const cut = out.map((m) => m.payload.historyCut === true);
    assert.equal(cut.indexOf(true), 50, 'flagged from the 51st reading on, when the history let go of the first');
    assert.ok(cut.slice(50).every(Boolean));
    const warnings = textsOn(rul, 'warn');
    assert.deepEqual(warnings, ['twin-rul.warnings.history-cut'], 'one warning for jet-3');
    // After a part replacement inside the kept history, the life fits again: no flag.
    state.receive({ topic: 'maintenance', payload: { assetId: 'jet-3', kind: 'part-replaced', part: 'HPC', ts: t0 + 79 * 1000 + 500 } });
    await feed(80, 90);
    assert.equal(out.at(-1).payload.historyCut, undefined);
    assert.equal(out.at(-1).payload.cycles, 10);
  });

  it('flags readings that come at another rate than the pump model was trained on (one a minute of plant time), warned once', async () => {
    const PUMP_MODEL = new URL('../../models/pump-bearing-gbt.json', import.meta.url).pathname;
    const def = uid('def');
    await helper.load(
      [nodes.definition, nodes.state, nodes.rul],
      onTab([
        definition(def),
        { id: 'state', type: 'twin-state', definition: def, wires: [['real', 'sim'], []] },
        // Telemetry stamped every 30 s: a real plant read twice a minute, or a simulation running 2× faster.
        { id: 'real', type: 'twin-rul', definition: def, method: 'linear', modelFile: PUMP_MODEL, wires: [['out']] },
        { id: 'sim', type: 'twin-rul', definition: def, method: 'linear', modelFile: PUMP_MODEL, timeScale: '2', wires: [['out']] },
        { id: 'out', type: 'helper' },
      ]),
    );
    const out = collect(helper.getNode('out'));
    const state = helper.getNode('state');
    const t0 = Date.UTC(2026, 0, 1);
    for (let i = 0; i < 40; i++) {
      const before = out.length;
      state.receive({ payload: { assetId: 'pump-9', ts: t0 + i * 30_000, signals: { speed: 1480, bearingTemp: 50 + 0.02 * i } } });
      await until(() => out.length >= before + 2, 5000, `both estimates after reading ${i + 1}`);
    }
    // The last reading's two answers: one flagged (time scale 1: 30 s), one not (time scale 2: 60 s of plant time).
    const last = out.slice(-2).map((m) => m.payload);
    assert.ok(last.every((p) => Number.isFinite(p.rul)));
    assert.deepEqual(last.map((p) => p.readingIntervalMismatch).filter(Boolean), [{ seconds: 30, modelSeconds: 60 }], 'flagged by the node at time scale 1 only');
    const rul = helper.getNode('real');
    const warnings = textsOn(rul, 'warn');
    assert.deepEqual(warnings, ['twin-rul.warnings.reading-interval'], 'warned once');
    const sim = helper.getNode('sim');
    assert.deepEqual(textsOn(sim, 'warn'), []);
  });

  it('flags an estimate made at a speed the pump model was not trained at (1,480 rpm), warned once, and stops when the pump is back', async () => {
    const PUMP_MODEL = new URL('../../models/pump-bearing-gbt.json', import.meta.url).pathname;
    const def = uid('def');
    await helper.load(
      [nodes.definition, nodes.state, nodes.rul],
      onTab([
        definition(def),
        { id: 'state', type: 'twin-state', definition: def, wires: [['rul'], []] },
        { id: 'rul', type: 'twin-rul', definition: def, method: 'linear', modelFile: PUMP_MODEL, wires: [['out']] },
        { id: 'out', type: 'helper' },
      ]),
    );
    const out = collect(helper.getNode('out'));
    const state = helper.getNode('state');
    const t0 = Date.UTC(2026, 0, 1);
    const read = async (i: number, speed: number) => {
      const before = out.length;
      state.receive({ payload: { assetId: 'pump-9', ts: t0 + i * 60_000, signals: { speed, bearingTemp: 50 + 0.02 * i } } });
      await until(() => out.length > before, 5000, `the estimate after reading ${i + 1}`);
      return out.at(-1).payload;
    };
    for (let i = 0; i < 20; i++) assert.equal((await read(i, i % 2 ? 1490 : 1475)).outsideTraining, undefined, 'within 2 % of 1,480 rpm');
    // The what-if's optimum: 1,760 rpm.
    for (let i = 20; i < 25; i++) assert.deepEqual((await read(i, 1760)).outsideTraining, [{ setting: 'speed', value: 1760, trained: 1480 }]);
    assert.equal((await read(25, 1480)).outsideTraining, undefined, 'back at the trained speed');
    const warnings = textsOn(helper.getNode('rul'), 'warn');
    assert.deepEqual(warnings, ['twin-rul.warnings.outside-training'], 'warned once for the spell at 1,760 rpm');
  });

  it('sends every error to Catch: unknown asset, missing model file, bad training requests', async () => {
    const dir = tempDir('twin-rul');
    try {
      const broken = join(dir.path, 'broken.json');
      writeFileSync(broken, '{"format":"something-else"}');
      const def = uid('def');
      await helper.load(
        [nodes.definition, nodes.rul, coreNodes.catch],
        onTab([
          definition(def),
          { id: 'rul', type: 'twin-rul', definition: def, modelFile: MODEL, wires: [[]] },
          { id: 'missing', type: 'twin-rul', definition: def, modelFile: join(dir.path, 'nope.json'), wires: [[]] },
          { id: 'bad', type: 'twin-rul', definition: def, modelFile: broken, wires: [[]] },
          { id: 'catch', type: 'catch', scope: ['rul', 'missing', 'bad'], wires: [['caught']] },
          { id: 'caught', type: 'helper' },
        ]),
      );
      const caught = collect(helper.getNode('caught'));
      const rul = helper.getNode('rul');
      rul.receive({ payload: { assetId: 'engine-404' } });
      rul.receive({ topic: 'train', payload: { file: join(dir.path, 'none.txt') } });
      rul.receive({ topic: 'train', payload: { file: TRAIN_FD001, trees: -3 } });
      helper.getNode('missing').receive({ payload: { assetId: 'engine-1' } });
      helper.getNode('bad').receive({ payload: { assetId: 'engine-1' } });
      await until(() => caught.length >= 5, 10_000, 'five caught errors');
      const texts = caught.map((m) => `${m.error.source.id}: ${String(m.error.message).replace(/^Error: /, '')}`).join('\n');
      assert.match(texts, /^rul: unknown asset "engine-404"$/m);
      assert.match(texts, /^rul: training failed: cannot read .*none\.txt/m);
      assert.match(texts, /^rul: train: trees must be a whole number/m);
      assert.match(texts, /^missing: cannot read the RUL model .*nope\.json/m);
      assert.match(texts, /^bad: the file is not a RUL model/m);
    } finally {
      dir.remove();
    }
  });
});
