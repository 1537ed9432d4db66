/**
 * Issue 13.7 (soak): the OPC UA server is down half the time, for a long time, while Node-RED (a real process,
 * --expose-gc) monitors it and retries. A plant engineer checks that a PLC that keeps going away does not make
 * Node-RED grow: RSS within 10 % of where it was after the first cycle, the same number of sockets, timers and file
 * watchers, and data again in every up phase.
 *
 * Full scale (npm run test:faults): 20 minutes, 30 s up / 30 s down; npm test: 24 s, 4 s up / 4 s down.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { FAULT_SCALE, figures } from '../support/fault-scale.mts';
import { startNodeRedProcess, type NodeRedProcess, type ProcessResources } from '../support/node-red-process.mts';
import { plant, type PlantServer } from '../support/opcua.mts';
import { tempDir } from '../support/red.mts';
import { counterNodes, getJson } from '../support/twin-http.mts';

const FULL = FAULT_SCALE >= 1;
const HALF_CYCLE_MS = FULL ? 30_000 : 4_000;
const CYCLES = FULL ? 20 : 3;

function soakFlow(endpointUrl: string): Array<Record<string, unknown>> {
  const z = 'tab';
  return [
    { id: z, type: 'tab', label: 'soak' },
    { id: 'def', type: 'twin-definition', assetClass: 'pump', historyPoints: '1000', acceptUndeclared: true, signals: [{ name: 'counter' }, { name: 'speed' }], contextStore: '' },
    { id: 'endpoint', type: 'twin-opcua-endpoint', endpoint: endpointUrl, securityMode: 'None', authentication: 'anonymous', publishingInterval: '100' },
    {
      id: 'in',
      type: 'twin-opcua-in',
      z,
      endpoint: 'endpoint',
      assetId: 'pump-1',
      samplingInterval: '50',
      variables: [
        { nodeId: `nsu=${plant.PLANT_NAMESPACE_URI};s=Pump1.Counter`, signal: 'counter' },
        { nodeId: `nsu=${plant.PLANT_NAMESPACE_URI};s=Pump1.Speed`, signal: 'speed' },
      ],
      x: 100,
      y: 100,
      wires: [['state', 'count']],
    },
    { id: 'state', type: 'twin-state', z, definition: 'def', throttleMs: '1000', includeStatistics: true, x: 300, y: 100, wires: [[], []] },
    ...counterNodes(z, ['in', 'state']),
  ];
}

describe('fault: soak, the OPC UA server down half the time', function () {
  this.timeout(120_000 + CYCLES * HALF_CYCLE_MS * 2 * 1.5);
  let dir: ReturnType<typeof tempDir>;
  let server: PlantServer | undefined;
  let nr: NodeRedProcess | undefined;

  before(() => {
    dir = tempDir('twin-fault-soak');
  });
  after(async () => {
    await nr?.kill();
    await server?.close();
    dir.remove();
  });

  it(`${CYCLES} cycles of ${HALF_CYCLE_MS / 1000} s up and ${HALF_CYCLE_MS / 1000} s down: RSS within 10 %, handles back, data in every up phase`, async () => {
    const pkiFolder = join(dir.path, 'plc');
    server = await plant.startPlantServer({ pkiFolder, tickMs: 50 });
    const port = server.port;
    writeFileSync(join(dir.path, 'flows.json'), JSON.stringify(soakFlow(server.endpointUrl)));
    nr = await startNodeRedProcess({ userDir: dir.path, flowFile: 'flows.json', logLevel: 'warn', nodeArgs: ['--expose-gc'] });
    const delivered = async () => (await getJson(nr!, 'counts')).delivered as number;
    const pick = (r: ProcessResources) => ({ sockets: r.resources.TCPSocketWrap ?? 0, timers: r.resources.Timeout ?? 0, 'file watchers': r.resources.fileWatchers ?? 0, 'file descriptors': r.resources.fileDescriptors ?? 0 });
    let baseline: ProcessResources | undefined;
    const rss: number[] = [];
    const perUpPhase: number[] = [];
    for (let cycle = 1; cycle <= CYCLES; cycle++) {
      // Up: data must flow.
      const before = await delivered();
      await new Promise((r) => setTimeout(r, HALF_CYCLE_MS));
      perUpPhase.push((await delivered()) - before);
      // Measured at the end of each up phase, connected, in the same state every time.
      const resources = await nr.resources();
      rss.push(resources.rss);
      if (cycle === 1) baseline = resources;
      // Down: the endpoint retries all the while (every 1.5 s at most).
      await server.close();
      server = undefined;
      await new Promise((r) => setTimeout(r, HALF_CYCLE_MS));
      server = await plant.startPlantServer({ pkiFolder, port, tickMs: 50 });
    }
    const before = await delivered();
    await new Promise((r) => setTimeout(r, Math.min(HALF_CYCLE_MS, 5000)));
    perUpPhase.push((await delivered()) - before);
    const end = await nr.resources();
    const mb = (bytes: number) => Math.round(bytes / 1e5) / 10;
    const growth = (end.rss - baseline!.rss) / baseline!.rss;
    figures('soak', {
      cycles: CYCLES,
      'half cycle s': HALF_CYCLE_MS / 1000,
      'RSS MB after each up phase': rss.map(mb).join(' '),
      'RSS MB end': mb(end.rss),
      'RSS growth %': Math.round(growth * 1000) / 10,
      'heap MB after gc (first → end)': `${mb(baseline!.heapUsed)} → ${mb(end.heapUsed)}`,
      'handles (first → end)': `${JSON.stringify(pick(baseline!))} → ${JSON.stringify(pick(end))}`,
      'values per up phase (min)': Math.min(...perUpPhase),
      'PLC holds': JSON.stringify(server.load()),
    });
    for (const [i, n] of perUpPhase.entries()) assert.ok(n > 0, `no data in up phase ${i + 1}`);
    assert.ok(growth < 0.1, `RSS grew ${Math.round(growth * 1000) / 10} %`);
    assert.deepEqual({ ...pick(end), timers: 0 }, { ...pick(baseline!), timers: 0 }, 'sockets, file watchers and descriptors as after the first cycle');
    assert.ok(pick(end).timers <= pick(baseline!).timers + 1, 'no timers piling up');
    assert.deepEqual(server.load(), { sessions: 1, subscriptions: 1, monitoredItems: 2 });
    assert.deepEqual((await getJson(nr, 'counts')).errors.filter((e: string) => !/no data|OPC UA endpoint/.test(e)), [], 'no errors other than the outages');
  });
});
