/** twin-actuator over MQTT 5 (Mosquitto): the command carries a response topic and its id as correlation data. */
import assert from 'node:assert/strict';
import mqtt from 'mqtt';
import { Mosquitto } from '../support/mosquitto.mts';
import { helper, nodes, onTab, uid, until } from '../support/red.mts';

describe('twin-actuator with MQTT 5 request/response against Mosquitto', function () {
  this.timeout(30_000);
  let broker: Mosquitto;
  let device: mqtt.MqttClient;
  const received: Array<{ value: string; correlation: string | undefined }> = [];

  before(async () => {
    broker = await Mosquitto.start({ persistence: false });
    // The device: applies a setpoint and answers on the response topic with the command's correlation data.
    device = await mqtt.connectAsync(broker.url, { protocolVersion: 5 });
    device.on('message', (_topic, payload, packet) => {
      const correlation = packet.properties?.correlationData?.toString('utf8');
      received.push({ value: payload.toString(), correlation });
      const responseTopic = packet.properties?.responseTopic;
      if (responseTopic) device.publish(responseTopic, `applied ${payload.toString()}`, { qos: 1, properties: { correlationData: packet.properties?.correlationData } });
    });
    await device.subscribeAsync('plant/+/set/speed', { qos: 1 });
  });
  after(async () => {
    await device.endAsync();
    await broker.dispose();
  });
  beforeEach(() => helper.startServer());
  afterEach(async () => {
    await helper.unload();
    await helper.stopServer();
  });

  it('sends the response topic and correlation data, and keeps the device answer in the result and the audit', async () => {
    const def = uid('def');
    await helper.load(
      [nodes.definition, nodes.state, nodes.mqttBroker, nodes.actuator],
      onTab([
        { id: def, type: 'twin-definition', assetClass: 'pump', historyPoints: '10', acceptUndeclared: true, signals: [], actuationPoints: [{ name: 'speed', min: 0, max: 1800, tolerance: 5 }] },
        { id: 'broker', type: 'twin-mqtt-broker', url: broker.url, protocolVersion: '5', cleanSession: true },
        { id: 'state', type: 'twin-state', definition: def, throttleMs: '0', wires: [[], []] },
        { id: 'act', type: 'twin-actuator', definition: def, mode: 'live', transport: 'mqtt', broker: 'broker', responseTopic: 'plant/responses', readBackTimeoutS: '10', ttlS: '10', wires: [['results'], ['audit']] },
        { id: 'results', type: 'helper' },
        { id: 'audit', type: 'helper' },
      ]),
    );
    const results: any[] = [];
    const audits: any[] = [];
    helper.getNode('results').on('input', (m: any) => results.push(m.payload));
    helper.getNode('audit').on('input', (m: any) => audits.push(m.payload));
    await until(() => helper.getNode('broker').state === 'connected', 10_000, 'the connection');
    const state = helper.getNode('state');
    state.receive({ payload: { assetId: 'pump-1', ts: Date.now(), signals: { speed: 1480 } } });
    await new Promise((r) => setTimeout(r, 300));

    helper.getNode('act').receive({ payload: { assetId: 'pump-1', point: 'speed', value: 1400 } });
    await until(() => received.length === 1, 10_000, 'the device to get the command');
    // The device's reading comes back through the twin, as from the plant.
    state.receive({ payload: { assetId: 'pump-1', ts: Date.now(), signals: { speed: 1401 } } });
    await until(() => results.some((r) => r.result === 'confirmed' || r.result === 'failed'), 10_000, 'a final result');
    const final = results.at(-1);
    assert.equal(final.result, 'confirmed');
    assert.equal(received[0]!.value, '1400');
    assert.equal(received[0]!.correlation, final.id, 'the correlation data is the command id');
    assert.equal(final.response, 'applied 1400');
    assert.equal(audits[0].response, 'applied 1400');
  });
});
