import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { helper, nodes, onTab, tempDir, textsOn, until } from '../support/red.mts';
import { startTcpProxy } from '../support/tcp-proxy.mts';

const require = createRequire(import.meta.url);
const plant = require('../../dist/scripts/opcua-plant-server.js') as typeof import('../../dist/scripts/opcua-plant-server.js');

/** A variable of the virtual PLC's pump by its namespace URI, which a restarted server may number differently. */
const plc = (name: string) => `nsu=${plant.PLANT_NAMESPACE_URI};s=Pump1.${name}`;
/** The endpoint node every test here uses: no security, a fast publishing interval. */
const endpointNode = (url: string) => ({ id: 'endpoint', type: 'twin-opcua-endpoint', endpoint: url, securityMode: 'None', authentication: 'anonymous', publishingInterval: '100' });

describe('twin-opcua-in when the OPC UA server restarts or the network drops', function () {
  this.timeout(90_000);
  let pki: ReturnType<typeof tempDir>;
  let server: Awaited<ReturnType<typeof plant.startPlantServer>> | undefined;

  before(async () => {
    pki = tempDir('twin-opcua-restart');
    helper.settings({ userDir: join(pki.path, 'node-red') });
    await helper.startServer();
  });
  after(async () => {
    await helper.unload();
    await helper.stopServer();
    await server?.close();
    pki.remove();
  });

  it('resumes data after 5 restarts with the same monitored items, re-resolving nsu= ids when namespaces move', async () => {
    const pkiFolder = join(pki.path, 'plc');
    server = await plant.startPlantServer({ pkiFolder, tickMs: 50 });
    const port = server.port;
    await helper.load(
      [nodes.opcuaEndpoint, nodes.opcuaIn],
      onTab([
        endpointNode(server.endpointUrl),
        { id: 'a', type: 'twin-opcua-in', endpoint: 'endpoint', assetId: 'pump-1', samplingInterval: '50', variables: [{ nodeId: plc('Counter'), signal: 'counter' }], wires: [['out']] },
        {
          id: 'b',
          type: 'twin-opcua-in',
          endpoint: 'endpoint',
          assetId: 'pump-1',
          samplingInterval: '50',
          variables: [
            { nodeId: plc('Speed'), signal: 'speed' },
            { nodeId: plc('Counter'), signal: 'counter' },
          ],
          wires: [['out']],
        },
        { id: 'out', type: 'helper' },
      ]),
    );
    let counters: Array<{ at: number; value: number }> = [];
    helper.getNode('out').on('input', (msg: any) => {
      if ('counter' in msg.payload.signals) counters.push({ at: Date.now(), value: msg.payload.signals.counter });
    });
    const statuses: any[] = [];
    helper.getNode('a').on('call:status', (call: any) => statuses.push(call.args[0]));
    const errors = () => JSON.stringify([...helper.getNode('a').error.args, ...helper.getNode('b').error.args]);

    await until(() => counters.length >= 6, 20_000, 'counter values before any restart');
    const baseline = server.load();
    assert.deepEqual(baseline, { sessions: 1, subscriptions: 1, monitoredItems: 3 });

    const resumedAfter: number[] = [];
    const outageShownAfter: number[] = [];
    for (let restart = 1; restart <= 5; restart++) {
      await server.close();
      const stopped = Date.now();
      await until(() => statuses.at(-1)?.fill === 'red', 5000, `the outage shown in the status (restart ${restart})`);
      outageShownAfter.push(Date.now() - stopped);
      await new Promise((r) => setTimeout(r, 300));
      // Odd restarts add a namespace before the plant's: ns=2 becomes ns=3, as when a PLC gets a new module.
      server = await plant.startPlantServer({ pkiFolder, port, tickMs: 50, namespacesBefore: restart % 2 === 1 ? ['urn:twinflow:extra-module'] : [] });
      const listening = Date.now();
      counters = [];
      // The new server counts from 1: several increasing values prove the data flows again.
      await until(() => counters.length >= 6, 20_000, `counter values after restart ${restart}; errors: ${errors()}`).catch((err: Error) => {
        throw new Error(`${err.message}; server: ${JSON.stringify(server!.load())}`);
      });
      resumedAfter.push(counters[0]!.at - listening);
      const values = counters.map((c) => c.value);
      assert.ok(values.at(-1)! > values[0]!, `counter increases after restart ${restart}: ${values.join(',')}`);
      assert.ok(values[0]! < 200, `values come from the restarted server (counter ${values[0]})`);
      await until(() => statuses.at(-1)?.fill === 'green', 5000, 'green again');
      assert.deepEqual(server.load(), baseline, `same session, subscription and item counts after restart ${restart}`);
    }
    // Nothing late: node-opcua's own repair and ours never add items after the fact.
    await new Promise((r) => setTimeout(r, 1000));
    assert.deepEqual(server.load(), baseline);
    assert.equal(errors(), '[]');
    console.log(`      outage in status after ${outageShownAfter.join(', ')} ms; restart → first value: ${resumedAfter.join(', ')} ms; server holds ${JSON.stringify(baseline)}`);
  });

  it('a variable the restarted server lacks (a PLC download dropped it) is an error once, and monitored again once a later download brings it back', async () => {
    const pkiFolder = join(pki.path, 'plc-download');
    await helper.unload();
    await server?.close();
    server = await plant.startPlantServer({ pkiFolder, tickMs: 50 });
    server.addVariable('Level', 3);
    const port = server.port;
    await helper.load(
      [nodes.opcuaEndpoint, nodes.opcuaIn],
      onTab([
        endpointNode(server.endpointUrl),
        { id: 'in', type: 'twin-opcua-in', endpoint: 'endpoint', assetId: 'tank-1', samplingInterval: '50', noDataTimeout: '0', variables: [{ nodeId: plc('Level'), signal: 'level' }, { nodeId: plc('Counter'), signal: 'counter' }], wires: [['out']] },
        { id: 'out', type: 'helper' },
      ]),
    );
    const levels: number[] = [];
    let counters = 0;
    helper.getNode('out').on('input', (msg: any) => {
      if ('level' in msg.payload.signals) levels.push(msg.payload.signals.level);
      if ('counter' in msg.payload.signals) counters++;
    });
    await until(() => levels.includes(3) && counters > 3, 20_000, 'level and counter before the download');
    const node = helper.getNode('in');
    const errorsOf = () => textsOn(node, 'error');
    // The download: the PLC restarts without Level.
    await server.close();
    await new Promise((r) => setTimeout(r, 300));
    server = await plant.startPlantServer({ pkiFolder, port, tickMs: 50 });
    counters = 0;
    await until(() => counters > 3, 20_000, 'the counter after the restart');
    await until(() => errorsOf().some((e) => /Pump1\.Level: BadNodeIdUnknown after the server restarted/.test(e)), 10_000, 'the error for Level');
    // A later download brings it back: monitored again within a retry (10 s), without a redeploy, and one error only.
    server.addVariable('Level', 4.5);
    await until(() => levels.includes(4.5), 25_000, 'Level again');
    assert.equal(errorsOf().filter((e) => e.includes('Level')).length, 1, errorsOf().join(' | '));
    await helper.unload();
  });

  it('resumes the same session and subscription after the network drops 3 times (server still running)', async () => {
    await helper.unload();
    await server?.close();
    server = await plant.startPlantServer({ pkiFolder: join(pki.path, 'plc2'), tickMs: 50 });
    const proxy = await startTcpProxy(server.port);
    try {
      await helper.load(
        [nodes.opcuaEndpoint, nodes.opcuaIn],
        onTab([
          endpointNode(`opc.tcp://127.0.0.1:${proxy.port}`),
          { id: 'a', type: 'twin-opcua-in', endpoint: 'endpoint', assetId: 'pump-1', samplingInterval: '50', variables: [{ nodeId: `nsu=${plant.PLANT_NAMESPACE_URI};s=Pump1.Counter`, signal: 'counter' }], wires: [['out']] },
          { id: 'out', type: 'helper' },
        ]),
      );
      let counters: number[] = [];
      const all: number[] = [];
      helper.getNode('out').on('input', (msg: any) => {
        counters.push(msg.payload.signals.counter);
        all.push(msg.payload.signals.counter);
      });
      await until(() => counters.length >= 5, 20_000, 'counter values');
      const resumedAfter: number[] = [];
      const sessionBefore = server.server.engine.getSessions()[0]!.nodeId.toString();
      const baseline = server.load();
      assert.deepEqual(baseline, { sessions: 1, subscriptions: 1, monitoredItems: 1 });
      for (let drop = 1; drop <= 3; drop++) {
        const last = counters.at(-1)!;
        proxy.cut();
        const cutAt = Date.now();
        counters = [];
        await until(() => counters.some((c) => c > last + 1), 20_000, `values after drop ${drop}`);
        resumedAfter.push(Date.now() - cutAt);
        await until(() => counters.filter((c) => c > last + 5).length >= 3, 20_000, `values after drop ${drop}`);
        assert.deepEqual(server.load(), baseline, `no second session or item after drop ${drop}`);
        assert.equal(server.server.engine.getSessions()[0]!.nodeId.toString(), sessionBefore, 'the same session was reactivated');
      }
      const missing = all.at(-1)! - all[0]! + 1 - new Set(all).size;
      console.log(`      network drop → next value: ${resumedAfter.join(', ')} ms; counter values missing over 3 drops: ${missing} of ${all.at(-1)! - all[0]! + 1}`);
    } finally {
      await helper.unload();
      await proxy.close();
    }
  });
});
