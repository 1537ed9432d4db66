/**
 * Summarises a V8 CPU profile (`node --cpu-prof`, e.g. `npm run bench:pipeline -- --only suite --profile DIR`):
 * self time per function, the top ones first, and self time per source (this package, Node-RED, mqtt, Node itself).
 *
 *   node bench/profile-summary.mts DIR/CPU.*.cpuprofile [--top 30] [--inclusive estimate,handle,ingest]
 *
 * `--inclusive` adds the total time (self and callees) under each named function of this package, e.g. each node's
 * input handler, to see which node of the pipeline the time goes to.
 */
import { readFileSync } from 'node:fs';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

const file = process.argv[2];
if (!file) {
  console.error('usage: node bench/profile-summary.mts <file.cpuprofile> [--top N]');
  process.exit(1);
}
const t = process.argv.indexOf('--top');
const TOP = t > 0 ? Number(process.argv[t + 1]) : 30;
const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;
const byId = new Map(profile.nodes.map((n) => [n.id, n]));

// Self time of a node: the time deltas of the samples taken in it.
const selfUs = new Map<number, number>();
profile.samples.forEach((id, i) => selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)));

const shortUrl = (url: string): string => {
  const at = url.lastIndexOf('node_modules/');
  if (at >= 0) return url.slice(at + 'node_modules/'.length);
  const dist = url.indexOf('/dist/');
  if (dist >= 0) return url.slice(dist + 1);
  return url.replace(/^file:\/\//, '');
};
const sourceOf = (url: string, name: string): string => {
  if (url.includes('/dist/')) return 'this package (dist/)';
  if (url.includes('node-red') || url.includes('@node-red')) return 'Node-RED';
  if (url.includes('mqtt') || url.includes('aedes')) return 'mqtt.js';
  if (url === '') return name === '(garbage collector)' ? 'garbage collector' : name.startsWith('(') ? name : 'native / V8';
  if (url.startsWith('node:')) return 'Node.js';
  return 'other modules';
};

let total = 0;
const functions = new Map<string, number>();
const sources = new Map<string, number>();
for (const [id, us] of selfUs) {
  const node = byId.get(id)!;
  const { functionName, url, lineNumber } = node.callFrame;
  const name = functionName || '(anonymous)';
  if (name === '(idle)' || name === '(program)') continue;
  total += us;
  const key = `${name}  ${url ? `${shortUrl(url)}:${lineNumber + 1}` : ''}`;
  functions.set(key, (functions.get(key) ?? 0) + us);
  const source = sourceOf(url, name);
  sources.set(source, (sources.get(source) ?? 0) + us);
}
// Inclusive time: a sample counts for a function when the function is anywhere on the sample's stack.
const parent = new Map<number, number>();
for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
const inclusiveNames = (process.argv[process.argv.indexOf('--inclusive') + 1] ?? '').split(',').filter((n) => process.argv.includes('--inclusive') && n !== '');
const inclusive = new Map<string, number>();
for (const [id, us] of selfUs) {
  const seen = new Set<string>();
  for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
    const { functionName, url } = byId.get(at)!.callFrame;
    if (url.includes('/dist/') && inclusiveNames.includes(functionName) && !seen.has(functionName)) {
      seen.add(functionName);
      inclusive.set(functionName, (inclusive.get(functionName) ?? 0) + us);
    }
  }
}

const pct = (us: number) => `${((100 * us) / total).toFixed(1).padStart(5)} %`;
console.log(`busy time (without idle and program): ${(total / 1e6).toFixed(2)} s`);
console.log('\nself time by source');
for (const [source, us] of [...sources].sort((a, b) => b[1] - a[1])) console.log(`${pct(us)}  ${(us / 1000).toFixed(0).padStart(7)} ms  ${source}`);
console.log(`\ntop ${TOP} functions by self time`);
for (const [key, us] of [...functions].sort((a, b) => b[1] - a[1]).slice(0, TOP)) console.log(`${pct(us)}  ${(us / 1000).toFixed(0).padStart(7)} ms  ${key}`);
if (inclusiveNames.length > 0) {
  console.log('\ninclusive time (self and callees)');
  for (const name of inclusiveNames) console.log(`${pct(inclusive.get(name) ?? 0)}  ${((inclusive.get(name) ?? 0) / 1000).toFixed(0).padStart(7)} ms  ${name}`);
}
