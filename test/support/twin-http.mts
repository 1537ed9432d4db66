/**
 * Talking to a twin in a Node-RED child process over HTTP: the flows of the fault tests put `http in` nodes in front
 * of twin-state commands (POST /api/twin/<command>) and of counters kept in flow context (GET /api/counts).
 */
import type { NodeRedProcess } from './node-red-process.mts';

export async function postJson(nr: Pick<NodeRedProcess, 'url'>, path: string, body: unknown): Promise<any> {
  const res = await fetch(new URL(`api/${path}`, nr.url), { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const text = await res.text();
  if (res.status !== 200) throw new Error(`${path}: ${res.status} ${text}`);
  return JSON.parse(text);
}

export async function getJson(nr: Pick<NodeRedProcess, 'url'>, path: string): Promise<any> {
  const res = await fetch(new URL(`api/${path}`, nr.url));
  const text = await res.text();
  if (res.status !== 200) throw new Error(`${path}: ${res.status} ${text}`);
  return JSON.parse(text);
}

/** A Node-RED function node (core) on tab `z`. */
export function functionNode(id: string, z: string, func: string, wires: string[][] = [[]]): Record<string, unknown> {
  return { id, type: 'function', z, name: id, func, outputs: wires.length, timeout: 0, noerr: 0, initialize: '', finalize: '', libs: [], x: 300, y: 300, wires };
}

/**
 * Nodes that answer twin-state commands over HTTP: POST /api/twin/<command> with the command's payload as the body,
 * answered by a second twin-state node on the same definition (so the ingesting node's snapshots go nowhere near
 * the HTTP response). Errors answer 400 with the message.
 */
export function twinCommandNodes(z: string, definition: string, prefix = 'cmd'): Array<Record<string, unknown>> {
  return [
    { id: `${prefix}-in`, type: 'http in', z, url: '/twin/:topic', method: 'post', x: 100, y: 400, wires: [[`${prefix}-topic`]] },
    { id: `${prefix}-topic`, type: 'change', z, rules: [{ t: 'set', p: 'topic', pt: 'msg', to: 'req.params.topic', tot: 'msg' }], x: 300, y: 400, wires: [[`${prefix}-state`]] },
    { id: `${prefix}-state`, type: 'twin-state', z, definition, throttleMs: '0', includeStatistics: false, x: 500, y: 400, wires: [[`${prefix}-response`], []] },
    { id: `${prefix}-response`, type: 'http response', z, statusCode: '', x: 700, y: 400, wires: [] },
    { id: `${prefix}-catch`, type: 'catch', z, scope: [`${prefix}-state`], x: 500, y: 500, wires: [[`${prefix}-400`]] },
    {
      id: `${prefix}-400`,
      type: 'change',
      z,
      rules: [
        { t: 'set', p: 'statusCode', pt: 'msg', to: '400', tot: 'num' },
        { t: 'set', p: 'payload', pt: 'msg', to: 'error.message', tot: 'msg' },
      ],
      x: 700,
      y: 500,
      wires: [[`${prefix}-response`]],
    },
  ];
}

/**
 * Nodes that count into flow context and answer GET /api/counts: messages wired into `count` are counted as
 * `delivered` (those of asset "probe", which tests send to see a subscription work, as `probes`); a Catch node on `catchScope` counts errors and keeps the first 20 messages.
 */
export function counterNodes(z: string, catchScope: string[] | null): Array<Record<string, unknown>> {
  return [
    functionNode(
      'count',
      z,
      "const key = msg.payload && msg.payload.assetId === 'probe' ? 'probes' : 'delivered';\nflow.set(key, (flow.get(key) || 0) + 1);\nreturn null;",
    ),
    { id: 'errors-catch', type: 'catch', z, scope: catchScope, uncaught: false, x: 100, y: 600, wires: [['errors']] },
    functionNode(
      'errors',
      z,
      "flow.set('errorCount', (flow.get('errorCount') || 0) + 1);\nconst list = flow.get('errors') || [];\nif (list.length < 20) list.push(msg.error && msg.error.message);\nflow.set('errors', list);\nreturn null;",
    ),
    { id: 'counts-in', type: 'http in', z, url: '/counts', method: 'get', x: 100, y: 700, wires: [['counts']] },
    functionNode(
      'counts',
      z,
      "msg.payload = { delivered: flow.get('delivered') || 0, probes: flow.get('probes') || 0, errorCount: flow.get('errorCount') || 0, errors: flow.get('errors') || [] };\nreturn msg;",
      [['counts-response']],
    ),
    { id: 'counts-response', type: 'http response', z, statusCode: '', x: 500, y: 700, wires: [] },
  ];
}
