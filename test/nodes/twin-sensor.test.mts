import assert from 'node:assert/strict';
import { coreNodes, helper, nodes, nextMessage, onTab } from '../support/red.mts';

describe('twin-sensor: any message to telemetry', function () {
  beforeEach(() => helper.startServer());
  afterEach(async () => {
    await helper.unload();
    await helper.stopServer();
  });

  async function load(config: Record<string, unknown>) {
    await helper.load(
      [nodes.sensor, coreNodes.catch],
      onTab([
        { id: 'sensor', type: 'twin-sensor', ...config, wires: [['out']] },
        { id: 'out', type: 'helper' },
        { id: 'catch', type: 'catch', scope: ['sensor'], wires: [['caught']] },
        { id: 'caught', type: 'helper' },
      ]),
    );
    return { sensor: helper.getNode('sensor'), out: helper.getNode('out'), caught: helper.getNode('caught') };
  }

  it('maps Modbus holding registers with JSONata scaling and the asset from msg.topic', async () => {
    const { sensor, out } = await load({
      assetId: 'topic',
      assetIdType: 'msg',
      timestampType: 'date',
      mappings: [
        { signal: 'speed', value: 'payload[0]', valueType: 'jsonata' },
        { signal: 'bearingTemp', value: 'payload[1] / 10', valueType: 'jsonata' },
        { signal: 'running', value: 'payload[2] = 1', valueType: 'jsonata' },
      ],
    });
    const got = nextMessage(out);
    const before = Date.now();
    sensor.receive({ topic: 'pump-7', payload: [1480, 532, 1], modbusRequest: { address: 0 } });
    const msg = await got;
    assert.deepEqual(msg.payload.signals, { speed: 1480, bearingTemp: 53.2, running: 1 });
    assert.equal(msg.payload.assetId, 'pump-7');
    assert.ok(msg.payload.ts >= before && msg.payload.ts <= Date.now());
    assert.deepEqual(msg.modbusRequest, { address: 0 }, 'other message properties are kept');
  });

  it('maps an HTTP body by message properties, with its ISO timestamp and an asset from JSONata', async () => {
    const { sensor, out } = await load({
      assetId: '"line-" & payload.line',
      assetIdType: 'jsonata',
      timestamp: 'payload.time',
      timestampType: 'msg',
      mappings: [
        { signal: 'flow', value: 'payload.readings.flow', valueType: 'msg' },
        { signal: 'pressure', value: 'payload.readings.pressure', valueType: 'msg' },
      ],
    });
    const got = nextMessage(out);
    sensor.receive({ payload: { line: 3, time: '2026-11-25T12:00:00Z', readings: { flow: '151.5', pressure: 4.2 } } });
    const msg = await got;
    assert.deepEqual(msg.payload, { assetId: 'line-3', ts: Date.UTC(2026, 10, 25, 12), signals: { flow: 151.5, pressure: 4.2 } });
    assert.equal(msg.topic, 'line-3');
  });

  it('reads a PLC time without a zone offset in the zone set on the node (Asia/Kolkata, UTC+05:30)', async () => {
    const { sensor, out } = await load({ assetId: 'topic', assetIdType: 'msg', timestamp: 'payload.time', timestampType: 'msg', zonelessTimes: 'Asia/Kolkata', mappings: [{ signal: 'flow', value: 'payload.flow', valueType: 'msg' }] });
    const got = nextMessage(out);
    sensor.receive({ topic: 'line-3', payload: { time: '2026-11-25 17:30:00', flow: 151.5 } });
    assert.equal((await got).payload.ts, Date.UTC(2026, 10, 25, 12));
  });

  it('sends what it can and lists values that are not numbers in msg.rejected', async () => {
    const { sensor, out } = await load({
      assetId: 'pump-1',
      assetIdType: 'str',
      timestampType: 'date',
      mappings: [
        { signal: 'flow', value: 'payload.flow', valueType: 'msg' },
        { signal: 'state', value: 'payload.state', valueType: 'msg' },
      ],
    });
    const got = nextMessage(out);
    sensor.receive({ payload: { flow: 12, state: 'RUNNING' } });
    const msg = await got;
    assert.deepEqual(msg.payload.signals, { flow: 12 });
    assert.match(msg.rejected[0].reason, /the string "RUNNING"/);
  });

  it('fails through done(err) when there is no asset id or no usable signal', async () => {
    const { sensor, caught } = await load({
      assetId: 'topic',
      assetIdType: 'msg',
      timestampType: 'date',
      mappings: [{ signal: 'flow', value: 'payload', valueType: 'msg' }],
    });
    let err = nextMessage(caught);
    sensor.receive({ payload: 5 });
    assert.match((await err).error.message, /no assetId/);
    err = nextMessage(caught);
    sensor.receive({ topic: 'p', payload: 'n/a' });
    assert.match((await err).error.message, /no usable signal \(flow: value is the string "n\/a"/);
    assert.equal(sensor.status.lastCall.args[0].fill, 'red');
  });

  it('shows a JSONata syntax error at deploy and refuses messages with it', async () => {
    const { sensor, caught } = await load({
      assetId: 'topic',
      assetIdType: 'msg',
      timestampType: 'date',
      mappings: [{ signal: 'flow', value: 'payload[', valueType: 'jsonata' }],
    });
    assert.match(String(sensor.error.firstCall.args[0]), /Expected "\]" before end of expression/);
    assert.equal(sensor.status.lastCall.args[0].fill, 'red');
    const err = nextMessage(caught);
    sensor.receive({ topic: 'p', payload: [1] });
    // The same deploy-time reason, not a new parse per message.
    assert.match((await err).error.message, /Expected "\]" before end of expression/);
  });
});
