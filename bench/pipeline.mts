/**
 * Pipeline benchmark: can the twin keep up with what Node-RED itself does with the same MQTT traffic?
 *
 * N JSON telemetry messages (5 signals each) are published by mqtt.js to an aedes broker on 127.0.0.1 (this process)
 * and received by a real Node-RED in its own process, in one of two flows, alternating a/b/a/b:
 *   (a) baseline: core `mqtt in` → `json` → a `function` that counts;
 *   (b) suite:    `twin-mqtt-in` → `twin-state` → `twin-model` (pump physics) → `twin-rul` (boosted trees) → the same
 *                 counting `function`: every message updates the twin, runs the model and re-estimates the RUL.
 * The wire limit (mqtt.js → aedes → mqtt.js, no Node-RED) is measured in the same run.
 * Reports msg/s, Node-RED CPU seconds per 10k messages, p50/p99 latency from publish to the end of the flow (the
 * suite: twin-rul's output, i.e. the RUL written into the twin, the last of the twin's updates for that reading), RSS.
 *
 * The telemetry is a fleet of simulated centrifugal pumps (`PumpSimulator`, bearing wear of 5 %/h), one reading a
 * minute of plant time per pump, stamped in the past so that a whole run is some hours of plant history. twin-rul
 * runs the pump model of the demo, `models/pump-bearing-gbt.json`: trained by the shared recipe in
 * core/rul/pump-training.ts on 40 simulated run-to-failure lives of these very pumps (one reading a minute, wear 3–8 %/h,
 * failure when the bearing passes 90 °C), and checked to be what that recipe trains (test/core/pump-rul-model.test.mts).
 * `--train-rul` trains it again by the recipe before the run instead (about 20 s) and uses that.
 *
 * Last lines: one JSON object for QoS 1, then
 * {"baselineMsgPerSec":…,"pipelineMsgPerSec":…,"ratio":…,"wireMsgPerSec":…,"p99Ms":…} for QoS 0.
 *
 * Options: --messages N (default 50000), --rounds R (default 2 per flow and QoS), --flows baseline,hops,suite (the
 * default; `no-rul` adds the suite without twin-rul, `twin-mqtt-in → twin-state → twin-model`, to see what the RUL costs,
 * `no-model` the suite up to twin-state, `in-only` twin-mqtt-in alone: together, what each node adds per message;
 * `hops` the baseline with two junctions before the counting function: Node-RED alone with as many nodes as the suite,
 * i.e. what the suite's extra nodes cost before they do any work; `throttled` the suite with twin-state sending at most
 * one snapshot per pump a second, as the README advises for telemetry faster than the model needs: every reading goes
 * into the twin, model and RUL run once a second per pump; its msg/s counts readings taken into the twin),
 * --qos 0|1 (one QoS only), --no-wire, --train-rul, --profile DIR (Node-RED runs with `--cpu-prof`; the profile is
 * written to DIR when it stops; summarise it with `node bench/profile-summary.mts DIR/*.cpuprofile`).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { startNodeRedProcess, type NodeRedProcess } from '../test/support/node-red-process.mts';
import { tempDir } from '../test/support/red.mts';

const require = createRequire(import.meta.url);
const { startEmbeddedBroker } = require('../dist/scripts/embedded-broker.js') as typeof import('../dist/scripts/embedded-broker.js');

const core = require('../dist/core/index.js') as typeof import('../dist/core/index.js');

function option(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
}
function textOption(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : undefined;
}
const N = option('messages', 50_000);
const ROUNDS = option('rounds', 2);
const FLOW_KINDS = ['baseline', 'suite', 'no-rul', 'no-model', 'in-only', 'hops', 'throttled'] as const;
type FlowKind = (typeof FLOW_KINDS)[number];
const KINDS = (textOption('flows') ?? 'baseline,hops,suite').split(',').filter((k): k is FlowKind => (FLOW_KINDS as readonly string[]).includes(k));
const QOS_LEVELS = textOption('qos') === undefined ? ([0, 1] as const) : ([Number(textOption('qos')) === 1 ? 1 : 0] as const);
const WIRE = !process.argv.includes('--no-wire');
const PROFILE_DIR = textOption('profile');
const ASSETS = 100;
const SIGNALS = ['flow', 'pressure', 'speed', 'bearingTemp', 'vibration'] as const;
/** Plant time between two messages: with 100 pumps, each pump reports once a minute. */
const PLANT_MS_PER_MESSAGE = 600;
/** The demo's pump RUL model (or, with --train-rul, the same recipe trained again into the user directory). */
const PACKAGED_PUMP_MODEL = join(import.meta.dirname, '..', 'models', 'pump-bearing-gbt.json');
const RUL_MODEL_FILE = process.argv.includes('--train-rul') ? 'pump-rul.json' : PACKAGED_PUMP_MODEL;

/**
 * The counting function: keeps count and publish→arrival latencies in global context for the bench to read.
 * The baseline's messages carry their publish time (`payload.sent`). twin-rul's output does not (it sends the RUL of
 * an asset), so for the suite the function notes the asset and how many outputs that asset had: messages of one
 * pump arrive in publish order and each gives exactly one RUL output, so the n-th output of pump-k answers the
 * n-th message published to pump-k, whose publish time the bench kept.
 */
const COUNTER = `
const b = global.get('bench') || { count: 0, first: 0, last: 0, latencies: [], perAsset: {}, arrivals: [] };
const now = Date.now();
if (b.count === 0) b.first = now;
b.count++;
b.last = now;
if (msg.payload.sent !== undefined) {
  if (b.count % 10 === 0) b.latencies.push(now - msg.payload.sent);
} else {
  const n = (b.perAsset[msg.topic] || 0) + 1;
  b.perAsset[msg.topic] = n;
  if (b.count % 10 === 0) b.arrivals.push([msg.topic, n, now]);
}
global.set('bench', b);
return null;`;

/** Signal ranges of the bench pumps as a twin definition declares them (readings outside are stored as bad). */
const RANGES: Record<(typeof SIGNALS)[number], { unit: string; min: number; max: number }> = {
  flow: { unit: 'm3/h', min: 0, max: 400 },
  pressure: { unit: 'bar', min: 0, max: 16 },
  speed: { unit: 'rpm', min: 0, max: 3000 },
  bearingTemp: { unit: 'degC', min: -20, max: 150 },
  vibration: { unit: 'mm/s', min: 0, max: 50 },
};

/** Deploys so far: each suite deploy gets a new twin definition id, so its twin starts empty (stores outlive redeploys). */
let deploys = 0;

function flows(kind: FlowKind, brokerPort: number, qos: number): unknown[] {
  const def = `def-${++deploys}`;
  const z = 'bench';
  const stats = [
    { id: 'stats.in', type: 'http in', z, url: '/bench', method: 'get', x: 100, y: 300, wires: [['stats.fn']] },
    { id: 'stats.fn', type: 'function', z, func: "msg.payload = global.get('bench') || { count: 0 }; return msg;", outputs: 1, x: 300, y: 300, wires: [['stats.out']] },
    { id: 'stats.out', type: 'http response', z, x: 500, y: 300, wires: [] },
    { id: 'reset.in', type: 'http in', z, url: '/bench/reset', method: 'post', x: 100, y: 350, wires: [['reset.fn']] },
    { id: 'reset.fn', type: 'function', z, func: "global.set('bench', undefined); msg.payload = 'ok'; return msg;", outputs: 1, x: 300, y: 350, wires: [['stats.out']] },
    { id: 'count', type: 'function', z, func: COUNTER, outputs: 1, x: 900, y: 100, wires: [[]] },
  ];
  const tab = { id: z, type: 'tab', label: `bench ${kind}` };
  if (kind === 'baseline' || kind === 'hops') {
    // `hops`: two junctions (nodes that pass each message on) make the flow as many nodes long as the suite's.
    const hops = kind === 'hops' ? ['hop1', 'hop2'] : [];
    const chain = ['json', ...hops, 'count'];
    return [
      tab,
      ...stats,
      { id: 'broker', type: 'mqtt-broker', broker: '127.0.0.1', port: String(brokerPort), clientid: '', autoConnect: true, usetls: false, protocolVersion: '4', keepalive: '60', cleansession: true },
      { id: 'in', type: 'mqtt in', z, topic: 'plant/+/telemetry', qos: String(qos), datatype: 'utf8', broker: 'broker', nl: false, rap: true, inputs: 0, x: 100, y: 100, wires: [['json']] },
      { id: 'json', type: 'json', z, property: 'payload', action: '', pretty: false, x: 300, y: 100, wires: [[chain[1]]] },
      ...hops.map((id, i) => ({ id, type: 'junction', z, x: 400 + 100 * i, y: 100, wires: [[chain[i + 2]]] })),
    ];
  }
  return [
    tab,
    ...stats,
    { id: 'broker', type: 'twin-mqtt-broker', url: `mqtt://127.0.0.1:${brokerPort}`, protocolVersion: '4', cleanSession: true },
    // History of 1,000 points (about 17 h of one-minute readings), as the RUL example keeps; every range declared.
    { id: def, type: 'twin-definition', assetClass: 'pump', historyPoints: '1000', acceptUndeclared: false, signals: SIGNALS.map((name) => ({ name, ...RANGES[name] })) },
    { id: 'in', type: 'twin-mqtt-in', z, broker: 'broker', topic: 'plant/{assetId}/telemetry', qos: String(qos), format: 'auto', x: 100, y: 100, wires: [[kind === 'in-only' ? 'count' : 'state']] },
    // Every update goes on (no throttling), so the model and the RUL run for every message.
    ...(kind === 'in-only' ? [] : [{ id: 'state', type: 'twin-state', z, definition: def, throttleMs: kind === 'throttled' ? '1000' : '0', x: 300, y: 100, wires: [[kind === 'no-model' ? 'count' : 'model'], []] }]),
    // Throttled: how many readings the twin has taken in (each accepted reading adds one to its asset's version),
    // asked of a second twin-state on the same twin.
    ...(kind === 'throttled'
      ? [
          { id: 'ingested.in', type: 'http in', z, url: '/bench/ingested', method: 'get', x: 100, y: 400, wires: [['ingested.ask']] },
          { id: 'ingested.ask', type: 'change', z, rules: [{ t: 'set', p: 'topic', pt: 'msg', to: 'snapshot', tot: 'str' }, { t: 'set', p: 'payload', pt: 'msg', to: '{}', tot: 'json' }], x: 300, y: 400, wires: [['ingested.state']] },
          { id: 'ingested.state', type: 'twin-state', z, definition: def, throttleMs: '0', x: 500, y: 400, wires: [['ingested.sum'], []] },
          { id: 'ingested.sum', type: 'function', z, func: 'const assets = Array.isArray(msg.payload) ? msg.payload : [];\nmsg.payload = { count: assets.reduce((s, a) => s + a.version, 0), at: Date.now() };\nreturn msg;', outputs: 1, x: 700, y: 400, wires: [['stats.out']] },
        ]
      : []),
    // The node's defaults: pump physics with friction estimation, 120 min healthy window, 60 min condition indicators.
    ...(kind === 'suite' || kind === 'no-rul' || kind === 'throttled'
      ? [{ id: 'model', type: 'twin-model', z, definition: def, model: 'pump-physics', parameters: '', healthyWindow: '120', timeScale: '1', lambda: '0.1', limit: '5', forgetting: '0.98', indicatorWindow: '60', x: 500, y: 100, wires: [[kind === 'no-rul' ? 'count' : 'rul']] }]
      : []),
    ...(kind === 'suite' || kind === 'throttled' ? [{ id: 'rul', type: 'twin-rul', z, definition: def, method: 'gbt', modelFile: RUL_MODEL_FILE, horizon: '30', x: 700, y: 100, wires: [['count']] }] : []),
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
  /** Suite: [assetId, n-th output of that asset, arrival time] for every 10th message. */
  arrivals: Array<[string, number, number]>;
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

const T_SIM = Date.UTC(2026, 0, 1);
const assetOf = (i: number) => `pump-${i % ASSETS}`;

/**
 * The signals of message i as JSON text, computed once: pump i % 100 at its (i / 100)-th minute. Rounded as a field
 * gateway would send them (about 110 bytes a message with timestamps).
 */
const SIGNAL_TEXT: string[] = (() => {
  const pumps = Array.from({ length: ASSETS }, (_, k) => new core.PumpSimulator({ assetId: `pump-${k}`, seed: k + 1, noise: 0.005, frictionGrowthPerHour: 0.05 }));
  const out: string[] = [];
  for (let i = 0; i < N; i++) {
    const reading = pumps[i % ASSETS]!.step(T_SIM + Math.floor(i / ASSETS) * 60_000, 60).signals;
    out.push(`{${SIGNALS.map((name) => `"${name}":${Number(reading[name]!.toFixed(3))}`).join(',')}}`);
  }
  return out;
})();

/**
 * Publishes N messages as fast as the client takes them; QoS 1 waits for every PUBACK. Message i is pump i % 100's
 * reading, stamped in plant time one minute after that pump's previous one, the newest a minute before now.
 * @returns the publish time of every message
 */
async function publishAll(port: number, qos: 0 | 1): Promise<Float64Array> {
  const client = await mqtt.connectAsync(`mqtt://127.0.0.1:${port}`, { protocolVersion: 4 });
  const sentAt = new Float64Array(N);
  const t0 = Date.now() - N * PLANT_MS_PER_MESSAGE - 60_000;
  const pending: Array<Promise<unknown>> = [];
  for (let i = 0; i < N; i++) {
    const sent = Date.now();
    sentAt[i] = sent;
    const payload = `{"ts":${t0 + i * PLANT_MS_PER_MESSAGE},"sent":${sent},"signals":${SIGNAL_TEXT[i]}}`;
    pending.push(client.publishAsync(`plant/${assetOf(i)}/telemetry`, payload, { qos }));
    // Let the socket drain now and then, as a real gateway would, instead of buffering everything in memory.
    if (i % 1000 === 999) await Promise.all(pending.splice(0));
  }
  await Promise.all(pending);
  await client.endAsync();
  return sentAt;
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

/** Publish→arrival latencies of the suite, from the n-th output of each asset (see COUNTER). */
function suiteLatencies(s: BenchStats, sentAt: Float64Array): number[] {
  return s.arrivals.map(([assetId, n, arrived]) => arrived - sentAt[(n - 1) * ASSETS + Number(assetId.slice('pump-'.length))]!);
}

async function runOnce(nr: NodeRedProcess, port: number, kind: FlowKind, qos: 0 | 1): Promise<RunResult> {
  await deploy(nr, flows(kind, port, qos));
  await new Promise((r) => setTimeout(r, 1500)); // connect and subscribe (and twin-rul reads its model)
  await fetch(new URL('api/bench/reset', nr.url), { method: 'POST' });
  const cpuBefore = cpuSeconds(nr.pid);
  const start = Date.now();
  const sentAt = await publishAll(port, qos);
  if (kind === 'throttled') return throttledRun(nr, start, cpuBefore);
  const s = await untilAllArrived(() => stats(nr), 100);
  const cpu = cpuSeconds(nr.pid) - cpuBefore;
  // A lost QoS 0 message would shift the suite's n-th-output matching for its pump: latencies only when all arrived.
  // twin-mqtt-in's own output carries the MQTT topic, not the asset: no latencies for it alone.
  const latencies = kind === 'baseline' || kind === 'hops' ? s.latencies : s.count === N && kind !== 'in-only' ? suiteLatencies(s, sentAt) : [];
  return {
    msgPerSec: s.count / ((s.last - start) / 1000),
    received: s.count,
    cpuPer10k: (cpu / Math.max(1, s.count)) * 10_000,
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    rss: rssMb(nr.pid),
  };
}

/**
 * Asks `read` every `everyMs` until it counts all N messages, or nothing more arrives for 2 s (QoS 0 may lose messages
 * under load). @returns the last answer
 */
async function untilAllArrived<T extends { count: number }>(read: () => Promise<T>, everyMs: number): Promise<T> {
  let s = await read();
  for (let idle = 0, previous = -1; s.count < N && idle < 2000 / everyMs; ) {
    await new Promise((r) => setTimeout(r, everyMs));
    s = await read();
    idle = s.count === previous ? idle + 1 : 0;
    previous = s.count;
  }
  return s;
}

/**
 * The throttled suite: readings taken into the twin, polled every 50 ms until all N are in (or none arrive for 2 s);
 * its rate is N over the time until the poll that found them all. No latencies: model and RUL see only some readings.
 */
async function throttledRun(nr: NodeRedProcess, start: number, cpuBefore: number): Promise<RunResult> {
  const ingested = async () => (await (await fetch(new URL('api/bench/ingested', nr.url))).json()) as { count: number; at: number };
  const s = await untilAllArrived(ingested, 50);
  const cpu = cpuSeconds(nr.pid) - cpuBefore;
  return { msgPerSec: s.count / ((s.at - start) / 1000), received: s.count, cpuPer10k: (cpu / Math.max(1, s.count)) * 10_000, p50: NaN, p99: NaN, rss: rssMb(nr.pid) };
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
  const start = Date.now();
  await publishAll(port, qos);
  for (let idle = 0, prev = -1; count < N && idle < 20; idle = count === prev ? idle + 1 : 0, prev = count) await new Promise((r) => setTimeout(r, 100));
  await sub.endAsync();
  return count / ((last - start) / 1000);
}

const dir = tempDir('twin-bench');
writeFileSync(join(dir.path, 'flows.json'), '[]');
if (RUL_MODEL_FILE !== PACKAGED_PUMP_MODEL) writeFileSync(join(dir.path, RUL_MODEL_FILE), core.serialiseRulModel(core.trainPumpRulModel()));
const broker = await startEmbeddedBroker(0);
const nr = await startNodeRedProcess({
  userDir: dir.path,
  flowFile: 'flows.json',
  logLevel: 'warn',
  ...(PROFILE_DIR ? { nodeArgs: ['--cpu-prof', '--cpu-prof-dir', PROFILE_DIR] } : {}),
});
const results: Record<string, RunResult[]> = {};
const wires: Record<string, number[]> = {};
const kinds = KINDS;
try {
  for (const qos of QOS_LEVELS) {
    for (let r = 0; r < ROUNDS; r++) {
      for (const kind of kinds) {
        const result = await runOnce(nr, broker.port, kind, qos);
        (results[`${kind}/${qos}`] ??= []).push(result);
        console.error(`  ${kind} QoS ${qos} round ${r + 1}: ${Math.round(result.msgPerSec)} msg/s, ${result.received}/${N} received, ${result.cpuPer10k.toFixed(2)} CPU s/10k, p99 ${result.p99} ms`);
      }
    }
    if (WIRE) for (let r = 0; r < ROUNDS; r++) (wires[qos] ??= []).push(await wire(broker.port, qos));
  }
} finally {
  await nr.stop();
  await broker.close();
  dir.remove();
}

const summary = (key: string) => {
  const runs = results[key];
  if (!runs) return undefined;
  return {
    msgPerSec: median(runs.map((r) => r.msgPerSec)),
    received: Math.min(...runs.map((r) => r.received)),
    cpuPer10k: median(runs.map((r) => r.cpuPer10k)),
    p50: median(runs.map((r) => r.p50)),
    p99: median(runs.map((r) => r.p99)),
    rss: Math.max(...runs.map((r) => r.rss)),
  };
};
const PIPELINE = 'twin-mqtt-in → twin-state → twin-model → twin-rul';
console.log(`Pipeline, ${N} messages × 5 signals over ${ASSETS} pumps, median of ${ROUNDS} alternating rounds, Node ${process.version}, load ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
console.log('flow                                 | QoS | msg/s   | CPU s/10k | p50 ms | p99 ms | RSS MB | received');
for (const qos of QOS_LEVELS) {
  const rows = [
    ['baseline (mqtt in→json→fn)', `baseline/${qos}`],
    ['baseline + 2 junctions (5 nodes)', `hops/${qos}`],
    ['suite (in→state→model→rul)', `suite/${qos}`],
    ['suite, snapshots ≤ 1/s per pump', `throttled/${qos}`],
    ['suite without rul (in→state→model)', `no-rul/${qos}`],
    ['twin-mqtt-in → twin-state', `no-model/${qos}`],
    ['twin-mqtt-in alone', `in-only/${qos}`],
  ] as const;
  for (const [label, key] of rows) {
    const s = summary(key);
    if (!s) continue;
    console.log(`${label.padEnd(36)} | ${qos}   | ${String(Math.round(s.msgPerSec)).padStart(7)} | ${s.cpuPer10k.toFixed(2).padStart(9)} | ${String(s.p50).padStart(6)} | ${String(s.p99).padStart(6)} | ${s.rss.toFixed(0).padStart(6)} | ${s.received}`);
  }
  if (wires[qos]) console.log(`${'wire (mqtt.js→aedes→mqtt.js)'.padEnd(36)} | ${qos}   | ${String(Math.round(median(wires[qos]))).padStart(7)} |`);
}
const line = (qos: 0 | 1) => {
  const baseline = summary(`baseline/${qos}`);
  const suite = summary(`suite/${qos}`);
  const withoutRul = summary(`no-rul/${qos}`);
  return {
    qos,
    baselineMsgPerSec: baseline ? Math.round(baseline.msgPerSec) : null,
    pipelineMsgPerSec: suite ? Math.round(suite.msgPerSec) : null,
    ratio: baseline && suite ? Number((suite.msgPerSec / baseline.msgPerSec).toFixed(3)) : null,
    wireMsgPerSec: wires[qos] ? Math.round(median(wires[qos])) : null,
    p99Ms: suite ? suite.p99 : null,
    cpuPer10k: { baseline: baseline ? Number(baseline.cpuPer10k.toFixed(3)) : null, pipeline: suite ? Number(suite.cpuPer10k.toFixed(3)) : null },
    pipeline: PIPELINE,
    ...(withoutRul
      ? { withoutRul: { msgPerSec: Math.round(withoutRul.msgPerSec), ratio: baseline ? Number((withoutRul.msgPerSec / baseline.msgPerSec).toFixed(3)) : null, cpuPer10k: Number(withoutRul.cpuPer10k.toFixed(3)) } }
      : {}),
    ...Object.fromEntries(
      (['no-model', 'in-only', 'hops', 'throttled'] as const).flatMap((kind) => {
        const part = summary(`${kind}/${qos}`);
        const key = { 'no-model': 'inAndState', 'in-only': 'inOnly', hops: 'baselineWithTwoJunctions', throttled: 'throttledSnapshots' }[kind];
        return part ? [[key, { msgPerSec: Math.round(part.msgPerSec), cpuPer10k: Number(part.cpuPer10k.toFixed(3)) }]] : [];
      }),
    ),
  };
};
// QoS 1 first, so the last line is the QoS 0 figure the issue asks for.
if ((QOS_LEVELS as readonly number[]).includes(1)) console.log(JSON.stringify(line(1)));
if ((QOS_LEVELS as readonly number[]).includes(0)) console.log(JSON.stringify(line(0)));
