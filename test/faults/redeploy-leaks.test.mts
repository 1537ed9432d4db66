/**
 * Issue 13.3: hundreds of deploys of a flow with live MQTT and OPC UA connections, in a real Node-RED process
 * started with --expose-gc. A plant engineer redeploys all day; after a day of it Node-RED must hold what it held in
 * the morning: every node closes within 5 s (Node-RED's own trace log times each close), and the open sockets,
 * timers (`process.getActiveResourcesInfo()`) and the heap after a full collection come back to their baseline.
 *
 * Deploys alternate: full; modified nodes with changed flow nodes (the connections stay); modified nodes with changed
 * config nodes (the connections close and open again); every seventh one is deployed at once, while the previous
 * deploy is still connecting. Full scale (npm run test:faults): 500 deploys; npm test: 50.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { figures, scaled } from '../support/fault-scale.mts';
import { Mosquitto } from '../support/mosquitto.mts';
import { startNodeRedProcess, type NodeRedProcess, type ProcessResources } from '../support/node-red-process.mts';
import { plant, type PlantServer } from '../support/opcua.mts';
import { tempDir } from '../support/red.mts';
import { functionNode, getJson } from '../support/twin-http.mts';

const DEPLOYS = scaled(500, 50);
/**
 * Deploys before the baseline is taken: the first ones load code (node-opcua's import) and fill caches; the heap
 * after gc settles after some 30 deploys.
 */
const WARM_UP = 30;
const SAMPLE_EVERY = Math.max(5, Math.round(DEPLOYS / 25));

/** Least-squares slope of y over x. */
function slope(points: Array<{ x: number; y: number }>): number {
  const n = points.length;
  const mx = points.reduce((s, p) => s + p.x, 0) / n;
  const my = points.reduce((s, p) => s + p.y, 0) / n;
  const sxy = points.reduce((s, p) => s + (p.x - mx) * (p.y - my), 0);
  const sxx = points.reduce((s, p) => s + (p.x - mx) ** 2, 0);
  return sxx === 0 ? 0 : sxy / sxx;
}

type Variant = 'full' | 'flow-nodes' | 'config-nodes';

function leakFlow(brokerUrl: string, endpointUrl: string, generation: number): Array<Record<string, unknown>> {
  const z = 'tab';
  return [
    { id: z, type: 'tab', label: 'deploys' },
    { id: 'def', type: 'twin-definition', assetClass: 'pump', historyPoints: '100', acceptUndeclared: true, signals: [{ name: 'counter' }, { name: 'speed' }], actuationPoints: [{ name: 'speed', min: 0, max: 1800 }], contextStore: '' },
    // The config nodes change with every "config-nodes" deploy (generation), which closes and opens the connections.
    { id: 'broker', type: 'twin-mqtt-broker', url: brokerUrl, protocolVersion: '5', cleanSession: false, clientId: 'leak-twin', sessionExpiry: '600', keepalive: String(30 + (generation % 2)) },
    { id: 'endpoint', type: 'twin-opcua-endpoint', endpoint: endpointUrl, securityMode: 'None', authentication: 'anonymous', publishingInterval: String(100 + (generation % 2)) },
    { id: 'mqtt-in', type: 'twin-mqtt-in', z, name: `mqtt ${generation}`, broker: 'broker', topic: 'leak/{assetId}/telemetry', qos: '1', x: 100, y: 100, wires: [['state', 'count-mqtt']] },
    { id: 'opcua-in', type: 'twin-opcua-in', z, name: `opcua ${generation}`, endpoint: 'endpoint', assetId: 'pump-9', samplingInterval: '50', variables: [{ nodeId: `nsu=${plant.PLANT_NAMESPACE_URI};s=Pump1.Counter`, signal: 'counter' }], x: 100, y: 200, wires: [['state', 'count-opcua']] },
    { id: 'state', type: 'twin-state', z, definition: 'def', throttleMs: '500', x: 300, y: 150, wires: [[], []] },
    // A live actuator holds the broker too, and an MQTT 5 response subscription.
    { id: 'actuator', type: 'twin-actuator', z, definition: 'def', mode: 'live', transport: 'mqtt', broker: 'broker', topic: 'leak/{assetId}/set/{point}', responseTopic: 'leak/responses', x: 300, y: 300, wires: [[], []] },
    functionNode('count-mqtt', z, "flow.set('mqtt', (flow.get('mqtt') || 0) + 1);\nreturn null;"),
    functionNode('count-opcua', z, "flow.set('opcua', (flow.get('opcua') || 0) + 1);\nreturn null;"),
    { id: 'counts-in', type: 'http in', z, url: '/counts', method: 'get', x: 100, y: 700, wires: [['counts']] },
    functionNode('counts', z, "msg.payload = { mqtt: flow.get('mqtt') || 0, opcua: flow.get('opcua') || 0 };\nreturn msg;", [['counts-response']]),
    { id: 'counts-response', type: 'http response', z, statusCode: '', x: 500, y: 700, wires: [] },
  ];
}

async function deploy(nr: NodeRedProcess, flow: unknown, type: 'full' | 'nodes'): Promise<number> {
  const started = Date.now();
  const res = await fetch(new URL('flows', nr.url), { method: 'POST', headers: { 'content-type': 'application/json', 'Node-RED-Deployment-Type': type }, body: JSON.stringify(flow) });
  if (res.status !== 204 && res.status !== 200) throw new Error(`deploy ${type}: ${res.status} ${await res.text()}`);
  await res.arrayBuffer();
  return Date.now() - started;
}

/** Waits until both counters move: MQTT and OPC UA data flow through the newly deployed nodes. */
async function flowing(nr: NodeRedProcess, what: string): Promise<void> {
  const deadline = Date.now() + 15_000;
  const counts = () => getJson(nr, 'counts').catch((err: Error) => ({ error: err.message.slice(0, 100) }));
  // The HTTP route itself is redeployed: until it answers, there is no first reading.
  let first = await counts();
  for (;;) {
    await new Promise((r) => setTimeout(r, 50));
    const now = await counts();
    if ('error' in first) first = now;
    else if (!('error' in now) && now.mqtt !== first.mqtt && now.opcua !== first.opcua) return;
    if (Date.now() > deadline) {
      const log = nr.output().split('\n').filter((line) => !line.includes('[trace]')).slice(-60).join('\n');
      throw new Error(`no data after ${what}: ${JSON.stringify(first)} → ${JSON.stringify(now)}\n${log}`);
    }
  }
}

/** Resources in a steady state: the smallest count of each kind over three samples (a timer of a request in flight passes). */
async function steadyResources(nr: NodeRedProcess): Promise<ProcessResources> {
  const samples: ProcessResources[] = [];
  for (let i = 0; i < 3; i++) {
    await new Promise((r) => setTimeout(r, 300));
    samples.push(await nr.resources());
  }
  const kinds = new Set(samples.flatMap((s) => Object.keys(s.resources)));
  const resources: Record<string, number> = {};
  for (const kind of kinds) resources[kind] = Math.min(...samples.map((s) => s.resources[kind] ?? 0));
  return { resources, heapUsed: Math.min(...samples.map((s) => s.heapUsed)), rss: samples.at(-1)!.rss, gc: samples.every((s) => s.gc) };
}

describe('fault: hundreds of deploys with live MQTT and OPC UA connections', function () {
  this.timeout(1_800_000);
  let dir: ReturnType<typeof tempDir>;
  let broker: Mosquitto | undefined;
  let server: PlantServer | undefined;
  let nr: NodeRedProcess | undefined;
  let publisher: mqtt.MqttClient | undefined;
  let ticker: NodeJS.Timeout | undefined;

  before(async () => {
    dir = tempDir('twin-fault-deploys');
    broker = await Mosquitto.start({ persistence: false });
    server = await plant.startPlantServer({ pkiFolder: join(dir.path, 'plc'), tickMs: 50 });
  });
  after(async () => {
    clearInterval(ticker);
    await publisher?.endAsync();
    await nr?.kill();
    await server?.close();
    await broker?.dispose();
    dir.remove();
  });

  it(`${DEPLOYS} deploys: every close within 5 s; sockets, timers and heap back to their baseline`, async () => {
    writeFileSync(join(dir.path, 'flows.json'), JSON.stringify(leakFlow(broker!.url, server!.endpointUrl, 0)));
    nr = await startNodeRedProcess({ userDir: join(dir.path), flowFile: 'flows.json', logLevel: 'trace', nodeArgs: ['--expose-gc'] });
    publisher = await mqtt.connectAsync(broker!.url);
    let sent = 0;
    ticker = setInterval(() => publisher!.publish('leak/pump-1/telemetry', JSON.stringify({ speed: 1000 + (sent++ % 500) }), { qos: 1 }), 20);
    await flowing(nr, 'the first start');

    let generation = 0;
    let baseline: ProcessResources | undefined;
    let half: ProcessResources | undefined;
    const deployMs: number[] = [];
    /** Heap after gc every SAMPLE_EVERY deploys: a leak is a slope, noise is not. */
    const heap: Array<{ deploy: number; bytes: number }> = [];
    const counts: Record<Variant, number> = { full: 0, 'flow-nodes': 0, 'config-nodes': 0 };
    const started = Date.now();
    for (let i = 1; i <= DEPLOYS + WARM_UP; i++) {
      const variant: Variant = (['full', 'flow-nodes', 'config-nodes'] as const)[i % 3]!;
      generation++;
      const flow = leakFlow(broker!.url, server!.endpointUrl, generation);
      if (variant === 'flow-nodes') {
        // Only the flow nodes change: the config nodes (and their connections) must stay as they are.
        for (const node of flow) if (node.id === 'broker' || node.id === 'endpoint') Object.assign(node, leakFlow(broker!.url, server!.endpointUrl, generation - 1).find((n) => n.id === node.id));
      }
      deployMs.push(await deploy(nr, flow, variant === 'full' ? 'full' : 'nodes'));
      counts[variant]++;
      // Every seventh deploy follows at once, while connections are still opening.
      if (i % 7 !== 0) await flowing(nr, `deploy ${i} (${variant})`);
      if (i === WARM_UP) baseline = await steadyResources(nr);
      if (i === WARM_UP + Math.floor(DEPLOYS / 2)) half = await steadyResources(nr);
      if (i >= WARM_UP && (i - WARM_UP) % SAMPLE_EVERY === 0) heap.push({ deploy: i, bytes: (await nr.resources()).heapUsed });
    }
    const seconds = (Date.now() - started) / 1000;
    await flowing(nr, 'the last deploy');
    const end = await steadyResources(nr);

    // Node-RED's trace log times every node's close: "Stopped node <type>:<id> (<ms>ms)".
    const closes = [...nr.output().matchAll(/Stopped node ([\w-]+):([\w-]+) \((\d+)ms\)/g)].map((m) => ({ type: m[1]!, ms: Number(m[3]) }));
    const slowest = new Map<string, number>();
    for (const c of closes) slowest.set(c.type, Math.max(slowest.get(c.type) ?? 0, c.ms));
    const mb = (bytes: number) => Math.round(bytes / 1e5) / 10;
    // Over the second half: the first samples still carry V8's early wandering.
    const heapSlope = slope(heap.filter((h) => h.deploy >= WARM_UP + DEPLOYS / 2).map((h) => ({ x: h.deploy, y: h.bytes })));
    // Before the fix of twin-opcua-endpoint's certificate manager (five file watchers per connection), this slope was
    // 13 KB per deploy in this test: 72.9 → 79.3 MB over 500 deploys.
    const pick = (r: ProcessResources) => ({
      sockets: r.resources.TCPSocketWrap ?? 0,
      servers: r.resources.TCPServerWrap ?? 0,
      timers: r.resources.Timeout ?? 0,
      'file descriptors': r.resources.fileDescriptors ?? 0,
      'inotify watches': r.resources.inotifyWatches ?? 0,
      'file watchers': r.resources.fileWatchers ?? 0,
    });
    figures('deploys', {
      deploys: DEPLOYS + WARM_UP,
      ...counts,
      seconds,
      'deploy ms max': Math.max(...deployMs),
      'node closes timed': closes.length,
      'slowest close ms': Math.max(...closes.map((c) => c.ms)),
      'slowest by type': [...slowest].map(([t, ms]) => `${t} ${ms}`).join('; '),
    });
    figures('deploys, resources (baseline → half → end)', {
      sockets: `${pick(baseline!).sockets} → ${pick(half!).sockets} → ${pick(end).sockets}`,
      'listening servers': `${pick(baseline!).servers} → ${pick(half!).servers} → ${pick(end).servers}`,
      timers: `${pick(baseline!).timers} → ${pick(half!).timers} → ${pick(end).timers}`,
      'file descriptors': `${pick(baseline!)['file descriptors']} → ${pick(half!)['file descriptors']} → ${pick(end)['file descriptors']}`,
      'inotify watches': `${pick(baseline!)['inotify watches']} → ${pick(half!)['inotify watches']} → ${pick(end)['inotify watches']}`,
      'fs.watch watchers': `${pick(baseline!)['file watchers']} → ${pick(half!)['file watchers']} → ${pick(end)['file watchers']}`,
      'heap MB after gc': `${mb(baseline!.heapUsed)} → ${mb(half!.heapUsed)} → ${mb(end.heapUsed)}`,
      'heap slope KB per deploy': Math.round(heapSlope / 100) / 10,
      'heap samples MB': heap.map((h) => mb(h.bytes)).join(' '),
      'rss MB': `${mb(baseline!.rss)} → ${mb(half!.rss)} → ${mb(end.rss)}`,
      'OPC UA server holds': JSON.stringify(server!.load()),
      'all types at end': JSON.stringify(end.resources),
    });
    assert.ok(end.gc && baseline!.gc, 'heap measured after a full garbage collection');
    assert.ok(closes.length >= (DEPLOYS + WARM_UP) * 2, `the trace log timed the closes (${closes.length})`);
    assert.doesNotMatch(nr.output(), /Close timed out/);
    for (const c of closes) assert.ok(c.ms <= 5000, `${c.type} took ${c.ms} ms to close`);
    // Sockets, listening servers, file descriptors, inotify watches and fs.watch watchers exactly as before; timers
    // not more (a snapshot throttle or a request timeout may be running at either moment; a leak adds one a deploy).
    assert.deepEqual({ ...pick(end), timers: 0 }, { ...pick(baseline!), timers: 0 }, 'sockets, servers, descriptors and watches back to the baseline');
    assert.ok(pick(end).timers <= pick(baseline!).timers, `timers: ${pick(baseline!).timers} at the baseline, ${pick(end).timers} at the end`);
    assert.deepEqual(server!.load(), { sessions: 1, subscriptions: 1, monitoredItems: 1 }, 'the PLC holds one session, subscription and item');
    // The heap after gc wanders by several MB in the first minute (V8's accounting, not objects: heap snapshots
    // show no difference); a leak grows with every deploy. Keeping one flow's nodes and connections per deploy would
    // cost well over 10 KB each time. The slope says something only over a few hundred deploys (full scale).
    assert.ok(end.heapUsed - baseline!.heapUsed < 5e6, `heap grew ${mb(end.heapUsed - baseline!.heapUsed)} MB over ${DEPLOYS} deploys`);
    if (DEPLOYS >= 200) assert.ok(heapSlope < 10_000, `the heap grows ${Math.round(heapSlope / 100) / 10} KB per deploy`);
  });
});
