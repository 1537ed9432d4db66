import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { coreNodes, helper, nodes, nextMessage, onTab, tempDir, until } from '../support/red.mts';

const require = createRequire(import.meta.url);
const plant = require('../../dist/scripts/opcua-plant-server.js') as typeof import('../../dist/scripts/opcua-plant-server.js');

describe('twin-opcua-in against an in-process node-opcua server over TCP', function () {
  this.timeout(60_000);
  let server: Awaited<ReturnType<typeof plant.startPlantServer>>;
  let pki: ReturnType<typeof tempDir>;

  before(async () => {
    pki = tempDir('twin-opcua');
    server = await plant.startPlantServer({ pkiFolder: join(pki.path, 'plc'), tickMs: 100 });
  });
  after(async () => {
    await server.close();
    pki.remove();
  });
  beforeEach(async () => {
    helper.settings({ userDir: join(pki.path, 'node-red') });
    await helper.startServer();
  });
  afterEach(async () => {
    await helper.unload();
    await helper.stopServer();
  });

  const endpoint = (extra: Record<string, unknown> = {}) => ({
    id: 'endpoint',
    type: 'twin-opcua-endpoint',
    endpoint: server.endpointUrl,
    securityMode: 'None',
    securityPolicy: 'None',
    authentication: 'anonymous',
    publishingInterval: '100',
    ...extra,
  });

  it('monitors variables (ns= and nsu= ids) and sends telemetry with source time and quality', async () => {
    await helper.load(
      [nodes.opcuaEndpoint, nodes.opcuaIn],
      onTab([
        endpoint(),
        {
          id: 'in',
          type: 'twin-opcua-in',
          endpoint: 'endpoint',
          assetId: 'pump-1',
          samplingInterval: '50',
          variables: [
            { nodeId: `nsu=${plant.PLANT_NAMESPACE_URI};s=Pump1.Counter`, signal: 'counter' },
            { nodeId: 'ns=2;s=Pump1.Speed', signal: 'speed' },
          ],
          wires: [['out']],
        },
        { id: 'out', type: 'helper' },
      ]),
    );
    const out = helper.getNode('out');
    const counters: number[] = [];
    let speed: any;
    out.on('input', (msg: any) => {
      if ('counter' in msg.payload.signals) counters.push(msg.payload.signals.counter);
      if ('speed' in msg.payload.signals) speed = msg.payload;
    });
    await until(() => counters.length >= 5 && speed !== undefined, 20_000, 'five counter values and a speed').catch((err: Error) => {
      throw new Error(`${err.message}; errors: ${JSON.stringify(helper.getNode('in').error.args)}; endpoint: ${helper.getNode('endpoint').state} ${helper.getNode('endpoint').lastError}`);
    });
    for (let i = 1; i < counters.length; i++) assert.ok(counters[i]! > counters[i - 1]!, 'counter values arrive in order');
    assert.equal(speed.assetId, 'pump-1');
    assert.equal(speed.signals.speed, 1480);
    assert.deepEqual(speed.quality, { speed: 'good' });
    assert.ok(Math.abs(speed.ts - Date.now()) < 30_000, 'source timestamp is recent');

    const changed = nextMessage(out, (m: any) => m.payload.signals.speed === 1300, 10_000);
    server.set('Speed', 1300);
    await changed;
  });

  it('refuses to send a password over security None unless allowed, with an error for Catch', async () => {
    await helper.load(
      [nodes.opcuaEndpoint, nodes.opcuaIn, coreNodes.catch],
      onTab([
        endpoint({ authentication: 'username' }),
        { id: 'in', type: 'twin-opcua-in', endpoint: 'endpoint', assetId: 'p', variables: [{ nodeId: 'ns=1;s=Pump1.Speed', signal: 'speed' }], wires: [[]] },
      ]),
      { endpoint: { user: 'operator', password: 's3cret-test-password' } },
    );
    const endpointNode = helper.getNode('endpoint');
    await until(() => endpointNode.state === 'error', 15_000, 'endpoint in error');
    assert.match(endpointNode.lastError, /refusing to send a password over security policy None/);
    const logged = JSON.stringify(helper.log().args);
    assert.ok(!logged.includes('s3cret-test-password'), 'the password never reaches the log');
  });

  it('reports a node id the server does not know, and keeps monitoring the others', async () => {
    await helper.load(
      [nodes.opcuaEndpoint, nodes.opcuaIn],
      onTab([
        endpoint(),
        {
          id: 'in',
          type: 'twin-opcua-in',
          endpoint: 'endpoint',
          assetId: 'p',
          variables: [
            { nodeId: 'ns=2;s=Pump1.NoSuchThing', signal: 'x' },
            { nodeId: 'ns=2;s=Pump1.Flow', signal: 'flow' },
          ],
          wires: [['out']],
        },
        { id: 'out', type: 'helper' },
      ]),
    );
    const flow = nextMessage(helper.getNode('out'), (m: any) => m.payload.signals.flow === 151, 15_000);
    const node = helper.getNode('in');
    await until(() => node.error.called, 15_000, 'an error');
    assert.match(String(node.error.firstCall.args[0]), /ns=2;s=Pump1.NoSuchThing: BadNodeIdUnknown/);
    await flow;
  });

  it('reports an unknown namespace URI instead of monitoring nothing silently', async () => {
    await helper.load(
      [nodes.opcuaEndpoint, nodes.opcuaIn],
      onTab([
        endpoint(),
        { id: 'in', type: 'twin-opcua-in', endpoint: 'endpoint', assetId: 'p', variables: [{ nodeId: 'nsu=urn:nowhere;s=X', signal: 'x' }], wires: [[]] },
      ]),
    );
    const node = helper.getNode('in');
    await until(() => node.error.called, 15_000, 'an error');
    assert.match(String(node.error.firstCall.args[0]), /no namespace "urn:nowhere"/);
  });
});
