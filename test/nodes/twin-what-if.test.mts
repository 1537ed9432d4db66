/**
 * twin-what-if in a real Node-RED runtime: it forks the live twin fed through twin-state, predicts a hotter bearing and
 * a shorter life for a higher speed, never changes the twin, marks its traffic so twin-actuator refuses it and
 * twin-state never ingests it, promotes a scenario into a real command that still passes every actuator guard (and
 * waits for an operator in confirm mode), runs in a worker thread, cancels, and sends every failure to Catch nodes.
 */
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import mqtt from 'mqtt';
import { coreNodes, helper, nodes, onTab, uid, until } from '../support/red.mts';

const require = createRequire(import.meta.url);
const { startEmbeddedBroker } = require('../../dist/scripts/embedded-broker.js') as typeof import('../../dist/scripts/embedded-broker.js');

function definition(id: string) {
  return {
    id,
    type: 'twin-definition',
    assetClass: 'centrifugal pump',
    historyPoints: '100',
    acceptUndeclared: true,
    signals: [
      { name: 'speed', unit: 'rpm', min: 0, max: 3000 },
      { name: 'bearingTemp', unit: 'degC', min: -20, max: 150 },
    ],
    actuationPoints: [{ name: 'speed', unit: 'rpm', min: 0, max: 1800, maxRatePerS: 500, tolerance: 5 }],
  };
}

function collect(id: string): any[] {
  const seen: any[] = [];
  helper.getNode(id).on('input', (msg: any) => seen.push(msg));
  return seen;
}

describe('twin-what-if', function () {
  this.timeout(60_000);
  let broker: Awaited<ReturnType<typeof startEmbeddedBroker>>;

  before(async () => {
    broker = await startEmbeddedBroker(0);
  });
  after(async () => {
    await broker.close();
  });
  beforeEach(() => helper.startServer());
  afterEach(async () => {
    await helper.unload();
    await helper.stopServer();
  });

  /** A twin with pump-1 at 1480 rpm and a warm bearing, a what-if node, and an actuator in the given mode. */
  async function load(actuator: Record<string, unknown> = { mode: 'dry-run' }) {
    const def = uid('def');
    await helper.load(
      [nodes.definition, nodes.state, nodes.whatIf, nodes.actuator, nodes.mqttBroker, coreNodes.catch, coreNodes.change],
      onTab([
        definition(def),
        { id: 'broker', type: 'twin-mqtt-broker', url: `mqtt://127.0.0.1:${broker.port}`, protocolVersion: '4', cleanSession: true },
        { id: 'state', type: 'twin-state', definition: def, throttleMs: '0', wires: [['snapshots'], []] },
        { id: 'whatif', type: 'twin-what-if', definition: def, horizon: '2 h', step: '10 s', runs: '1', wearPerHourPct: '5', limits: [{ signal: 'bearingTemp', max: '60' }], wires: [['results'], ['table'], ['act']] },
        // A flow that (wrongly) turns a scenario's result into a speed command: the msg keeps its scenario mark.
        { id: 'toCommand', type: 'change', rules: [{ t: 'set', p: 'payload', pt: 'msg', to: '{"assetId": payload.assetId, "point": "speed", "value": payload.scenarios[0].changes.setpoints.speed}', tot: 'jsonata' }], wires: [['act']] },
        { id: 'act', type: 'twin-actuator', definition: def, broker: 'broker', confirmTimeoutS: '30', interlocks: [{ name: 'bearing not hot', expression: 'bearingTemp < 90' }], ...actuator, wires: [['commands'], ['audit']] },
        { id: 'snapshots', type: 'helper' },
        { id: 'results', type: 'helper' },
        { id: 'table', type: 'helper' },
        { id: 'commands', type: 'helper' },
        { id: 'audit', type: 'helper' },
        { id: 'catch', type: 'catch', scope: ['whatif', 'state'], uncaught: false, wires: [['caught']] },
        { id: 'caught', type: 'helper' },
      ]),
    );
    const state = helper.getNode('state');
    const now = Date.now();
    for (let i = 0; i < 5; i++) state.receive({ payload: { assetId: 'pump-1', ts: now - 5000 + i * 1000, signals: { speed: 1480, bearingTemp: 52.9 } } });
    const store = (helper.getNode(def) as any).store;
    await until(() => store.version('pump-1') === 5, 2000, 'five readings in the twin');
    return { store, whatif: helper.getNode('whatif'), results: collect('results'), table: collect('table'), commands: collect('commands'), caught: collect('caught'), snapshots: collect('snapshots') };
  }

  it('a higher speed predicts a hotter bearing and a shorter life; the live twin and its version are unchanged after many scenarios', async () => {
    const { store, whatif, results, table } = await load();
    const before = { snapshot: store.snapshot('pump-1', { statistics: true }), history: store.history('pump-1', 'bearingTemp'), version: store.version('pump-1') };
    whatif.receive({ payload: [{ name: 'faster', assetId: 'pump-1', changes: { setpoints: { speed: 1700 } } }, { name: 'slower', assetId: 'pump-1', changes: { setpoints: { speed: 1300 } } }] });
    await until(() => results.length === 1, 10_000, 'the scenario results');
    const out = results[0];
    assert.equal(out.scenario, true);
    assert.equal(out.topic, 'pump-1');
    const { baseline, scenarios, fork } = out.payload;
    assert.equal(fork.version, 5);
    assert.equal(fork.speed, 1480);
    const [faster, slower] = scenarios;
    assert.ok(faster.kpis.peak.bearingTemp > baseline.kpis.peak.bearingTemp + 1, `${faster.kpis.peak.bearingTemp} vs ${baseline.kpis.peak.bearingTemp}`);
    assert.ok(faster.kpis.rulAtEndH < baseline.kpis.rulAtEndH);
    assert.ok(slower.kpis.rulAtEndH > baseline.kpis.rulAtEndH);
    assert.match(faster.comparison.statements.join('\n'), /remaining bearing life at the end [\d.]+ h shorter/);
    // The node's operating limit on bearingTemp (60 °C) is crossed at 1700 rpm only.
    assert.deepEqual(faster.violations.map((v: any) => [v.signal, v.bound, v.limit]), [['bearingTemp', 'max', 60]]);
    assert.deepEqual(baseline.violations, []);
    assert.deepEqual(table[0].payload.map((r: any) => r.scenario), ['baseline', 'faster', 'slower']);
    assert.equal(table[0].scenario, true);

    for (let i = 0; i < 20; i++) whatif.receive({ payload: { name: `s${i}`, assetId: 'pump-1', runs: 3, changes: { setpoints: { speed: 1000 + i * 40 }, parameters: { bearingFriction: 0.003 } } } });
    await until(() => results.length === 21, 20_000, '20 more scenario results');
    assert.deepEqual(store.snapshot('pump-1', { statistics: true }), before.snapshot);
    assert.deepEqual(store.history('pump-1', 'bearingTemp'), before.history);
    assert.equal(store.version('pump-1'), before.version);
    assert.equal(store.derived('pump-1', 'parameters'), undefined, 'nothing was written back into the twin');
  });

  it('what-if traffic is refused by twin-actuator and never ingested by twin-state', async () => {
    const { store, whatif, results, commands, caught } = await load();
    helper.getNode('results').on('input', (msg: any) => helper.getNode('toCommand').receive(msg));
    whatif.receive({ payload: { name: 'faster', assetId: 'pump-1', changes: { setpoints: { speed: 1600 } } } });
    await until(() => commands.length === 1, 10_000, 'the actuator result');
    assert.equal(results[0].scenario, true);
    assert.equal(commands[0].payload.result, 'refused');
    assert.equal(commands[0].payload.reason, 'source: what-if scenario traffic is never written to a machine');

    const version = store.version('pump-1');
    helper.getNode('state').receive({ scenario: true, payload: { assetId: 'pump-1', ts: Date.now(), signals: { speed: 1700, bearingTemp: 61 } } });
    await until(() => caught.length === 1, 2000, 'the error for the Catch node');
    assert.match(caught[0].error.message, /what-if scenario traffic \(msg.scenario\) is never ingested into the live twin$/);
    assert.equal(store.version('pump-1'), version);
    assert.equal(store.snapshot('pump-1').signals.speed.value, 1480);
  });

  it('a promoted scenario becomes a real command that passes every actuator guard and waits for the operator in confirm mode', async () => {
    const { whatif, results, commands, caught } = await load({ mode: 'confirm' });
    const wire = await mqtt.connectAsync(`mqtt://127.0.0.1:${broker.port}`, { protocolVersion: 4 });
    const written: string[] = [];
    wire.on('message', (topic) => written.push(topic));
    await wire.subscribeAsync('plant/#', { qos: 1 });
    try {
      await until(() => (helper.getNode('broker') as any).state === 'connected', 5000, 'the broker connection');
      whatif.receive({ payload: [{ name: 'faster', assetId: 'pump-1', changes: { setpoints: { speed: 1600 } } }, { name: 'too fast', assetId: 'pump-1', changes: { setpoints: { speed: 2000 } } }] });
      await until(() => results.length === 1, 10_000, 'the scenario results');

      whatif.receive({ topic: 'promote', payload: { name: 'faster', user: 'operator A' } });
      await until(() => commands.length === 1, 5000, 'the actuator answer');
      const pending = commands[0].payload;
      assert.equal(pending.result, 'accepted');
      assert.equal(pending.awaitingConfirmation, true);
      assert.equal(commands[0].scenario, undefined, 'a promoted command is not scenario traffic');

      whatif.receive({ topic: 'promote', payload: 'too fast' });
      await until(() => commands.length === 2, 5000, 'the actuator refusal');
      assert.equal(commands[1].payload.result, 'refused');
      assert.match(commands[1].payload.reason, /1800/);

      await new Promise((r) => setTimeout(r, 300));
      assert.deepEqual(written, [], 'nothing reaches the machine before the operator confirms');
      assert.deepEqual(caught, []);
    } finally {
      await wire.endAsync();
    }
  });

  it('ends the bearing\'s life at its trip (90 °C by default), never at the top of the sensor\'s valid range (150 °C)', async () => {
    const def = uid('def');
    const whatIf = (id: string, extra: Record<string, unknown>) => ({ id, type: 'twin-what-if', definition: def, horizon: '10 min', step: '10 s', runs: '1', ...extra, wires: [['results'], [], []] });
    await helper.load(
      [nodes.definition, nodes.state, nodes.whatIf],
      onTab([
        definition(def),
        { id: 'state', type: 'twin-state', definition: def, throttleMs: '0', wires: [[], []] },
        whatIf('unset', {}),
        whatIf('at90', { bearingLimitC: '90' }),
        whatIf('at150', { bearingLimitC: '150' }),
        { id: 'results', type: 'helper' },
      ]),
    );
    const now = Date.now();
    for (let i = 0; i < 5; i++) helper.getNode('state').receive({ payload: { assetId: 'pump-1', ts: now - 5000 + i * 1000, signals: { speed: 1480, bearingTemp: 52.9 } } });
    const store = (helper.getNode(def) as any).store;
    await until(() => store.version('pump-1') === 5, 2000, 'five readings in the twin');
    const results = collect('results');
    for (const id of ['unset', 'at90', 'at150']) helper.getNode(id).receive({ payload: { name: id, assetId: 'pump-1', changes: {} } });
    await until(() => results.length === 3, 10_000, 'three results');
    const life = Object.fromEntries(results.map((m) => [m.payload.scenarios[0].name, m.payload.fork.rulNowH]));
    assert.equal(life.unset, life.at90, 'unset: the 90 °C trip');
    assert.ok(life.at150 > life.unset * 1.5, `a 150 °C trip would give a much longer life: ${JSON.stringify(life)}`);
  });

  it('promotes the scenario run for the pump named, never one of the same name run for another pump', async () => {
    const { store, whatif, results, commands, caught } = await load();
    const state = helper.getNode('state');
    const now = Date.now();
    for (let i = 0; i < 5; i++) state.receive({ payload: { assetId: 'pump-2', ts: now - 5000 + i * 1000, signals: { speed: 1400, bearingTemp: 50 } } });
    await until(() => store.version('pump-2') === 5, 2000, 'pump-2 in the twin');
    whatif.receive({ payload: { name: 'faster', assetId: 'pump-1', changes: { setpoints: { speed: 1600 } } } });
    await until(() => results.length === 1, 10_000, 'pump-1\'s scenario');

    // A dashboard showing pump-2 after running pump-1's scenario: nothing is sent.
    whatif.receive({ topic: 'promote', payload: { name: 'faster', assetId: 'pump-2' } });
    await until(() => caught.length === 1, 5000, 'the refusal');
    assert.match(caught[0].error.message, /no scenario named "faster" has been run for pump-2 here/);
    assert.equal(commands.length, 0);
    whatif.receive({ topic: 'promote', payload: { name: '', assetId: 'pump-2' } });
    await until(() => caught.length === 2, 5000, 'the refusal of no name');
    assert.match(caught[1].error.message, /no scenario named: run one for pump-2 first/);

    whatif.receive({ payload: { name: 'faster', assetId: 'pump-2', changes: { setpoints: { speed: 1500 } } } });
    await until(() => results.length === 2, 10_000, 'pump-2\'s scenario');
    // One name, two pumps: the name alone is ambiguous.
    whatif.receive({ topic: 'promote', payload: 'faster' });
    await until(() => caught.length === 3, 5000, 'the ambiguity');
    assert.match(caught[2].error.message, /scenario "faster" has been run for pump-1, pump-2: say which with payload.assetId/);
    whatif.receive({ topic: 'promote', payload: { name: 'faster', assetId: 'pump-2' } });
    await until(() => commands.length === 1, 5000, 'the command');
    assert.deepEqual([commands[0].payload.assetId, commands[0].payload.requested], ['pump-2', 1500]);
  });

  it('optimises with a JSONata objective in the worker, shows progress, and "apply" sends the best setting through the actuator guards', async () => {
    const { whatif, results, table, commands, caught } = await load({ mode: 'confirm' });
    await until(() => (helper.getNode('broker') as any).state === 'connected', 5000, 'the broker connection');
    whatif.receive({
      topic: 'optimise',
      payload: {
        assetId: 'pump-1',
        runs: 5,
        variables: [{ path: 'setpoints.speed', min: 1000, max: 1800, step: 50 }],
        objective: { maximise: 'throughputM3 - 0.5 * energyKwh' },
        constraints: { minRulAtEndH: 1 },
      },
    });
    await until(() => results.some((m) => m.payload.kind === 'optimisation'), 20_000, 'the optimisation result');
    const progress = results.filter((m) => m.payload.kind === 'progress');
    assert.ok(progress.length >= 1 && progress.every((m) => m.scenario === true && m.payload.total === 17));
    const outcome = results.find((m) => m.payload.kind === 'optimisation').payload;
    assert.equal(outcome.method, 'grid');
    const best = outcome.best;
    const speed = best.values['setpoints.speed'];
    // The objective was evaluated as written, on the best candidate's KPIs.
    assert.ok(Math.abs(best.objective - (best.kpis.throughputM3 - 0.5 * best.kpis.energyKwh)) < 1e-9);
    // The node's operating limit (bearingTemp ≤ 60 °C) holds at the optimum in every run; the next grid step up breaks it.
    assert.deepEqual(best.violations, []);
    const above = outcome.tradeOff.points.find((p: any) => p.values['setpoints.speed'] === speed + 50);
    assert.equal(above?.feasible ?? false, false);
    assert.deepEqual(table.at(-1).payload.map((r: any) => r.scenario), ['baseline', 'optimum (best)']);

    whatif.receive({ topic: 'apply', payload: { user: 'shift lead' } });
    await until(() => commands.length === 1, 5000, 'the actuator answer');
    assert.equal(commands[0].payload.result, 'accepted');
    assert.equal(commands[0].payload.awaitingConfirmation, true);
    assert.equal(commands[0].payload.requested, speed);
    assert.deepEqual(caught, []);

    // A later optimisation that finds no safe setting leaves nothing to apply: never the earlier optimum.
    const answered = results.length;
    whatif.receive({
      topic: 'optimise',
      payload: { assetId: 'pump-1', runs: 5, variables: [{ path: 'setpoints.speed', min: 1000, max: 1800, step: 200 }], objective: { maximise: 'throughputM3' }, constraints: { minRulAtEndH: 1e6 } },
    });
    await until(() => results.slice(answered).some((m) => m.payload.kind === 'optimisation'), 20_000, 'the second optimisation result');
    assert.equal(results.slice(answered).find((m) => m.payload.kind === 'optimisation').payload.best ?? null, null, 'no candidate lives a million hours');
    whatif.receive({ topic: 'apply', payload: {} });
    await until(() => (caught as any[]).length === 1, 5000, 'the refusal to apply');
    assert.match((caught as any[])[0].error.message, /the latest optimisation found no safe setting/);
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(commands.length, 1, 'no second command');
  });

  it('sends bad input to Catch nodes with the reason, and keeps working', async () => {
    const { whatif, results, caught } = await load();
    const bad: Array<[unknown, string, RegExp]> = [
      [{ name: 'x', assetId: 'pump-9' }, 'input', /unknown asset "pump-9"/],
      ['faster please', 'input', /a scenario must be an object/],
      [{ assetId: 'pump-1', changes: { setpoints: { valve: 20 } } }, 'input', /setpoint "valve" is not known to the pump model/],
      [{ assetId: 'pump-1', runs: 1e6 }, 'input', /runs must be a whole number from 1 to 10000/],
      [{ assetId: 'pump-1', changes: { setpoints: { speed: 'NaN' } } }, 'input', /must be a finite number/],
      // A step of a millionth of an rpm: three billion grid points, refused before any is built (it ran out of memory).
      [{ assetId: 'pump-1', variables: [{ path: 'setpoints.speed', min: 0, max: 3000, step: 0.000001 }], objective: { maximise: 'throughputM3' } }, 'optimise', /the grid has 3000000001 points; at most 5000/],
      ['nobody', 'promote', /no scenario named "nobody" has been run here/],
    ];
    for (const [payload, kind, expected] of bad) {
      const before = caught.length;
      whatif.receive(kind === 'input' ? { payload } : { topic: kind, payload });
      await until(() => caught.length === before + 1, 5000, `the error for ${JSON.stringify(payload)}`);
      assert.match(caught[before].error.message, expected);
    }
    whatif.receive({ payload: { name: 'ok', assetId: 'pump-1' } });
    await until(() => results.length === 1, 10_000, 'a good scenario after the bad ones');
  });

  it('runs large scenarios in a worker thread (the event loop stays free), and cancels them', async () => {
    const { whatif, results, caught } = await load();
    const delay = monitorEventLoopDelay({ resolution: 10 });
    delay.enable();
    const started = Date.now();
    whatif.receive({ payload: { name: 'large', assetId: 'pump-1', runs: 1000, horizon: 10_000, step: 10 } });
    await until(() => results.length === 1, 30_000, 'the large result');
    const took = Date.now() - started;
    delay.disable();
    const maxDelayMs = delay.max / 1e6;
    assert.ok(maxDelayMs < took / 2, `event loop held for ${maxDelayMs.toFixed(0)} ms during a ${took} ms run`);
    assert.equal(results[0].payload.scenarios[0].runs, 1000);

    whatif.receive({ payload: { name: 'huge', assetId: 'pump-1', runs: 10_000, horizon: '5 h', step: 10 } });
    await new Promise((r) => setTimeout(r, 200));
    whatif.receive({ topic: 'cancel' });
    await until(() => caught.length === 1, 5000, 'the cancelled scenario for Catch');
    assert.match(caught[0].error.message, /cancelled$/);
    whatif.receive({ payload: { name: 'after', assetId: 'pump-1' } });
    await until(() => results.length === 2, 10_000, 'a scenario after the cancel');
    assert.equal(results[1].payload.scenarios[0].name, 'after');
  });
});
