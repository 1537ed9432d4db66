/**
 * twin-simulator in a real Node-RED runtime: the C-MAPSS replay into twin-state, fault injection by message and
 * by configuration, file errors a Catch node sees, and timers that stop on close.
 */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { callsOn, coreNodes, helper, nodes, nextMessage, onTab, tempDir, textsOn, uid, until, type TestNode } from '../support/red.mts';
import { cmapssDir } from '../support/data.mts';

const DATA = cmapssDir();
const TEST_FD001 = join(DATA, 'test_FD001.txt');
const SIGNALS = ['setting1', 'setting2', 'setting3', ...Array.from({ length: 21 }, (_, i) => `s${i + 1}`)];

/** The last row of each unit, read straight from the file (independently of the parser under test). */
function lastRows(path: string): Map<number, number[]> {
  const last = new Map<number, number[]>();
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    const fields = line.trim().split(/\s+/).map(Number);
    if (fields.length === 26) last.set(fields[0]!, fields);
  }
  return last;
}

function definition(id: string) {
  return { id, type: 'twin-definition', assetClass: 'turbofan', historyPoints: '500', acceptUndeclared: true, signals: [] };
}

const pump = (id: string, extra: Record<string, unknown> = {}) => ({
  id,
  type: 'twin-simulator',
  model: 'centrifugal-pump',
  assetCount: '1',
  assetPrefix: 'pump-',
  // One tick is one simulated hour, so drift rates per hour show up per tick.
  intervalMs: '1000',
  timeScale: '3600',
  seed: '5',
  speed: '1480',
  frictionGrowth: '0',
  noise: '0',
  autoStart: false,
  ...extra,
});

/** The node's latest status (the test helper spies on the shared prototype, so calls of all nodes are mixed). */
function lastStatus(node: TestNode): { fill?: string; shape?: string; text?: string } | undefined {
  return callsOn(node, 'status').at(-1);
}

/** Collects every payload a helper node receives. */
function collect(node: TestNode): any[] {
  const got: any[] = [];
  node.on('input', (msg: any) => got.push(msg.payload));
  return got;
}

describe('twin-simulator: C-MAPSS replay and faults in Node-RED', function () {
  beforeEach(() => helper.startServer());
  afterEach(async () => {
    await helper.unload();
    await helper.stopServer();
    helper.settings({});
  });

  it('replays FD001 test engines 1–3 into twin-state: at each last cycle the twin holds the file\'s last row', async () => {
    const def = uid('def');
    await helper.load(
      [nodes.definition, nodes.simulator, nodes.state],
      onTab([
        definition(def),
        { id: 'sim', type: 'twin-simulator', model: 'cmapss-replay', file: TEST_FD001, units: '1-3', cyclesPerTick: '20', intervalMs: '30', assetPrefix: 'engine-', seed: '1', autoStart: true, wires: [['state'], ['events']] },
        { id: 'state', type: 'twin-state', definition: def, wires: [['out'], ['rejected']] },
        { id: 'out', type: 'helper' },
        { id: 'events', type: 'helper' },
        { id: 'rejected', type: 'helper' },
      ]),
    );
    const expected = lastRows(TEST_FD001);
    const atLastCycle = new Map<string, any>();
    helper.getNode('out').on('input', (msg: any) => {
      const snap = msg.payload;
      const unit = Number(snap.assetId.replace('engine-', ''));
      if (snap.signals.cycle?.value === expected.get(unit)![1]) atLastCycle.set(snap.assetId, snap);
    });
    const events = collect(helper.getNode('events'));
    const rejected = collect(helper.getNode('rejected'));
    await until(() => events.some((e) => e.type === 'complete'), 10_000, 'the replay to complete');
    await until(() => atLastCycle.size === 3, 2000, 'snapshots at the last cycle of three engines');

    assert.deepEqual(
      events.map((e) => [e.type, e.assetId, e.cycles]),
      // Engines 1, 2 and 3 of test_FD001 have 31, 49 and 126 cycles: at 20 per tick they finish on ticks 2, 3 and 7.
      [['finished', 'engine-1', 31], ['finished', 'engine-2', 49], ['finished', 'engine-3', 126], ['complete', undefined, undefined]],
    );
    for (const unit of [1, 2, 3]) {
      const snap = atLastCycle.get(`engine-${unit}`);
      const row = expected.get(unit)!;
      // Every cycle was one accepted update of the twin.
      assert.equal(snap.version, row[1], `engine-${unit} version`);
      assert.equal(snap.signals.cycle.value, row[1]);
      for (const [k, name] of SIGNALS.entries()) assert.equal(snap.signals[name].value, row[k + 2], `engine-${unit} ${name}`);
    }
    assert.deepEqual(rejected, []);
    const sim = helper.getNode('sim');
    assert.equal(lastStatus(sim)!.text, 'twin-simulator.status.finished');
    // Start on a finished replay is an error that says what to do; rewind, then start, plays it again.
    sim.receive({ topic: 'start' });
    await until(() => textsOn(sim, 'error').some((text) => /the replay has finished: send rewind/.test(text)), 2000, 'the error of a start on a finished replay');
    atLastCycle.clear();
    sim.receive({ topic: 'rewind' });
    sim.receive({ topic: 'start' });
    await until(() => atLastCycle.size === 3, 10_000, 'the replay played again');
  });

  it('with loop, keeps replaying an engine that finishes on every tick', async () => {
    await helper.load(
      [nodes.simulator],
      onTab([
        // Engine 1 of test_FD001 has 31 cycles: 31 per tick finishes it on every tick.
        { id: 'sim', type: 'twin-simulator', model: 'cmapss-replay', file: TEST_FD001, units: '1', cyclesPerTick: '31', intervalMs: '40', loop: true, autoStart: true, wires: [['out'], ['events']] },
        { id: 'out', type: 'helper' },
        { id: 'events', type: 'helper' },
      ]),
    );
    const out = collect(helper.getNode('out'));
    const events = collect(helper.getNode('events'));
    await until(() => events.length >= 3, 5000, 'three finishes');
    assert.ok(events.every((e) => e.type === 'finished' && e.assetId === 'engine-1' && e.restarts === true));
    assert.deepEqual(out.slice(0, 93).map((t) => t.signals.cycle), [...Array(3)].flatMap(() => Array.from({ length: 31 }, (_, i) => i + 1)));
    assert.equal(lastStatus(helper.getNode('sim'))?.fill, 'green');
  });

  it('applies faults sent by message to the replay, never to the cycle counter, and rewinds', async () => {
    await helper.load(
      [nodes.simulator],
      onTab([
        { id: 'sim', type: 'twin-simulator', model: 'cmapss-replay', file: TEST_FD001, units: '2', cyclesPerTick: '1', intervalMs: '1000', autoStart: false, wires: [['out'], []] },
        { id: 'out', type: 'helper' },
      ]),
    );
    const sim = helper.getNode('sim');
    await until(() => lastStatus(sim)?.text === 'twin-simulator.status.stopped', 5000, 'the file to load');
    const out = collect(helper.getNode('out'));
    sim.receive({ topic: 'fault', payload: { assetId: 'engine-2', fault: 'stuck', signal: 's4' } });
    sim.receive({ topic: 'fault', payload: { fault: 'dropout', signal: 's9', probability: 1 } });
    for (let i = 0; i < 5; i++) sim.receive({ topic: 'tick' });
    await until(() => out.length === 5, 2000, 'five cycles');
    const rows = readFileSync(TEST_FD001, 'utf8').split('\n').filter((l) => l.startsWith('2 ')).map((l) => l.trim().split(/\s+/).map(Number));
    assert.deepEqual(out.map((t) => t.signals.cycle), [1, 2, 3, 4, 5]);
    assert.deepEqual(out.map((t) => t.signals.s4), Array(5).fill(rows[0]![8]));
    assert.notDeepEqual(rows.slice(0, 5).map((r) => r[8]), Array(5).fill(rows[0]![8]), 'the real s4 changes over these cycles');
    assert.ok(out.every((t) => !('s9' in t.signals)), 's9 dropped out');
    assert.deepEqual(out.map((t) => t.signals.s3), rows.slice(0, 5).map((r) => r[7]));

    sim.receive({ topic: 'fault', payload: { fault: 'clear' } });
    sim.receive({ topic: 'rewind' });
    sim.receive({ topic: 'tick' });
    await until(() => out.length === 6, 2000, 'one more cycle');
    assert.equal(out[5].signals.cycle, 1);
    assert.equal(out[5].signals.s4, rows[0]![8]);
    assert.equal(out[5].signals.s9, rows[0]![13]);
  });

  it('drift grows linearly, stuck stays constant, dropouts omit readings, and clear removes them (pump)', async () => {
    await helper.load(
      [nodes.simulator, coreNodes.complete],
      onTab([
        pump('sim', { noise: '0.5', wires: [['out'], []] }),
        // The same pump without faults: the difference is the faults' doing.
        pump('ref', { noise: '0.5', wires: [['refOut'], []] }),
        { id: 'out', type: 'helper' },
        { id: 'refOut', type: 'helper' },
        { id: 'complete', type: 'complete', scope: ['sim'], wires: [['completed']] },
        { id: 'completed', type: 'helper' },
      ]),
    );
    const sim = helper.getNode('sim');
    const ref = helper.getNode('ref');
    const out = collect(helper.getNode('out'));
    const refOut = collect(helper.getNode('refOut'));
    const completed: string[] = [];
    helper.getNode('completed').on('input', (msg: any) => completed.push(msg.topic));
    const tick = async (n: number) => {
      const target = out.length + n;
      for (let i = 0; i < n; i++) {
        sim.receive({ topic: 'tick' });
        ref.receive({ topic: 'tick' });
      }
      await until(() => out.length === target && refOut.length === target, 2000, `${target} readings`);
    };
    await tick(2);
    const faults = [
      { fault: 'drift', signal: 'bearingTemp', rate: 2 },
      { fault: 'stuck', signal: 'flow' },
      { fault: 'dropout', signal: 'vibration', probability: 1 },
    ];
    for (const payload of faults) sim.receive({ topic: 'fault', payload });
    await until(() => completed.filter((t) => t === 'fault').length === 3, 2000, 'three fault commands completed');
    assert.equal(lastStatus(sim)!.fill, 'grey', 'stopped, faults armed');
    await tick(5);
    const during = out.slice(2);
    const refDuring = refOut.slice(2);
    // +2 °C per simulated hour, one hour per tick, from the moment the fault was set.
    during.forEach((t, i) => assert.ok(Math.abs(t.signals.bearingTemp - refDuring[i].signals.bearingTemp - 2 * (i + 1)) < 1e-5, `drift at hour ${i + 1}`));
    assert.equal(new Set(during.map((t) => t.signals.flow)).size, 1, 'flow is stuck');
    assert.ok(new Set(refDuring.map((t) => t.signals.flow)).size > 1, 'the real flow moves (noise)');
    assert.ok(during.every((t) => !('vibration' in t.signals)), 'vibration dropped out');
    assert.ok(during.every((t, i) => t.signals.pressure === refDuring[i].signals.pressure), 'other signals untouched');

    sim.receive({ topic: 'fault', payload: { fault: 'clear' } });
    await tick(2);
    assert.deepEqual(out.slice(-2).map((t) => t.signals), refOut.slice(-2).map((t) => t.signals), 'after clear the pump reads as the fault-free one');
  });

  it('ramps bearing friction on top of wear: the bearing runs hotter than the same pump without the fault', async () => {
    await helper.load(
      [nodes.simulator],
      onTab([
        pump('sim', { timeScale: '600', faults: [{ fault: 'friction', assetId: '', signal: '', rate: '100' }], wires: [['out'], []] }),
        pump('ref', { timeScale: '600', wires: [['refOut'], []] }),
        { id: 'out', type: 'helper' },
        { id: 'refOut', type: 'helper' },
      ]),
    );
    const out = collect(helper.getNode('out'));
    const refOut = collect(helper.getNode('refOut'));
    for (let i = 0; i < 12; i++) {
      helper.getNode('sim').receive({ topic: 'tick' });
      helper.getNode('ref').receive({ topic: 'tick' });
    }
    await until(() => out.length === 12 && refOut.length === 12, 2000, 'twelve readings each');
    const excess = out.map((t, i) => t.signals.bearingTemp - refOut[i].signals.bearingTemp);
    for (let i = 1; i < excess.length; i++) assert.ok(excess[i]! > excess[i - 1]!, `excess temperature grows (${excess.join(', ')})`);
    assert.ok(out[11].signals.vibration > refOut[11].signals.vibration);
    assert.equal(out[11].signals.flow, refOut[11].signals.flow, 'friction does not change the hydraulics');
  });

  it('fits a new bearing on the named pump only: it runs cooler than its twin that kept the worn one, the other pump is untouched', async () => {
    // Two simulators with the same seed: `sim` gets the new bearing on pump-1, `ref` keeps both worn bearings.
    await helper.load(
      [nodes.simulator],
      onTab([
        pump('sim', { assetCount: '2', frictionGrowth: '20', timeScale: '600', wires: [['out'], []] }),
        pump('ref', { assetCount: '2', frictionGrowth: '20', timeScale: '600', wires: [['refOut'], []] }),
        { id: 'out', type: 'helper' },
        { id: 'refOut', type: 'helper' },
      ]),
    );
    const out = collect(helper.getNode('out'));
    const refOut = collect(helper.getNode('refOut'));
    const ticks = async (n: number) => {
      const [a, b] = [out.length, refOut.length];
      for (let i = 0; i < n; i++) {
        helper.getNode('sim').receive({ topic: 'tick' });
        helper.getNode('ref').receive({ topic: 'tick' });
      }
      await until(() => out.length === a + 2 * n && refOut.length === b + 2 * n, 2000, `${n} more ticks`);
    };
    await ticks(30); // a tick is 10 min of plant time: 5 h of wear at 20 %/h
    helper.getNode('sim').receive({ topic: 'replace-bearing', payload: { assetId: 'pump-1' } });
    await ticks(12); // 2 h more: the new bearing has cooled towards a new one's temperature
    const last = (list: any[], assetId: string) => list.filter((t) => t.assetId === assetId).at(-1).signals;
    const [renewed, worn] = [last(out, 'pump-1'), last(refOut, 'pump-1')];
    assert.ok(renewed.bearingTemp < worn.bearingTemp - 2, `pump-1 with the new bearing ${renewed.bearingTemp} °C, with the worn one ${worn.bearingTemp} °C`);
    assert.ok(renewed.vibration < worn.vibration);
    assert.deepEqual(last(out, 'pump-2'), last(refOut, 'pump-2'), 'pump-2 keeps its bearing');
  });

  it('refuses bad fault commands and a speed setpoint for the replay through done(err)', async () => {
    await helper.load(
      [nodes.simulator, coreNodes.catch],
      onTab([
        pump('sim', { wires: [[], []] }),
        { id: 'replay', type: 'twin-simulator', model: 'cmapss-replay', file: TEST_FD001, units: '1', autoStart: false, wires: [[], []] },
        { id: 'catch', type: 'catch', scope: ['sim', 'replay'], wires: [['caught']] },
        { id: 'caught', type: 'helper' },
      ]),
    );
    const replay = helper.getNode('replay');
    await until(() => lastStatus(replay)?.text === 'twin-simulator.status.stopped', 5000, 'the file to load');
    for (const [id, msg, pattern] of [
      ['sim', { topic: 'fault', payload: { fault: 'drift', signal: 'bearingTemp' } }, /rate \(units per hour\) must be a number/],
      ['sim', { topic: 'fault', payload: { fault: 'stuck', signal: 'torque' } }, /unknown signal "torque"/],
      ['sim', { topic: 'fault', payload: { fault: 'stuck', assetId: 'pump-9' } }, /unknown asset "pump-9"/],
      ['sim', { topic: 'rewind' }, /rewind applies to the C-MAPSS replay only/],
      ['replay', { topic: 'fault', payload: { fault: 'friction', rate: 5 } }, /friction fault applies to the pump model only/],
      ['replay', { topic: 'fault', payload: { fault: 'drift', signal: 'cycle', rate: 1 } }, /cycle counter/],
      ['replay', { topic: 'speed', payload: 1000 }, /takes no speed setpoint/],
      ['replay', { topic: 'replace-bearing', payload: { assetId: 'engine-1' } }, /replace-bearing applies to the pump model only/],
      ['sim', { topic: 'replace-bearing' }, /replace-bearing needs the pump: payload \{ assetId \}/],
      ['sim', { topic: 'replace-bearing', payload: 'pump-9' }, /unknown asset "pump-9"/],
    ] as const) {
      const caught = nextMessage(helper.getNode('caught'));
      helper.getNode(id).receive(msg);
      const error = (await caught).error;
      assert.match(error.message, pattern);
      assert.equal(error.source.id, id);
    }
  });

  it('reports a missing or malformed file with a red status and a Catch-able error, and the runtime carries on', async () => {
    const dir = tempDir('twin-cmapss');
    try {
      writeFileSync(join(dir.path, 'broken.txt'), '1 1 0.1 0.2\n');
      await helper.load(
        [nodes.simulator, coreNodes.catch],
        onTab([
          { id: 'missing', type: 'twin-simulator', model: 'cmapss-replay', file: join(dir.path, 'nope.txt'), autoStart: true, wires: [[], []] },
          { id: 'broken', type: 'twin-simulator', model: 'cmapss-replay', file: join(dir.path, 'broken.txt'), autoStart: true, wires: [[], []] },
          { id: 'unset', type: 'twin-simulator', model: 'cmapss-replay', file: '', autoStart: true, wires: [[], []] },
          pump('badFault', { faults: [{ fault: 'drift', signal: 'torque', rate: 1 }], wires: [[], []] }),
          { id: 'catch', type: 'catch', scope: null, wires: [['caught']] },
          { id: 'caught', type: 'helper' },
          pump('alive', { intervalMs: '20', autoStart: true, wires: [['aliveOut'], []] }),
          { id: 'aliveOut', type: 'helper' },
        ]),
      );
      const caught: any[] = [];
      helper.getNode('caught').on('input', (m: any) => caught.push(m.error));
      await until(() => new Set(caught.map((e) => e.source.id)).size >= 3, 5000, 'two file errors and a fault error');
      const byNode = Object.fromEntries(caught.map((e) => [e.source.id, e.message]));
      assert.match(byNode.missing, /cannot read C-MAPSS file .*nope\.txt: not found/);
      assert.match(byNode.broken, /broken\.txt: line 1 has 4 columns; a C-MAPSS row has 26/);
      assert.match(byNode.badFault, /configured fault drift: unknown signal "torque"/);
      for (const id of ['missing', 'broken', 'unset', 'badFault']) assert.equal(lastStatus(helper.getNode(id))!.fill, 'red', `${id} status`);
      assert.match(lastStatus(helper.getNode('unset'))?.text ?? '', /no C-MAPSS file/);
      const tickError = nextMessage(helper.getNode('caught'));
      helper.getNode('missing').receive({ topic: 'tick' });
      assert.match((await tickError).error.message, /not found/);
      await nextMessage(helper.getNode('aliveOut'));
    } finally {
      dir.remove();
    }
  });

  it('reads a relative file path from Node-RED\'s user directory', async () => {
    const dir = tempDir('twin-userdir');
    try {
      const rows = ['7 1', '7 2'].map((start) => `${start} ${Array.from({ length: 24 }, (_, k) => k + 0.5).join(' ')}`);
      writeFileSync(join(dir.path, 'mini.txt'), `${rows.join('\n')}\n`);
      helper.settings({ userDir: dir.path });
      await helper.load(
        [nodes.simulator],
        onTab([
          { id: 'sim', type: 'twin-simulator', model: 'cmapss-replay', file: 'mini.txt', assetPrefix: 'jet-', autoStart: false, wires: [['out'], []] },
          { id: 'out', type: 'helper' },
        ]),
      );
      const sim = helper.getNode('sim');
      await until(() => lastStatus(sim)?.text === 'twin-simulator.status.stopped', 5000, 'the file to load');
      const first = nextMessage(helper.getNode('out'));
      sim.receive({ topic: 'tick' });
      const msg = await first;
      assert.equal(msg.topic, 'jet-7');
      assert.equal(msg.payload.signals.s21, 23.5);
      assert.ok(Math.abs(msg.payload.ts - Date.now()) < 1000, 'stamped with the wall clock');
    } finally {
      dir.remove();
    }
  });

  it('stops every timer on close: no message after unload, also while the file is still loading', async () => {
    const def = uid('def');
    await helper.load(
      [nodes.definition, nodes.simulator, nodes.state],
      onTab([
        definition(def),
        { id: 'replay', type: 'twin-simulator', model: 'cmapss-replay', file: TEST_FD001, loop: true, intervalMs: '10', autoStart: true, wires: [['out'], ['out']] },
        pump('pump', { intervalMs: '10', autoStart: true, wires: [['out'], []] }),
        { id: 'out', type: 'helper' },
      ]),
    );
    const out = collect(helper.getNode('out'));
    await until(() => out.some((t) => t.assetId?.startsWith('engine-')) && out.some((t) => t.assetId?.startsWith('pump-')), 5000, 'both simulators running');
    await helper.unload();
    const count = out.length;
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(out.length, count);

    // Closed before the file is read: the late read must not start a timer.
    await helper.load([nodes.simulator], onTab([{ id: 'early', type: 'twin-simulator', model: 'cmapss-replay', file: TEST_FD001, intervalMs: '10', autoStart: true, wires: [['late'], []] }, { id: 'late', type: 'helper' }]));
    const late = collect(helper.getNode('late'));
    assert.equal(lastStatus(helper.getNode('early'))?.text, 'twin-simulator.status.loading');
    await helper.unload();
    await new Promise((r) => setTimeout(r, 300));
    assert.deepEqual(late, []);
  });
});
