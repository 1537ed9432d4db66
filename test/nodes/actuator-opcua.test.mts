/** twin-actuator writing over OPC UA to a real node-opcua server, confirmed by read-back through twin-opcua-in. */
import assert from 'node:assert/strict';
import { helper, nodes, onTab, uid, until } from '../support/red.mts';
import { plant, usePlantServer } from '../support/opcua.mts';

const SPEED = `nsu=${plant.PLANT_NAMESPACE_URI};s=Pump1.Speed`;
const TEMP = `nsu=${plant.PLANT_NAMESPACE_URI};s=Pump1.BearingTemp`;

describe('twin-actuator over OPC UA against an in-process node-opcua server', function () {
  this.timeout(60_000);
  const plc = usePlantServer('twin-act-opcua');

  /** The value the server holds for one of Pump1's variables. */
  function serverValue(name: string): unknown {
    const space = plc.server().server.engine.addressSpace!;
    const node = space.findNode(`ns=${space.getNamespaceIndex(plant.PLANT_NAMESPACE_URI)};s=Pump1.${name}`) as unknown as { readValue(): { value: { value: unknown } } };
    return node.readValue().value.value;
  }

  async function load() {
    const def = uid('def');
    await helper.load(
      [nodes.definition, nodes.state, nodes.opcuaEndpoint, nodes.opcuaIn, nodes.actuator],
      onTab([
        {
          id: def,
          type: 'twin-definition',
          assetClass: 'pump',
          historyPoints: '100',
          acceptUndeclared: true,
          signals: [{ name: 'speed', unit: 'rpm' }, { name: 'bearingTemp', unit: 'degC' }],
          actuationPoints: [
            { name: 'speed', unit: 'rpm', min: 0, max: 1800, tolerance: 1, binding: SPEED },
            { name: 'bearingTemp', unit: 'degC', min: 0, max: 100, tolerance: 1, binding: TEMP },
          ],
        },
        { id: 'endpoint', type: 'twin-opcua-endpoint', endpoint: plc.server().endpointUrl, securityMode: 'None', securityPolicy: 'None', authentication: 'anonymous', publishingInterval: '100' },
        { id: 'in', type: 'twin-opcua-in', endpoint: 'endpoint', assetId: 'pump-1', samplingInterval: '50', variables: [{ nodeId: SPEED, signal: 'speed' }, { nodeId: TEMP, signal: 'bearingTemp' }], wires: [['state']] },
        { id: 'state', type: 'twin-state', definition: def, throttleMs: '0', wires: [[], []] },
        { id: 'act', type: 'twin-actuator', definition: def, mode: 'live', transport: 'opcua', endpoint: 'endpoint', readBackTimeoutS: '10', ttlS: '10', wires: [['results'], ['audit']] },
        { id: 'results', type: 'helper' },
        { id: 'audit', type: 'helper' },
      ]),
    );
    const results: any[] = [];
    helper.getNode('results').on('input', (m: any) => results.push(m.payload));
    return { act: helper.getNode('act'), results, definition: helper.getNode(def) };
  }

  it('writes a setpoint that round-trips: the server holds it, the twin reports it, the command is confirmed', async () => {
    const { act, results, definition } = await load();
    await until(() => definition.store.snapshot('pump-1')?.signals.speed !== undefined, 20_000, 'the first reading');
    act.receive({ payload: { assetId: 'pump-1', point: 'speed', value: 1320 } });
    await until(() => results.some((r) => r.result === 'confirmed' || r.result === 'failed' || r.result === 'refused'), 20_000, 'a final result');
    assert.deepEqual(results.map((r) => r.result), ['written', 'confirmed']);
    assert.equal(serverValue('Speed'), 1320);
  });

  it('reports the server refusing a write (a read-only measured value) and changes nothing', async () => {
    const { act, results, definition } = await load();
    await until(() => definition.store.snapshot('pump-1')?.signals.bearingTemp !== undefined, 20_000, 'the first reading');
    act.receive({ payload: { assetId: 'pump-1', point: 'bearingTemp', value: 60 } });
    await until(() => results.length > 0, 20_000, 'a result');
    assert.equal(results[0].result, 'refused');
    assert.match(results[0].reason, /the OPC UA server refused the write: Bad(NotWritable|UserAccessDenied)/);
    assert.equal(serverValue('BearingTemp'), 53);
  });
});
