/**
 * twin-actuator closing the loop through a real MQTT broker: the command goes out over aedes, the simulated pump
 * obeys it, twin-state sees the reported speed, and the actuator confirms by read-back.
 */
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import mqtt from 'mqtt';
import { callsOn, coreNodes, helper, nodes, nextMessage, onTab, textsOn, uid, until } from '../support/red.mts';

const require = createRequire(import.meta.url);
const { startEmbeddedBroker } = require('../../dist/scripts/embedded-broker.js') as typeof import('../../dist/scripts/embedded-broker.js');

describe('twin-actuator: guarded commands over MQTT, closed loop with the simulated pump', function () {
  this.timeout(30_000);
  let broker: Awaited<ReturnType<typeof startEmbeddedBroker>>;
  let wire: mqtt.MqttClient;
  let onWire: Array<{ topic: string; payload: string }>;

  before(async () => {
    broker = await startEmbeddedBroker(0);
    wire = await mqtt.connectAsync(`mqtt://127.0.0.1:${broker.port}`, { protocolVersion: 4 });
    wire.on('message', (topic, payload) => onWire.push({ topic, payload: payload.toString() }));
    await wire.subscribeAsync('plant/+/set/#', { qos: 1 });
  });
  after(async () => {
    await wire.endAsync();
    await broker.close();
  });
  beforeEach(async () => {
    onWire = [];
    await helper.startServer();
  });
  afterEach(async () => {
    await helper.unload();
    await helper.stopServer();
  });

  /**
   * @param point changes to the speed point (e.g. the demo's: 50 rpm/s, tolerance 10, no settle time)
   * @param pumpSpeed the simulated pump's starting speed (rpm)
   */
  async function load(actuator: Record<string, unknown>, bearingTempMax = 150, point: Record<string, unknown> = {}, pumpSpeed = 1480) {
    const def = uid('def');
    await helper.load(
      [nodes.definition, nodes.state, nodes.simulator, nodes.mqttBroker, nodes.actuator, coreNodes.mqtt, coreNodes.change, coreNodes.catch, coreNodes.complete],
      onTab([
        {
          id: def,
          type: 'twin-definition',
          assetClass: 'pump',
          historyPoints: '100',
          acceptUndeclared: true,
          signals: [{ name: 'speed', unit: 'rpm', staleAfterS: 5 }, { name: 'bearingTemp', unit: 'degC', max: bearingTempMax }],
          // The drive ramps at 100 rpm/s: a change of a few hundred rpm takes seconds to settle.
          actuationPoints: [{ name: 'speed', unit: 'rpm', min: 0, max: 1800, maxRatePerS: 500, tolerance: 5, settleS: 8, ...point }],
        },
        { id: 'twinBroker', type: 'twin-mqtt-broker', url: `mqtt://127.0.0.1:${broker.port}`, protocolVersion: '4', cleanSession: true },
        { id: 'coreBroker', type: 'mqtt-broker', broker: '127.0.0.1', port: String(broker.port), protocolVersion: '4', cleansession: true, autoConnect: true },
        // The plant: a pump that takes speed setpoints from MQTT and reports its readings to the twin.
        { id: 'sim', type: 'twin-simulator', assetCount: '1', assetPrefix: 'pump-', intervalMs: '50', timeScale: '1', seed: '1', speed: String(pumpSpeed), frictionGrowth: '0', noise: '0', autoStart: true, wires: [['state']] },
        { id: 'cmdIn', type: 'mqtt in', topic: 'plant/+/set/speed', qos: '1', datatype: 'auto-detect', broker: 'coreBroker', nl: false, rap: true, inputs: 0, wires: [['toSim']] },
        { id: 'toSim', type: 'change', rules: [{ t: 'set', p: 'payload', pt: 'msg', to: '{"assetId": $split(topic, "/")[1], "speed": payload}', tot: 'jsonata' }], wires: [['sim']] },
        { id: 'state', type: 'twin-state', definition: def, throttleMs: '0', wires: [[], []] },
        { id: 'act', type: 'twin-actuator', definition: def, broker: 'twinBroker', readBackTimeoutS: '10', confirmTimeoutS: '2', ttlS: '10', ...actuator, wires: [['results'], ['audit']] },
        { id: 'results', type: 'helper' },
        { id: 'audit', type: 'helper' },
        { id: 'catch', type: 'catch', scope: ['act'], wires: [['caught']] },
        { id: 'caught', type: 'helper' },
        { id: 'complete', type: 'complete', scope: ['act'], wires: [['completed']] },
        { id: 'completed', type: 'helper' },
      ]),
    );
    const results: any[] = [];
    const audits: any[] = [];
    helper.getNode('results').on('input', (m: any) => results.push(m.payload));
    helper.getNode('audit').on('input', (m: any) => audits.push(m.payload));
    // Wait for the pump's first readings and for both MQTT connections.
    await until(() => helper.getNode('twinBroker').state === 'connected', 5000, 'broker connection');
    await new Promise((r) => setTimeout(r, 500));
    return { act: helper.getNode('act'), results, audits, store: helper.getNode(def).store };
  }

  it('live: writes, the pump obeys, the twin reports it, and the command is confirmed and audited once', async () => {
    const { act, results, audits } = await load({ mode: 'live', interlocks: [{ name: 'bearing not hot', expression: 'bearingTemp < 90' }] });
    act.receive({ payload: { assetId: 'pump-1', point: 'speed', value: 1200, user: 'operator A' } });
    await until(() => results.some((r) => r.result === 'confirmed' || r.result === 'failed'), 15_000, 'a final result');
    assert.deepEqual(results.map((r) => r.result), ['written', 'confirmed']);
    assert.deepEqual(onWire, [{ topic: 'plant/pump-1/set/speed', payload: '1200' }]);
    assert.equal(audits.length, 1);
    assert.equal(audits[0].result, 'confirmed');
    assert.equal(audits[0].user, 'operator A');
    assert.deepEqual(audits[0].guards.map((g: any) => g.guard), ['shape', 'limits', 'rate', 'interlocks', 'simulation', 'source']);
    // QoS 1 over MQTT 3.1.1 in live mode: the deploy says what 3.1.1 cannot do.
    assert.ok(act.warn.args.some((a: unknown[]) => /^MQTT 3\.1\.1 cannot make a command expire: .* gets a QoS 1 command whenever it comes back/.test(String(a[0]))));
  });

  it('warns of a command left retained on the broker, which a device gets at every reconnect past every guard', async () => {
    await wire.publishAsync('plant/pump-1/set/speed', '1800', { qos: 1, retain: true });
    try {
      const { act, results } = await load({ mode: 'live' });
      const retained = () => textsOn(act, 'warn').filter((t) => t.includes('retained command'));
      await until(() => retained().length > 0, 5000, 'the warning');
      assert.match(retained()[0]!, /^a retained command "1800" is left on the broker at plant\/pump-1\/set\/speed: a device gets it each time it subscribes .*\(mosquitto_pub -r -n -t 'plant\/pump-1\/set\/speed'\)$/);
      // The node's own command (never retained) adds no warning, and watching its command topics is no subscription
      // the broker node warns about as one whose readings its commands would reach.
      act.receive({ payload: { assetId: 'pump-1', point: 'speed', value: 1500 } });
      await until(() => results.some((r) => r.result === 'written'), 5000, 'the write');
      await new Promise((r) => setTimeout(r, 300));
      assert.equal(retained().length, 1);
      assert.deepEqual(textsOn(helper.getNode('twinBroker'), 'warn').filter((t) => t.includes('matches the subscription')), []);
    } finally {
      await wire.publishAsync('plant/pump-1/set/speed', '', { qos: 1, retain: true });
    }
  });

  it('an interlock on the live bearing temperature stops a speed raise before anything reaches the wire', async () => {
    const { act, results, audits } = await load({ mode: 'live', interlocks: [{ name: 'bearing cool enough', expression: 'bearingTemp < 40' }] });
    act.receive({ payload: { assetId: 'pump-1', point: 'speed', value: 1600 } });
    await until(() => results.length > 0, 5000, 'a result');
    assert.equal(results[0].result, 'refused');
    assert.match(results[0].reason, /^interlocks: bearing cool enough does not hold/);
    await new Promise((r) => setTimeout(r, 300));
    assert.deepEqual(onWire, []);
    assert.equal(audits.length, 1);
  });

  it('an interlock whose input the source marks bad does not hold on the last good value: the command is refused', async () => {
    const { act, results } = await load({ mode: 'live', interlocks: [{ name: 'bearing not hot', expression: 'bearingTemp < 90' }] });
    // The PLC reports the bearing sensor gone (no value, Bad); stamped a minute ahead, so the simulated pump's
    // readings that keep coming are older than it and do not end the bad spell during the test.
    helper.getNode('state').receive({ payload: { assetId: 'pump-1', ts: Date.now() + 60_000, signals: { bearingTemp: null }, quality: { bearingTemp: 'bad' } } });
    await new Promise((r) => setTimeout(r, 200));
    act.receive({ payload: { assetId: 'pump-1', point: 'speed', value: 1400 } });
    await until(() => results.length > 0, 5000, 'a result');
    assert.equal(results[0].result, 'refused');
    assert.match(results[0].reason, /^interlocks: bearing not hot cannot be evaluated \(an input is stale, bad or missing\)/);
    await new Promise((r) => setTimeout(r, 300));
    assert.deepEqual(onWire, []);
  });

  it('refuses a command for an asset the twin does not have, or whose id would change the MQTT topic', async () => {
    const { act, results } = await load({ mode: 'live' });
    act.receive({ payload: { assetId: 'pump-404', point: 'speed', value: 1400 } });
    await until(() => results.length === 1, 5000, 'a result');
    // An id from another source (twin-sensor, say) with a topic level in it: written, it would go to another topic.
    helper.getNode('state').receive({ payload: { assetId: 'area2/pump-1', signals: { speed: 1400 } } });
    await new Promise((r) => setTimeout(r, 100));
    act.receive({ payload: { assetId: 'area2/pump-1', point: 'speed', value: 1400 } });
    await until(() => results.length === 2, 5000, 'two results');
    assert.deepEqual(results.map((r) => r.result), ['refused', 'refused']);
    assert.match(results[0].reason, /^shape: the twin has no asset "pump-404"/);
    assert.match(results[1].reason, /^shape: asset id "area2\/pump-1" cannot be part of an MQTT topic/);
    await new Promise((r) => setTimeout(r, 300));
    assert.deepEqual(onWire, []);
  });

  it('simulate before write: refuses a speed raise the pump model predicts would overheat the bearing, with the prediction', async () => {
    // Healthy pump at 1480 rpm: bearing at 52.9 °C; at 1800 rpm it settles near 59 °C, above the 56 °C maximum below.
    const { act, results } = await load({ mode: 'live', simulation: 'centrifugal-pump', simulationHorizonMin: '60' }, 56);
    act.receive({ payload: { assetId: 'pump-1', point: 'speed', value: 1800 } });
    await until(() => results.length > 0, 5000, 'a result');
    assert.equal(results[0].result, 'refused');
    assert.match(results[0].reason, /^simulation: bearingTemp would reach 56(\.\d)? degC after \d+ min, above its maximum 56/);
    act.receive({ payload: { assetId: 'pump-1', point: 'speed', value: 1500 } });
    await until(() => results.some((r) => r.result === 'confirmed' || r.result === 'failed'), 15_000, 'the small raise to finish');
    assert.equal(results.at(-1).result, 'confirmed');
    assert.deepEqual(onWire.map((w) => w.payload), ['1500'], 'only the command the model accepted was written');
  });

  it('simulate before write holds the prediction to the node\'s operating limit, not the sensor\'s valid range (150 °C)', async () => {
    // The sensor reads up to 150 °C; the bearing may run at most 56 °C: 1800 rpm would settle it near 59 °C.
    const { act, results } = await load({ mode: 'live', simulation: 'centrifugal-pump', simulationHorizonMin: '60', limits: [{ signal: 'bearingTemp', min: '', max: '56' }] }, 150);
    act.receive({ payload: { assetId: 'pump-1', point: 'speed', value: 1800 } });
    await until(() => results.length > 0, 5000, 'a result');
    assert.equal(results[0].result, 'refused');
    assert.match(results[0].reason, /^simulation: bearingTemp would reach 56(\.\d)? degC after \d+ min, above its maximum 56/);
    assert.deepEqual(onWire, []);
  });

  it('refuses beyond limits, too fast, unknown points and scenario traffic, writing nothing', async () => {
    const { act, results } = await load({ mode: 'live' });
    for (const payload of [
      { assetId: 'pump-1', point: 'speed', value: 2500 },
      { assetId: 'pump-1', point: 'speed', value: 500 },
      { assetId: 'pump-1', point: 'valve', value: 1 },
      { assetId: 'pump-1', point: 'speed', value: 'fast' },
      { assetId: 'pump-1', point: 'speed', value: 1470, scenario: true },
    ]) act.receive({ payload });
    await until(() => results.length === 5, 5000, 'five results');
    assert.deepEqual(results.map((r) => r.reason.split(':')[0]), ['limits', 'rate', 'shape', 'shape', 'source']);
    await new Promise((r) => setTimeout(r, 300));
    assert.deepEqual(onWire, []);
  });

  it('fills a payload template with the value and the command id', async () => {
    const { act, results } = await load({ mode: 'live', topic: 'plant/{assetId}/set/{point}', payloadFormat: 'template', payloadTemplate: '{"sp": {value}, "cmd": "{id}", "asset": "{assetId}"}' });
    // The plant's controller in this flow reads plain numbers, so no read-back: the wire is what is checked here.
    act.receive({ payload: { assetId: 'pump-1', point: 'speed', value: 1450 } });
    await until(() => onWire.length === 1 && results.length > 0, 5000, 'the write');
    const sent = JSON.parse(onWire[0]!.payload);
    assert.deepEqual(sent, { sp: 1450, cmd: results[0].id, asset: 'pump-1' });
  });

  it('dry run: checks and reports, and nothing reaches the wire', async () => {
    const { act, results, audits } = await load({ mode: 'dry-run' });
    act.receive({ payload: { assetId: 'pump-1', point: 'speed', value: 1300 } });
    await until(() => results.length > 0, 5000, 'a result');
    assert.equal(results[0].result, 'accepted');
    assert.equal(results[0].written, 1300);
    await new Promise((r) => setTimeout(r, 300));
    assert.deepEqual(onWire, []);
    assert.equal(audits[0].mode, 'dry-run');
  });

  it('confirm: holds the command until the operator confirms, and fails it when nobody does in time', async () => {
    const { act, results } = await load({ mode: 'confirm' });
    act.receive({ payload: { assetId: 'pump-1', point: 'speed', value: 1300 } });
    await until(() => results.length > 0, 5000, 'a pending command');
    assert.equal(results[0].awaitingConfirmation, true);
    // The node's status says a command waits (the test runtime shows message keys, not their English).
    const status = () => callsOn(act, 'status').at(-1);
    assert.deepEqual([status().fill, status().text], ['yellow', 'twin-actuator.status.waiting']);
    await new Promise((r) => setTimeout(r, 300));
    assert.deepEqual(onWire, [], 'nothing is written before the confirmation');
    act.receive({ topic: 'confirm', payload: { id: results[0].id } });
    await until(() => results.some((r) => r.result === 'confirmed' || r.result === 'failed'), 15_000, 'a final result');
    assert.equal(results.at(-1).result, 'confirmed');
    assert.equal(onWire.length, 1);
    assert.deepEqual([status().fill, status().text], ['green', 'twin-actuator.status.confirm · pump-1 speed 1300 confirmed'], 'the status tells how the last command ended');

    results.length = 0;
    act.receive({ payload: { assetId: 'pump-1', point: 'speed', value: 1250 } });
    await until(() => results.some((r) => r.result === 'expired'), 5000, 'the confirmation to time out');
    assert.match(results.at(-1).reason, /^not confirmed within 2 s: nothing was written$/);
    // A lapsed offer is no failed write: yellow, as a refusal, not red.
    assert.equal(status().fill, 'yellow');
    assert.match(status().text, /pump-1 speed 1250 expired: not confirmed/);
    assert.equal(onWire.length, 1, 'an unconfirmed command is never written');
  });

  // The demo's speed point: 50 rpm/s, tolerance 10 rpm, no settle time of its own (the default 2 s applies).
  const demoSpeedPoint = { maxRatePerS: 50, tolerance: 10, settleS: undefined };

  it('ramp: a change of 220 rpm in 50 rpm steps is confirmed once the pump reports the final target, not failed on the way', async () => {
    const { act, results, audits } = await load({ mode: 'live', ratePolicy: 'ramp' }, 150, demoSpeedPoint);
    act.receive({ payload: { assetId: 'pump-1', point: 'speed', value: 1700 } });
    await until(() => results.some((r) => r.result === 'confirmed' || r.result === 'failed'), 20_000, 'a final result');
    assert.deepEqual(onWire.map((w) => w.payload), ['1530', '1580', '1630', '1680', '1700'], 'one step a second, ending at the target');
    assert.deepEqual(results.map((r) => [r.result, r.reason]), [['written', undefined], ['confirmed', undefined]]);
    assert.equal(audits.length, 1);
    assert.equal(audits[0].result, 'confirmed');
    assert.equal(audits[0].written, 1700);
  });

  it('ramp: slowing down from a reported speed just above the maximum (measurement noise) ramps from the maximum and never writes above it', async () => {
    const { act, results } = await load({ mode: 'live', ratePolicy: 'ramp' }, 150, demoSpeedPoint, 1820.6291);
    act.receive({ payload: { assetId: 'pump-1', point: 'speed', value: 1550 } });
    await until(() => results.some((r) => ['refused', 'confirmed', 'failed'].includes(r.result)), 20_000, 'a final result');
    assert.deepEqual(results.map((r) => [r.result, r.reason]), [['written', undefined], ['confirmed', undefined]]);
    assert.deepEqual(onWire.map((w) => w.payload), ['1800', '1750', '1700', '1650', '1600', '1550']);
  });

  it('ramp: a new command for the same pump while a ramp is written stops that ramp where it is, and the new one is confirmed', async () => {
    const { act, results, audits } = await load({ mode: 'live', ratePolicy: 'ramp' }, 150, demoSpeedPoint);
    act.receive({ payload: { assetId: 'pump-1', point: 'speed', value: 1700 } });
    await until(() => onWire.length === 2, 5000, 'two steps of the ramp');
    act.receive({ payload: { assetId: 'pump-1', point: 'speed', value: 1400 } });
    await until(() => results.some((r) => r.result === 'confirmed' || r.result === 'failed' && r.requested === 1400), 20_000, 'the new command to finish');
    const [older, newer] = audits;
    assert.deepEqual([older.requested, older.result, older.reason], [1700, 'failed', 'replaced by a newer command for pump-1 speed (1400) after writing 1580']);
    assert.deepEqual([newer.requested, newer.result], [1400, 'confirmed']);
    assert.deepEqual(onWire.slice(0, 2).map((w) => w.payload), ['1530', '1580']);
    assert.equal(onWire.at(-1)!.payload, '1400');
    assert.ok(onWire.slice(2).every((w) => Number(w.payload) < 1580), `nothing of the older ramp written after it was replaced: ${onWire.map((w) => w.payload).join(', ')}`);
  });

  it('confirm: a new command for the same pump and point replaces the one waiting, which is never written', async () => {
    const { act, results, audits } = await load({ mode: 'confirm', confirmTimeoutS: '20' });
    const completed: any[] = [];
    helper.getNode('completed').on('input', (m: any) => completed.push(m.payload));
    const caught: any[] = [];
    helper.getNode('caught').on('input', (m: any) => caught.push(m.error.message));
    act.receive({ payload: { assetId: 'pump-1', point: 'speed', value: 1500 } });
    await until(() => results.length === 1, 5000, 'the first command to wait');
    const first = results[0].id;
    act.receive({ payload: { assetId: 'pump-1', point: 'speed', value: 1550 } });
    await until(() => results.length === 3, 5000, 'the replacement and the new command waiting');
    const replaced = results.find((r) => r.id === first && !r.awaitingConfirmation);
    assert.equal(replaced.result, 'refused');
    assert.match(replaced.reason, /^replaced by a newer command for pump-1 speed \(1550\) before it was confirmed: nothing was written$/);
    const second = results.find((r) => r.awaitingConfirmation && r.id !== first).id;
    assert.deepEqual(audits.map((a) => [a.requested, a.result]), [[1500, 'refused']], 'the replaced command is audited once');
    assert.equal(completed.length, 1, "the replaced command's message is done");

    // The old command cannot be confirmed any more, and a confirm that names no command confirms nothing.
    act.receive({ topic: 'confirm', payload: { id: first } });
    act.receive({ topic: 'confirm', payload: {} });
    await until(() => caught.length === 2, 5000, 'two errors');
    assert.match(caught[0], new RegExp(`command "${first}" was replaced by the newer command "${second}" and is not waiting for confirmation$`));
    assert.match(caught[1], /no command "" is waiting for confirmation/);
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(onWire.length, 0, 'nothing written before the confirmation');

    act.receive({ topic: 'confirm', payload: { id: second } });
    await until(() => results.some((r) => r.result === 'confirmed' || r.result === 'failed'), 15_000, 'a final result');
    assert.equal(results.at(-1).result, 'confirmed');
    assert.deepEqual(onWire.map((w) => w.payload), ['1550'], 'only the newest command was written');
  });

  it('confirm: the guards are checked again at confirmation: an interlock that stopped holding while the command waited refuses it', async () => {
    const { act, results, audits } = await load({ mode: 'confirm', confirmTimeoutS: '20', interlocks: [{ name: 'operator permit', expression: 'permit = 1' }] });
    // A signal only the operator's station reports (the pump simulator does not): the permit to change speed.
    const permit = (value: number) => helper.getNode('state').receive({ payload: { assetId: 'pump-1', ts: Date.now(), signals: { permit: value } } });
    permit(1);
    await new Promise((r) => setTimeout(r, 100));
    act.receive({ payload: { assetId: 'pump-1', point: 'speed', value: 1400 } });
    await until(() => results.length === 1, 5000, 'the command to wait');
    assert.equal(results[0].awaitingConfirmation, true, 'accepted while the permit holds');
    permit(0);
    await new Promise((r) => setTimeout(r, 100));
    act.receive({ topic: 'confirm', payload: { id: results[0].id } });
    await until(() => results.length === 2, 5000, 'a final result');
    assert.equal(results[1].result, 'refused');
    assert.match(results[1].reason, /^when confirmed: interlocks: operator permit does not hold/);
    assert.deepEqual(audits.map((a) => [a.result, a.guards.find((g: any) => g.guard === 'interlocks').passed]), [['refused', false]], 'audited with the verdicts at confirmation');
    await new Promise((r) => setTimeout(r, 300));
    assert.deepEqual(onWire, [], 'nothing written');
  });

  it('confirm: a ramp starts from the speed the pump runs at when the operator confirms, not when the command was accepted', async () => {
    const { act, results, audits } = await load({ mode: 'confirm', confirmTimeoutS: '20', ratePolicy: 'ramp' }, 150, demoSpeedPoint);
    act.receive({ payload: { assetId: 'pump-1', point: 'speed', value: 1300 } });
    await until(() => results.length === 1, 5000, 'the command to wait');
    // While it waits, the pump is slowed to 1400 rpm another way (a local panel), and reports it.
    helper.getNode('sim').receive({ payload: { assetId: 'pump-1', speed: 1400 } });
    await new Promise((r) => setTimeout(r, 1500));
    act.receive({ topic: 'confirm', payload: { id: results[0].id, user: 'alice' } });
    await until(() => results.some((r) => r.result === 'confirmed' || r.result === 'failed'), 20_000, 'a final result');
    assert.equal(results.at(-1).result, 'confirmed');
    // From 1480 (at acceptance) the steps would have been 1430, 1380, 1330, 1300: the first a jump of 30 rpm up.
    assert.deepEqual(onWire.map((w) => w.payload), ['1350', '1300'], 'steps of 50 rpm down from 1400');
    // The confirmation is answered at once, with the steps about to be written, before the ramp's 'written'.
    assert.deepEqual(results.map((r) => [r.result, r.confirmed ?? r.awaitingConfirmation ?? null]), [['accepted', true], ['accepted', true], ['written', null], ['confirmed', null]]);
    assert.deepEqual(results[1].writes, [1350, 1300]);
    const [audit] = audits;
    assert.equal(audit.confirmedBy, 'alice');
    assert.ok(audit.confirmedAt >= audit.ts + 1500, 'confirmed about 1.5 s after the request');
    assert.deepEqual(audit.guardsAtAcceptance.map((g: any) => g.guard), audit.guards.map((g: any) => g.guard));
    // The rate guard's verdicts: from 1480 rpm at acceptance, from 1400 at confirmation.
    assert.match(audit.guardsAtAcceptance.find((g: any) => g.guard === 'rate').detail, /^ramped in 4 steps/);
    assert.match(audit.guards.find((g: any) => g.guard === 'rate').detail, /^ramped in 2 steps/);
  });

  it('confirm: Cancel while a confirmed command ramps stops the ramp at the step written last; a second Confirm is an error', async () => {
    const { act, results, audits, store } = await load({ mode: 'confirm', confirmTimeoutS: '20', ratePolicy: 'ramp' }, 150, demoSpeedPoint);
    const caught: any[] = [];
    helper.getNode('caught').on('input', (m: any) => caught.push(m.error.message));
    act.receive({ payload: { assetId: 'pump-1', point: 'speed', value: 1700 } });
    await until(() => results.length === 1, 5000, 'the command to wait');
    const { id } = results[0];
    act.receive({ topic: 'confirm', payload: { id } });
    await until(() => onWire.length === 2, 5000, 'two steps of the ramp');
    const ramping = callsOn(act, 'status').at(-1);
    assert.deepEqual([ramping.fill, ramping.text], ['blue', 'twin-actuator.status.writingtwin-actuator.status.ramp'], 'the status says a ramp is being written');
    act.receive({ topic: 'confirm', payload: { id } });
    act.receive({ topic: 'cancel', payload: { id, user: 'bob' } });
    await until(() => results.some((r) => r.result === 'failed'), 5000, 'the ramp to stop');
    assert.deepEqual([results.at(-1).result, results.at(-1).reason], ['failed', 'cancelled by the operator (bob) after writing 1580']);
    assert.deepEqual([audits.length, audits[0].written], [1, 1580]);
    await until(() => caught.length === 1, 5000, 'the second confirm\'s error');
    assert.match(caught[0], new RegExp(`command "${id}" is already confirmed and being written`));
    await new Promise((r) => setTimeout(r, 1500));
    assert.deepEqual(onWire.map((w) => w.payload), ['1530', '1580'], 'nothing written after the cancel');
    assert.equal(store.desired('pump-1', 'speed').value, 1580, 'the twin expects the step written last');
  });

  it('fails a write when the broker is not connected, through done(err), and never sends it later', async () => {
    const { act, results, audits, store } = await load({ mode: 'live' });
    const caught = nextMessage(helper.getNode('caught'), () => true, 10_000);
    await wire.endAsync(true);
    await broker.close();
    await until(() => helper.getNode('twinBroker').state !== 'connected', 5000, 'the broker to go away');
    act.receive({ payload: { assetId: 'pump-1', point: 'speed', value: 1450 } });
    assert.match((await caught).error.message, /not connected to .*: not sent/);
    assert.equal(results.at(-1).result, 'failed');
    // Nothing was sent: the twin waits for no such value (it called the pump's own speed an override of it), and the
    // audit names no written value.
    assert.equal(store.desired('pump-1', 'speed'), undefined);
    assert.equal(audits.at(-1).written, undefined);
    broker = await startEmbeddedBroker(broker.port);
    wire = await mqtt.connectAsync(`mqtt://127.0.0.1:${broker.port}`, { protocolVersion: 4 });
    wire.on('message', (topic, payload) => onWire.push({ topic, payload: payload.toString() }));
    await wire.subscribeAsync('plant/+/set/#', { qos: 1 });
    await until(() => helper.getNode('twinBroker').state === 'connected', 10_000, 'reconnection');
    await new Promise((r) => setTimeout(r, 500));
    assert.deepEqual(onWire, [], 'the failed command is not sent after the reconnect');
  });
});
