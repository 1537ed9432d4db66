/**
 * Pipeline benchmark: can the twin keep up with what Node-RED itself does with the same MQTT traffic?
 *
 * N JSON telemetry messages (5 signals each) are published by mqtt.js to an aedes broker on 127.0.0.1 (this process)
 * and received by a real Node-RED in its own process, in one of two flows, alternating a/b/a/b:
 *   (a) baseline: core `mqtt in` → `json` → a `function` that counts;
 *   (b) suite:    `twin-mqtt-in` → `twin-state` (→ further twin nodes when present) → the same counting `function`.
 * The wire limit (mqtt.js → aedes → mqtt.js, no Node-RED) is measured in the same run.
 * Reports msg/s, Node-RED CPU seconds per 10k messages, p50/p99 latency from publish to the end of the flow, and RSS.
 * Last line: {"baselineMsgPerSec":…,"pipelineMsgPerSec":…,"ratio":…,"wireMsgPerSec":…,"p99Ms":…}
 *
 * Options: --messages N (default 50000), --rounds R (default 2 per flow and QoS).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { startNodeRedProcess, type NodeRedProcess } from '../test/support/node-red-process.mts';
import { tempDir } from '../test/support/red.mts';

const require = createRequire(import.meta.url);
const { startEmbeddedBroker } = require('../dist/scripts/embedded-broker.js') as typeof import('../dist/scripts/embedded-broker.js');

function option(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
}
const N = option('messages', 50_000);
const ROUNDS = option('rounds', 2);
const ASSETS = 100;
const SIGNALS = ['flow', 'pressure', 'speed', 'bearingTemp', 'vibration'];

/** The counting function: keeps count and publish→arrival latencies in global context for the bench to read. */
const COUNTER = `
const b = global.get('bench') || { count: 0, first: 0, last: 0, latencies: [] };
const now = Date.now();
const sent = msg.payload.sent !== undefined ? msg.payload.sent : msg.payload.ts;
if (b.count === 0) b.first = now;
b.count++;
b.last = now;
if (b.count % 10 === 0) b.latencies.push(now - sent);
global.set('bench', b);
return null;`;

function flows(kind: 'baseline' | 'suite', brokerPort: number, qos: number): unknown[] {
  const z = 'bench';
  const stats = [
    { id: 'stats.in', type: 'http in', z, url: '/bench', method: 'get', x: 100, y: 300, wires: [['stats.fn']] },
    { id: 'stats.fn', type: 'function', z, func: "msg.payload = global.get('bench') || { count: 0 }; return msg;", outputs: 1, x: 300, y: 300, wires: [['stats.out']] },
    { id: 'stats.out', type: 'http response', z, x: 500, y: 300, wires: [] },
    { id: 'reset.in', type: 'http in', z, url: '/bench/reset', method: 'post', x: 100, y: 350, wires: [['reset.fn']] },
    { id: 'reset.fn', type: 'function', z, func: "global.set('bench', undefined); msg.payload = 'ok'; return msg;", outputs: 1, x: 300, y: 350, wires: [['stats.out']] },
    { id: 'count', type: 'function', z, func: COUNTER, outputs: 1, x: 700, y: 100, wires: [[]] },
  ];
  const tab = { id: z, type: 'tab', label: `bench ${kind}` };
  if (kind === 'baseline') {
    return [
      tab,
      ...stats,
      { id: 'broker', type: 'mqtt-broker', broker: '127.0.0.1', port: String(brokerPort), clientid: '', autoConnect: true, usetls: false, protocolVersion: '4', keepalive: '60', cleansession: true },
      { id: 'in', type: 'mqtt in', z, topic: 'plant/+/telemetry', qos: String(qos), datatype: 'utf8', broker: 'broker', nl: false, rap: true, inputs: 0, x: 100, y: 100, wires: [['json']] },
      { id: 'json', type: 'json', z, property: 'payload', action: '', pretty: false, x: 300, y: 100, wires: [['count']] },
    ];
  }
  return [
    tab,
    ...stats,
    { id: 'broker', type: 'twin-mqtt-broker', url: `mqtt://127.0.0.1:${brokerPort}`, protocolVersion: '4', cleanSession: true },
    { id: 'def', type: 'twin-definition', assetClass: 'pump', historyPoints: '100', acceptUndeclared: true, signals: SIGNALS.map((name) => ({ name, min: -1e6, max: 1e6 })) },
    { id: 'in', type: 'twin-mqtt-in', z, broker: 'broker', topic: 'plant/{assetId}/telemetry', qos: String(qos), format: 'auto', x: 100, y: 100, wires: [['state']] },
    { id: 'state', type: 'twin-state', z, definition: 'def', throttleMs: '0', x: 300, y: 100, wires: [['count'], []] },
  ];
}

async function deploy(nr: NodeRedProcess, flow: unknown[]): Promise<void> {
  const res = await fetch(new URL('flows', nr.url), { method: 'POST', headers: { 'content-type': 'application/json', 'Node-RED-Deployment-Type': 'full' }, body: JSON.stringify(flow) });
  if (res.status !== 200 && res.status !== 204) throw new Error(`deploy failed: ${res.status} ${await res.text()}`);
}

interface BenchStats {
  count: number;
  first: number;
  last: number;
  latencies: number[];
}

async function stats(nr: NodeRedProcess): Promise<BenchStats> {
  return (await (await fetch(new URL('api/bench', nr.url))).json()) as BenchStats;
}

/** CPU seconds (user + system) a process has used so far, from /proc (Linux). */
function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

function rssMb(pid: number): number {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8').split('\n').find((l) => l.startsWith('VmRSS:'))!;
  return Number(/(\d+)/.exec(line)![1]) / 1024;
}

function payloadFor(i: number, sent: number): string {
  const signals: Record<string, number> = {};
  for (const [k, name] of SIGNALS.entries()) signals[name] = Math.round((i % 1000) * 10 + k) / 10;
  return JSON.stringify({ ts: sent, sent, signals });
}

/** Publishes N messages as fast as the client takes them; QoS 1 waits for every PUBACK. */
async function publishAll(port: number, qos: 0 | 1): Promise<number> {
  const client = await mqtt.connectAsync(`mqtt://127.0.0.1:${port}`, { protocolVersion: 4 });
  const start = Date.now();
  const pending: Array<Promise<unknown>> = [];
  for (let i = 0; i < N; i++) {
    const sent = Date.now();
    pending.push(client.publishAsync(`plant/pump-${i % ASSETS}/telemetry`, payloadFor(i, sent), { qos }));
    // Let the socket drain now and then, as a real gateway would, instead of buffering everything in memory.
    if (i % 1000 === 999) await Promise.all(pending.splice(0));
  }
  await Promise.all(pending);
  await client.endAsync();
  return start;
}

interface RunResult {
  msgPerSec: number;
  received: number;
  cpuPer10k: number;
  p50: number;
  p99: number;
  rss: number;
}

const percentile = (xs: number[], p: number) => {
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))] ?? NaN;
};
const median = (xs: number[]) => percentile(xs, 50);

async function runOnce(nr: NodeRedProcess, port: number, kind: 'baseline' | 'suite', qos: 0 | 1): Promise<RunResult> {
  await deploy(nr, flows(kind, port, qos));
  await new Promise((r) => setTimeout(r, 1500)); // connect and subscribe
  await fetch(new URL('api/bench/reset', nr.url), { method: 'POST' });
  const cpuBefore = cpuSeconds(nr.pid);
  const start = await publishAll(port, qos);
  let s = await stats(nr);
  let previous = -1;
  // Wait until everything arrived, or nothing more arrives for 2 s (QoS 0 may lose messages under load).
  for (let idle = 0; s.count < N && idle < 20; ) {
    await new Promise((r) => setTimeout(r, 100));
    s = await stats(nr);
    idle = s.count === previous ? idle + 1 : 0;
    previous = s.count;
  }
  const cpu = cpuSeconds(nr.pid) - cpuBefore;
  return {
    msgPerSec: s.count / ((s.last - start) / 1000),
    received: s.count,
    cpuPer10k: (cpu / Math.max(1, s.count)) * 10_000,
    p50: percentile(s.latencies, 50),
    p99: percentile(s.latencies, 99),
    rss: rssMb(nr.pid),
  };
}

/** mqtt.js → aedes → mqtt.js: what the wire and the broker allow, with no Node-RED at all. */
async function wire(port: number, qos: 0 | 1): Promise<number> {
  const sub = await mqtt.connectAsync(`mqtt://127.0.0.1:${port}`, { protocolVersion: 4 });
  let count = 0;
  let last = 0;
  sub.on('message', () => {
    count++;
    last = Date.now();
  });
  await sub.subscribeAsync('plant/+/telemetry', { qos });
  const start = await publishAll(port, qos);
  for (let idle = 0, prev = -1; count < N && idle < 20; idle = count === prev ? idle + 1 : 0, prev = count) await new Promise((r) => setTimeout(r, 100));
  await sub.endAsync();
  return count / ((last - start) / 1000);
}

const dir = tempDir('twin-bench');
writeFileSync(join(dir.path, 'flows.json'), '[]');
const broker = await startEmbeddedBroker(0);
const nr = await startNodeRedProcess({ userDir: dir.path, flowFile: 'flows.json', logLevel: 'warn' });
const results: Record<string, RunResult[]> = {};
const wires: Record<string, number[]> = {};
try {
  for (const qos of [0, 1] as const) {
    for (let r = 0; r < ROUNDS; r++) {
      for (const kind of ['baseline', 'suite'] as const) {
        const result = await runOnce(nr, broker.port, kind, qos);
        (results[`${kind}/${qos}`] ??= []).push(result);
        console.error(`  ${kind} QoS ${qos} round ${r + 1}: ${Math.round(result.msgPerSec)} msg/s, ${result.received}/${N} received`);
      }
    }
    for (let r = 0; r < ROUNDS; r++) (wires[qos] ??= []).push(await wire(broker.port, qos));
  }
} finally {
  await nr.stop();
  await broker.close();
  dir.remove();
}

const summary = (key: string) => {
  const runs = results[key]!;
  return {
    msgPerSec: median(runs.map((r) => r.msgPerSec)),
    received: Math.min(...runs.map((r) => r.received)),
    cpuPer10k: median(runs.map((r) => r.cpuPer10k)),
    p50: median(runs.map((r) => r.p50)),
    p99: median(runs.map((r) => r.p99)),
    rss: Math.max(...runs.map((r) => r.rss)),
  };
};
console.log(`Pipeline, ${N} messages × 5 signals over ${ASSETS} assets, median of ${ROUNDS} alternating rounds, Node ${process.version}`);
console.log('flow                             | QoS | msg/s   | CPU s/10k | p50 ms | p99 ms | RSS MB | received');
for (const qos of [0, 1]) {
  for (const [label, key] of [['baseline (mqtt in→json→fn)', `baseline/${qos}`], ['suite (twin-mqtt-in→twin-state)', `suite/${qos}`]] as const) {
    const s = summary(key);
    console.log(`${label.padEnd(32)} | ${qos}   | ${String(Math.round(s.msgPerSec)).padStart(7)} | ${s.cpuPer10k.toFixed(2).padStart(9)} | ${String(s.p50).padStart(6)} | ${String(s.p99).padStart(6)} | ${s.rss.toFixed(0).padStart(6)} | ${s.received}`);
  }
  console.log(`${'wire (mqtt.js→aedes→mqtt.js)'.padEnd(32)} | ${qos}   | ${String(Math.round(median(wires[qos]!))).padStart(7)} |`);
}
const baseline = summary('baseline/0');
const suite = summary('suite/0');
console.log(
  JSON.stringify({
    baselineMsgPerSec: Math.round(baseline.msgPerSec),
    pipelineMsgPerSec: Math.round(suite.msgPerSec),
    ratio: Number((suite.msgPerSec / baseline.msgPerSec).toFixed(3)),
    wireMsgPerSec: Math.round(median(wires[0]!)),
    p99Ms: suite.p99,
    qos1: { baselineMsgPerSec: Math.round(summary('baseline/1').msgPerSec), pipelineMsgPerSec: Math.round(summary('suite/1').msgPerSec) },
    pipeline: 'twin-mqtt-in → twin-state',
  }),
);
