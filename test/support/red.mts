/** Node-RED test runtime (node-red-node-test-helper on the real Node-RED 5) and this package's built nodes. */
import { createRequire } from 'node:module';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const require = createRequire(import.meta.url);

export interface TestHelper {
  init(runtimePath: string, settings?: Record<string, unknown>): void;
  settings(settings: Record<string, unknown>): Record<string, unknown>;
  load(nodes: unknown, flow: unknown[], credentials?: Record<string, unknown>): Promise<void>;
  unload(): Promise<void>;
  getNode(id: string): TestNode;
  startServer(): Promise<void>;
  stopServer(): Promise<void>;
  clearFlows(): Promise<void>;
  log(): { args: unknown[][] };
  /** supertest bound to the runtime's admin app (`RED.httpAdmin`), for admin HTTP endpoints. */
  request(): any;
  /** Deploys a new flow into the running runtime: 'full', 'flows' or 'nodes' (modified nodes only). */
  setFlows(flow: unknown[], type?: 'full' | 'flows' | 'nodes', credentials?: Record<string, unknown>): Promise<void>;
}

export interface TestNode {
  id: string;
  on(event: string, listener: (...args: any[]) => void): void;
  receive(msg: Record<string, unknown>): void;
  status: any;
  [key: string]: any;
}

export const helper = require('node-red-node-test-helper') as TestHelper;
helper.init(require.resolve('node-red'));

const dist = (name: string) => require(`../../dist/nodes/${name}/${name}.js`) as unknown;

const core = (path: string) => require(require.resolve(`@node-red/nodes/core/${path}`, { paths: [require.resolve('node-red')] })) as unknown;

/** Node-RED's own Catch and Complete nodes: the helper does not preload them on Node-RED 5. */
export const coreNodes = {
  catch: core('common/25-catch.js'),
  complete: core('common/24-complete.js'),
  status: core('common/25-status.js'),
  mqtt: core('network/10-mqtt.js'),
  change: core('function/15-change.js'),
  inject: core('common/20-inject.js'),
  comment: core('common/90-comment.js'),
};

export const nodes = {
  definition: dist('twin-definition'),
  state: dist('twin-state'),
  simulator: dist('twin-simulator'),
  mqttBroker: dist('twin-mqtt-broker'),
  mqttIn: dist('twin-mqtt-in'),
  opcuaEndpoint: dist('twin-opcua-endpoint'),
  opcuaIn: dist('twin-opcua-in'),
  sensor: dist('twin-sensor'),
  actuator: dist('twin-actuator'),
  model: dist('twin-model'),
  rul: dist('twin-rul'),
  whatIf: dist('twin-what-if'),
};

/** Starts the test runtime with Node-RED's `userDir` set (where nodes write model files and uploads land). */
export async function startServerIn(userDir: string): Promise<void> {
  helper.settings({ userDir });
  await helper.startServer();
}

/** Unloads the flows, stops the runtime and forgets the `userDir` of `startServerIn`. */
export async function stopServerIn(): Promise<void> {
  await helper.unload();
  await helper.stopServer();
  helper.settings({ userDir: undefined });
}

/** A fresh temporary folder, removed by the returned function. */
export function tempDir(prefix: string): { path: string; remove(): void } {
  const path = mkdtempSync(join(tmpdir(), `${prefix}-`));
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
}

/** Resolves with the first message (or event args) matching `predicate`, or rejects after `ms`. */
export function nextMessage<T = Record<string, any>>(node: TestNode, predicate: (msg: T) => boolean = () => true, ms = 5000, event = 'input'): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no matching ${event} on ${node.id} within ${ms} ms`)), ms);
    node.on(event, (msg: T) => {
      try {
        if (!predicate(msg)) return;
      } catch {
        return;
      }
      clearTimeout(timer);
      resolve(msg);
    });
  });
}

/** A unique id, so twin stores (which outlive redeploys by design) never leak between tests. */
let counter = 0;
export function uid(prefix: string): string {
  counter += 1;
  return `${prefix}-${process.pid}-${counter}`;
}

/** Every message a (helper) node receives, in order, as it arrives. */
export function collect(node: TestNode): any[] {
  const seen: any[] = [];
  node.on('input', (msg: any) => seen.push(msg));
  return seen;
}

/**
 * What one node passed to a spied method (`error`, `warn`, `log`, `status`), first argument of each call, oldest
 * first. The test runtime spies on the shared prototype, so the calls of all nodes are mixed: told apart here by the
 * node each was made on.
 */
export function callsOn(node: TestNode, method: 'error' | 'warn' | 'log' | 'status'): any[] {
  return (node as any)[method].getCalls().filter((call: any) => call.thisValue === node).map((call: any) => call.args[0]);
}

/** The same as text (errors and warnings). */
export function textsOn(node: TestNode, method: 'error' | 'warn' | 'log'): string[] {
  return callsOn(node, method).map(String);
}

/** Waits until `condition` is true, polling every 20 ms. */
export async function until(condition: () => boolean, ms = 5000, what = 'condition'): Promise<void> {
  const start = Date.now();
  while (!condition()) {
    if (Date.now() - start > ms) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Puts nodes on one flow tab, as the editor does: Catch, Status and Complete nodes only see nodes of their tab. */
const CONFIG_TYPES = new Set(['twin-definition', 'twin-mqtt-broker', 'twin-opcua-endpoint', 'mqtt-broker']);
export function onTab(flowNodes: Array<Record<string, unknown>>): Array<Record<string, unknown>> {
  // Node-RED tells flow nodes from config nodes by their x/y position.
  return [
    { id: 'tab', type: 'tab', label: 'test' },
    ...flowNodes.map((n) => (CONFIG_TYPES.has(n.type as string) ? n : { z: 'tab', x: 100, y: 100, ...n })),
  ];
}

/**
 * An example flow from examples/ as a user imports it, with debug nodes swapped for test helpers (so a test sees what
 * the debug sidebar would show) and a fresh definition id (twins outlive redeploys by design).
 */
export function importExample(file: string, edit: (node: Record<string, any>) => void = () => {}): Array<Record<string, any>> {
  const flow = JSON.parse(readFileSync(join(import.meta.dirname, '..', '..', 'examples', file), 'utf8')) as Array<Record<string, any>>;
  const def = flow.find((n) => n.type === 'twin-definition');
  const fresh = uid('def');
  for (const node of flow) {
    if (node.type === 'debug') node.type = 'helper';
    if (def && node.definition === def.id) node.definition = fresh;
    edit(node);
  }
  if (def) def.id = fresh;
  return flow;
}
