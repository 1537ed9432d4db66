import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import mqtt from 'mqtt';
import { callsOn, coreNodes, helper, nodes, nextMessage, onTab, textsOn, uid, until } from '../support/red.mts';
import { commandsOnAReadingsTopic } from '../support/mqtt-flows.mts';

const require = createRequire(import.meta.url);
const { startEmbeddedBroker } = require('../../dist/scripts/embedded-broker.js') as typeof import('../../dist/scripts/embedded-broker.js');

describe('twin-mqtt-in against an in-process aedes broker over TCP', function () {
  let broker: Awaited<ReturnType<typeof startEmbeddedBroker>>;
  let publisher: mqtt.MqttClient;

  before(async () => {
    broker = await startEmbeddedBroker(0);
    publisher = await mqtt.connectAsync(`mqtt://127.0.0.1:${broker.port}`, { protocolVersion: 4 });
  });
  after(async () => {
    await publisher.endAsync();
    await broker.close();
  });
  beforeEach(() => helper.startServer());
  afterEach(async () => {
    await helper.unload();
    await helper.stopServer();
  });

  const brokerNode = () => ({ id: 'broker', type: 'twin-mqtt-broker', url: `mqtt://127.0.0.1:${broker.port}`, protocolVersion: '4', cleanSession: true });

  /** Publishes until the subscriber's first message arrives (the subscription may still be on its way). */
  async function publishUntil(received: Promise<unknown>, topic: string, payload: string): Promise<void> {
    let done = false;
    void received.then(() => (done = true), () => (done = true));
    while (!done) {
      await publisher.publishAsync(topic, payload, { qos: 1 });
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  it('reads asset and signal from the topic and a plain number from the payload', async () => {
    await helper.load([nodes.mqttBroker, nodes.mqttIn], onTab([brokerNode(), { id: 'in', type: 'twin-mqtt-in', broker: 'broker', topic: 'plant/{assetId}/{signal}', qos: '1', format: 'auto', wires: [['out']] }, { id: 'out', type: 'helper' }]));
    const received = nextMessage(helper.getNode('out'));
    await publishUntil(received, 'plant/pump-7/flow', '151.25');
    const msg = await received;
    assert.equal(msg.topic, 'plant/pump-7/flow');
    assert.equal(msg.payload.assetId, 'pump-7');
    assert.deepEqual(msg.payload.signals, { flow: 151.25 });
    assert.ok(Math.abs(msg.payload.ts - Date.now()) < 5000);
  });

  it('feeds twin-state end to end from JSON telemetry, with the source timestamp', async () => {
    const def = uid('def');
    await helper.load(
      [nodes.mqttBroker, nodes.mqttIn, nodes.definition, nodes.state],
      onTab([
        brokerNode(),
        { id: def, type: 'twin-definition', assetClass: 'pump', historyPoints: '10', acceptUndeclared: true, signals: [] },
        { id: 'in', type: 'twin-mqtt-in', broker: 'broker', topic: 'plant/{assetId}/telemetry', qos: '1', format: 'auto', wires: [['state']] },
        { id: 'state', type: 'twin-state', definition: def, wires: [['out'], []] },
        { id: 'out', type: 'helper' },
      ]),
    );
    const ts = Date.UTC(2026, 10, 25, 12);
    const received = nextMessage(helper.getNode('out'));
    await publishUntil(received, 'plant/pump-3/telemetry', JSON.stringify({ ts, signals: { flow: 150, pressure: 4.2 } }));
    const snap = (await received).payload;
    assert.equal(snap.assetId, 'pump-3');
    assert.deepEqual(snap.signals.pressure, { value: 4.2, ts, quality: 'good' });
  });

  it('reads a device time without a zone offset in the zone set on the node; left unset, it warns once naming this server\'s zone', async () => {
    await helper.load(
      [nodes.mqttBroker, nodes.mqttIn],
      onTab([
        brokerNode(),
        // A Tasmota SENSOR message: its Time is the device clock's local time, with no offset.
        { id: 'berlin', type: 'twin-mqtt-in', broker: 'broker', topic: 'tele/{assetId}/SENSOR', qos: '1', format: 'auto', timestampPath: 'Time', zonelessTimes: 'Europe/Berlin', wires: [['a']] },
        { id: 'unset', type: 'twin-mqtt-in', broker: 'broker', topic: 'tele/{assetId}/SENSOR', qos: '1', format: 'auto', timestampPath: 'Time', wires: [['b']] },
        { id: 'a', type: 'helper' },
        { id: 'b', type: 'helper' },
      ]),
    );
    const payload = JSON.stringify({ Time: '2026-11-25T13:00:00', ENERGY: { Power: 42 } });
    let readings = 0;
    helper.getNode('b').on('input', () => readings++);
    const [a, b] = [nextMessage(helper.getNode('a')), nextMessage(helper.getNode('b'))];
    await publishUntil(Promise.all([a, b]), 'tele/plug-1/SENSOR', payload);
    assert.equal((await a).payload.ts, Date.UTC(2026, 10, 25, 12), 'Berlin is UTC+1 in November');
    assert.deepEqual((await a).payload.signals, { 'ENERGY.Power': 42 });
    assert.equal((await b).payload.ts, new Date(2026, 10, 25, 13).getTime(), 'unset: this server\'s zone');
    await publisher.publishAsync('tele/plug-1/SENSOR', payload, { qos: 1 });
    await publisher.publishAsync('tele/plug-2/SENSOR', payload, { qos: 1 });
    await until(() => readings >= 3, 5000, 'three readings');
    const zoneName = Intl.DateTimeFormat().resolvedOptions().timeZone;
    const warned = textsOn(helper.getNode('unset'), 'warn');
    assert.equal(warned.length, 1, warned.join('\n'));
    assert.ok(warned[0]!.includes('"2026-11-25T13:00:00" carry no zone offset') && warned[0]!.includes(zoneName) && warned[0]!.includes('Times without a zone'), warned[0]);
    assert.deepEqual(textsOn(helper.getNode('berlin'), 'warn'), [], 'a zone set on the node is no surprise to warn about');
  });

  it('refuses a time zone it does not know at deploy, with a status', async () => {
    await helper.load([nodes.mqttBroker, nodes.mqttIn], onTab([brokerNode(), { id: 'in', type: 'twin-mqtt-in', broker: 'broker', topic: 'tele/{assetId}/SENSOR', zonelessTimes: 'Europe/Atlantis', wires: [[]] }]));
    const node = helper.getNode('in');
    assert.match(textsOn(node, 'error').join('\n'), /Times without a zone: "Europe\/Atlantis" is no time zone/);
    assert.deepEqual(callsOn(node, 'status').at(-1), { fill: 'red', shape: 'ring', text: 'twin-mqtt-in.status.bad-time-zone' });
  });

  it('raises an error a Catch node handles for a payload it cannot read, and keeps going', async () => {
    await helper.load(
      [nodes.mqttBroker, nodes.mqttIn, coreNodes.catch],
      onTab([
        brokerNode(),
        { id: 'in', type: 'twin-mqtt-in', broker: 'broker', topic: 'bad/{assetId}/telemetry', qos: '1', format: 'auto', wires: [['out']] },
        { id: 'out', type: 'helper' },
        { id: 'catch', type: 'catch', scope: ['in'], wires: [['caught']] },
        { id: 'caught', type: 'helper' },
      ]),
    );
    const caught = nextMessage(helper.getNode('caught'));
    await publishUntil(caught, 'bad/pump-1/telemetry', '{"flow": "lots"}');
    const err = await caught;
    assert.match(err.error.message, /bad\/pump-1\/telemetry: no usable signal \(flow: value is the string "lots"/);
    assert.equal(err.topic, 'bad/pump-1/telemetry');

    const good = nextMessage(helper.getNode('out'));
    await publisher.publishAsync('bad/pump-1/telemetry', '{"flow": 3}', { qos: 1 });
    assert.deepEqual((await good).payload.signals, { flow: 3 });
  });

  it('shares one connection between nodes, shows it in their status, and closes it on redeploy', async () => {
    const before = broker.connectedClients();
    await helper.load(
      [nodes.mqttBroker, nodes.mqttIn],
      onTab([
        brokerNode(),
        { id: 'a', type: 'twin-mqtt-in', broker: 'broker', topic: 'x/{assetId}/{signal}', wires: [[]] },
        { id: 'b', type: 'twin-mqtt-in', broker: 'broker', topic: 'y/{assetId}/{signal}', wires: [[]] },
      ]),
    );
    const statuses: any[] = [];
    helper.getNode('a').on('call:status', (call: any) => statuses.push(call.args[0]));
    await until(() => broker.connectedClients() === before + 1, 5000, 'one connection');
    await until(() => statuses.some((s) => s.fill === 'green' && s.text === 'node-red:common.status.connected'), 5000, 'connected status');
    await helper.unload();
    await until(() => broker.connectedClients() === before, 5000, 'connection closed after unload');
  });

  it('refuses a topic template it cannot use, with a status and an error', async () => {
    await helper.load([nodes.mqttBroker, nodes.mqttIn], onTab([brokerNode(), { id: 'in', type: 'twin-mqtt-in', broker: 'broker', topic: 'plant/#/x', wires: [[]] }]));
    const node = helper.getNode('in');
    await until(() => node.error.called, 2000, 'an error');
    assert.match(String(node.error.firstCall.args[0]), /# must be the last level/);
    assert.equal(node.status.lastCall.args[0].fill, 'red');
  });

  it('converts units and scales raw values per signal before validation', async () => {
    await helper.load(
      [nodes.mqttBroker, nodes.mqttIn],
      onTab([
        brokerNode(),
        {
          id: 'in', type: 'twin-mqtt-in', broker: 'broker', topic: 'conv/{assetId}/telemetry', wires: [['out']],
          conversions: [
            { signal: 'bearingTemp', kind: 'unit', from: 'degF', to: '°C' },
            { signal: 'speed', kind: 'unit', from: 'rpm', to: 'rad/s' },
            { signal: 'pressure', kind: 'scale', rawMin: '4', rawMax: '20', engMin: '0', engMax: '1000' },
          ],
        },
        { id: 'out', type: 'helper' },
      ]),
    );
    const received = nextMessage(helper.getNode('out'));
    await publishUntil(received, 'conv/pump-5/telemetry', '{"bearingTemp": 212, "speed": 1500, "pressure": 12, "flow": 80}');
    const { signals } = (await received).payload;
    assert.equal(signals.bearingTemp, 100);
    assert.ok(Math.abs(signals.speed - 50 * Math.PI) < 1e-9);
    assert.equal(signals.pressure, 500);
    assert.equal(signals.flow, 80);
  });

  it('refuses at deploy a conversion between units of different quantities, naming the signal', async () => {
    await helper.load(
      [nodes.mqttBroker, nodes.mqttIn],
      onTab([brokerNode(), { id: 'in', type: 'twin-mqtt-in', broker: 'broker', topic: 'x/{assetId}/t', conversions: [{ signal: 'speed', kind: 'unit', from: 'rpm', to: 'kPa' }], wires: [[]] }]),
    );
    const node = helper.getNode('in');
    await until(() => node.error.called, 2000, 'an error');
    assert.equal(String(node.error.firstCall.args[0]), 'conversion for speed: cannot convert rpm (rotational speed) to kPa (pressure)');
    assert.deepEqual(node.status.lastCall.args[0], { fill: 'red', shape: 'ring', text: 'twin-mqtt-in.status.bad-conversion' });
  });

  it('sends connection changes on a second output when asked, telemetry staying on the first', async () => {
    await helper.load(
      [nodes.mqttBroker, nodes.mqttIn],
      onTab([
        brokerNode(),
        { id: 'in', type: 'twin-mqtt-in', broker: 'broker', topic: 'state/{assetId}/{signal}', stateOutput: true, wires: [['out'], ['state']] },
        { id: 'out', type: 'helper' },
        { id: 'state', type: 'helper' },
      ]),
    );
    const connected = nextMessage(helper.getNode('state'));
    assert.deepEqual((await connected).payload, { state: 'connected', broker: `mqtt://127.0.0.1:${broker.port}` });
    const states: unknown[] = [];
    helper.getNode('state').on('input', (m: any) => states.push(m));
    const received = nextMessage(helper.getNode('out'));
    await publishUntil(received, 'state/pump-1/flow', '5');
    assert.deepEqual((await received).payload.signals, { flow: 5 });
    assert.deepEqual(states, []);
  });

  it('an actuator\'s command coming back on a subscription that matches its topic is no reading: with no device, it is not confirmed', async () => {
    const def = uid('def');
    await helper.load(
      [nodes.mqttBroker, nodes.mqttIn, nodes.definition, nodes.state, nodes.actuator],
      commandsOnAReadingsTopic(brokerNode(), def),
    );
    const results: any[] = [];
    helper.getNode('results').on('input', (m: any) => results.push(m.payload));
    const store = (helper.getNode(def) as any).store;
    // The pump reports 1400 rpm once; then no device answers.
    await publishUntil(until(() => store.has('pump-2'), 5000, 'the reading'), 'stat/pump-2/speed', '1400');
    helper.getNode('act').receive({ payload: { assetId: 'pump-2', point: 'speed', value: 1420 } });
    await until(() => results.some((r) => r.result === 'confirmed' || r.result === 'failed'), 5000, 'a final result');
    assert.deepEqual(results.map((r) => r.result), ['written', 'failed'], JSON.stringify(results));
    assert.equal(store.snapshot('pump-2').signals.speed.value, 1400, 'its own command is not the pump\'s speed');
    assert.ok((helper.getNode('broker') as any).warn.args.some((a: unknown[]) => /the command topic cmnd\/pump-2\/speed matches the subscription \+\/\+\/\+/.test(String(a[0]))));
  });
});
