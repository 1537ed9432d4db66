/**
 * The restart scenario of issue 5 in a real Node-RED process with the localfilesystem context store:
 * stop Node-RED, start it again, and the twin is back.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startNodeRedProcess, type NodeRedProcess } from '../support/node-red-process.mts';
import { tempDir, until } from '../support/red.mts';

const CONTEXT = { default: { module: 'memory' }, file: { module: 'localfilesystem', config: { flushInterval: 1 } } };
/** This package's file store: localfilesystem underneath, plus it moves a damaged file aside instead of refusing to start. */
const SAFE_CONTEXT = { default: { module: 'memory' }, file: { module: 'twinflow-file', config: { flushInterval: 1 } } };

/** A flow that feeds twin-state over HTTP: POST /telemetry, POST /command/<topic>; answers with the snapshot. */
function flow(contextStore: string) {
  const z = 'tab';
  return [
    { id: z, type: 'tab', label: 'persistence' },
    { id: 'def', type: 'twin-definition', assetClass: 'pump', historyPoints: '500', acceptUndeclared: true, contextStore,
      signals: [{ name: 'speed', unit: 'rpm', min: 0, max: 3000 }, { name: 'flow', unit: 'm3/h' }],
      actuationPoints: [{ name: 'speed', unit: 'rpm', min: 0, max: 1800, tolerance: 5 }] },
    { id: 'telemetry', type: 'http in', z, url: '/telemetry', method: 'post', x: 100, y: 100, wires: [['state']] },
    { id: 'command', type: 'http in', z, url: '/command/:topic', method: 'post', x: 100, y: 200, wires: [['topic']] },
    { id: 'topic', type: 'change', z, rules: [{ t: 'set', p: 'topic', pt: 'msg', to: 'req.params.topic', tot: 'msg' }], x: 300, y: 200, wires: [['state']] },
    { id: 'state', type: 'twin-state', z, definition: 'def', throttleMs: '0', x: 500, y: 150, wires: [['response'], []] },
    { id: 'response', type: 'http response', z, statusCode: '', x: 700, y: 150, wires: [] },
    { id: 'catch', type: 'catch', z, scope: ['state'], x: 500, y: 300, wires: [['status500']] },
    // twin-state's status as the editor shows it: GET /status.
    { id: 'status', type: 'status', z, scope: ['state'], x: 100, y: 400, wires: [['keepStatus']] },
    { id: 'keepStatus', type: 'change', z, rules: [{ t: 'set', p: 'twinStateStatus', pt: 'global', to: 'status.text', tot: 'msg' }], x: 300, y: 400, wires: [[]] },
    { id: 'statusIn', type: 'http in', z, url: '/status', method: 'get', x: 100, y: 450, wires: [['statusOut']] },
    { id: 'statusOut', type: 'change', z, rules: [{ t: 'set', p: 'payload', pt: 'msg', to: 'twinStateStatus', tot: 'global' }], x: 300, y: 450, wires: [['response']] },
    { id: 'status500', type: 'change', z, rules: [{ t: 'set', p: 'statusCode', pt: 'msg', to: '400', tot: 'num' }, { t: 'set', p: 'payload', pt: 'msg', to: 'error.message', tot: 'msg' }], x: 700, y: 300, wires: [['response']] },
  ];
}

/** simulator → twin-state → twin-model, kept in the file store; GET /model answers the model's outputs since the start. */
function modelFlow() {
  const z = 'tab';
  return [
    { id: z, type: 'tab', label: 'model across restarts' },
    { id: 'def', type: 'twin-definition', assetClass: 'pump', historyPoints: '2000', acceptUndeclared: true, contextStore: 'file', signals: [] },
    // One plant minute per 50 ms reading: 30 plant minutes of settling and 30 of healthy window take 3 s.
    { id: 'sim', type: 'twin-simulator', z, model: 'centrifugal-pump', assetCount: '1', assetPrefix: 'pump-', intervalMs: '50', timeScale: '1200', seed: '7', speed: '1480', frictionGrowth: '0', noise: '0.5', autoStart: true, wires: [['state'], []] },
    { id: 'state', type: 'twin-state', z, definition: 'def', wires: [['model'], []] },
    { id: 'model', type: 'twin-model', z, definition: 'def', model: 'pump-physics', healthyWindow: '30', timeScale: '1200', wires: [['keep']] },
    { id: 'keep', type: 'function', z, func: "const seen = global.get('models') || []; seen.push({ ts: msg.payload.ts, learning: msg.payload.learning }); global.set('models', seen); return null;", outputs: 1, wires: [[]] },
    { id: 'modelIn', type: 'http in', z, url: '/model', method: 'get', wires: [['modelOut']] },
    { id: 'modelOut', type: 'change', z, rules: [{ t: 'set', p: 'payload', pt: 'msg', to: 'models', tot: 'global' }], wires: [['modelResponse']] },
    { id: 'modelResponse', type: 'http response', z, statusCode: '', wires: [] },
  ];
}

async function modelOutputs(nr: NodeRedProcess, enough: (outputs: Array<{ ts: number; learning: boolean }>) => boolean): Promise<Array<{ ts: number; learning: boolean }>> {
  for (let i = 0; i < 200; i++) {
    // An empty answer until the model's first output.
    const text = await (await fetch(new URL('api/model', nr.url))).text();
    const outputs = (text === '' ? null : JSON.parse(text)) as Array<{ ts: number; learning: boolean }> | null;
    if (outputs && enough(outputs)) return outputs;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('timed out waiting for twin-model');
}

async function post(nr: NodeRedProcess, path: string, body: unknown): Promise<any> {
  const res = await fetch(new URL(`api/${path}`, nr.url), { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const text = await res.text();
  if (res.status !== 200) throw new Error(`${path}: ${res.status} ${text}`);
  return JSON.parse(text);
}

function findContextFile(dir: string): string | undefined {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) {
      const found = findContextFile(path);
      if (found) return found;
    } else if (name.endsWith('.json') && readFileSync(path, 'utf8').includes('twinflow-twin-1')) {
      return path;
    }
  }
  return undefined;
}

describe('twin persistence through Node-RED restarts (localfilesystem context store)', function () {
  this.timeout(120_000);
  let dir: ReturnType<typeof tempDir>;
  let nr: NodeRedProcess | undefined;

  beforeEach(() => {
    dir = tempDir('twin-persist');
    writeFileSync(join(dir.path, 'flows.json'), JSON.stringify(flow('file')));
  });
  afterEach(async () => {
    await nr?.kill();
    nr = undefined;
    dir.remove();
  });

  const start = async (contextStorage: Record<string, unknown> = CONTEXT) => (nr = await startNodeRedProcess({ userDir: dir.path, flowFile: 'flows.json', contextStorage }));

  it('brings back latest values, history, statistics, desired values, versions and the maintenance log', async () => {
    await start();
    const t0 = Date.now() - 100_000;
    for (let i = 0; i < 60; i++) await post(nr!, 'telemetry', { assetId: 'pump-1', ts: t0 + i * 1000, signals: { speed: 1400 + i, flow: 150 + i / 10 } });
    await post(nr!, 'telemetry', { assetId: 'pump-2', ts: t0, signals: { speed: 1000 } });
    await post(nr!, 'command/desired', { assetId: 'pump-1', point: 'speed', value: 1300, ttl: 3600 });
    const before = await post(nr!, 'command/maintenance', { assetId: 'pump-1', kind: 'part-replaced', part: 'bearing A', by: 'test' });
    const historyBefore = await post(nr!, 'command/history', { assetId: 'pump-1', signal: 'speed' });
    assert.equal(historyBefore.values.length, 60);
    assert.equal(await nr!.stop(), 0);

    await start();
    const after = await post(nr!, 'command/snapshot', { assetId: 'pump-1' });
    assert.deepEqual(after, before);
    assert.equal(after.desired.speed.value, 1300);
    assert.equal(after.lastMaintenance.part, 'bearing A');
    assert.deepEqual(await post(nr!, 'command/history', { assetId: 'pump-1', signal: 'speed' }), historyBefore);
    assert.equal((await post(nr!, 'command/snapshot', { assetId: 'pump-2' })).signals.speed.value, 1000);
    assert.match(nr!.output(), /restored 2 assets from context store "file"/);

    // And it keeps going: the next update continues the version count.
    const next = await post(nr!, 'telemetry', { assetId: 'pump-1', ts: t0 + 61_000, signals: { speed: 1470 } });
    assert.equal(next.version, before.version + 1);
  });

  it('a full redeploy that changes the twin definition keeps every asset saved, not only those updated after it', async () => {
    await start();
    const t0 = Date.now() - 100_000;
    await post(nr!, 'telemetry', { assetId: 'pump-1', ts: t0, signals: { speed: 1400 } });
    await post(nr!, 'telemetry', { assetId: 'pump-2', ts: t0, signals: { speed: 1000 } });
    await post(nr!, 'command/maintenance', { assetId: 'pump-2', kind: 'inspection', by: 'test' });
    // Deploy the flows again with a longer history (the definition keeps its store across the redeploy).
    const flows = flow('file').map((n: any) => (n.id === 'def' ? { ...n, historyPoints: '600' } : n));
    const res = await fetch(new URL('flows', nr!.url), { method: 'POST', headers: { 'content-type': 'application/json', 'Node-RED-Deployment-Type': 'full' }, body: JSON.stringify(flows) });
    assert.equal(res.status, 204, await res.text());
    await new Promise((r) => setTimeout(r, 500));
    // Only pump-1 changes after the redeploy; pump-2 must stay saved as it was.
    await post(nr!, 'telemetry', { assetId: 'pump-1', ts: t0 + 1000, signals: { speed: 1410 } });
    await new Promise((r) => setTimeout(r, 2500));
    assert.equal(await nr!.stop(), 0);

    await start();
    assert.match(nr!.output(), /restored 2 assets from context store "file"/);
    const pump2 = await post(nr!, 'command/snapshot', { assetId: 'pump-2' });
    assert.equal(pump2.signals.speed.value, 1000);
    assert.equal(pump2.lastMaintenance.kind, 'inspection');
  });

  it('starts empty with a clear warning when the saved twin is unreadable, and never crashes', async () => {
    await start();
    await post(nr!, 'telemetry', { assetId: 'pump-1', ts: Date.now(), signals: { speed: 1400 } });
    await post(nr!, 'telemetry', { assetId: 'pump-2', ts: Date.now(), signals: { speed: 1200 } });
    assert.equal(await nr!.stop(), 0);

    // Damage one asset's history, then the whole saved twin.
    const file = findContextFile(join(dir.path, 'context'));
    assert.ok(file, 'the twin was saved in a context file');
    const saved = JSON.parse(readFileSync(file, 'utf8'));
    saved.twin.assets['pump-1'].signals.speed.history.ts = 'AAAA';
    const damaged = saved.twin.assets['pump-1'];
    writeFileSync(file, JSON.stringify(saved));
    await start();
    assert.match(nr!.output(), /saved twin data: asset pump-1, signal speed: history data has a broken length: asset pump-1 starts empty \(its saved data is kept as it was, under "twin.unreadable.assets"\)/);
    assert.equal((await post(nr!, 'command/snapshot', { assetId: 'pump-2' })).signals.speed.value, 1200, 'the other asset is restored');
    // The saves that follow keep the damaged asset aside instead of dropping it (it can be mended by hand).
    await post(nr!, 'telemetry', { assetId: 'pump-2', ts: Date.now(), signals: { speed: 1210 } });
    await new Promise((r) => setTimeout(r, 2500));
    assert.equal(await nr!.stop(), 0);
    const resaved = JSON.parse(readFileSync(file, 'utf8'));
    assert.deepEqual(resaved.twin.unreadable.assets['pump-1'], damaged);
    assert.equal(resaved.twin.assets['pump-1'], undefined);
    assert.ok(resaved.twin.assets['pump-2']);

    saved.twin = { format: 'something else' };
    writeFileSync(file, JSON.stringify(saved));
    await start();
    assert.match(nr!.output(), /is not in a format this version reads; starting empty/);
    const res = await fetch(new URL('api/command/snapshot', nr!.url), { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"assetId":"pump-2"}' });
    assert.equal(res.status, 400);
    assert.match(await res.text(), /unknown asset "pump-2"/);
    // Still ingesting.
    assert.equal((await post(nr!, 'telemetry', { assetId: 'pump-3', ts: Date.now(), signals: { speed: 900 } })).signals.speed.value, 900);
  });

  it('with the twinflow file store, a context file that is not JSON is moved aside and the twin starts empty', async () => {
    await start(SAFE_CONTEXT);
    await post(nr!, 'telemetry', { assetId: 'pump-1', ts: Date.now(), signals: { speed: 1400 } });
    assert.equal(await nr!.stop(), 0);
    const file = findContextFile(join(dir.path, 'context'));
    assert.ok(file, 'the twin was saved in a context file');
    writeFileSync(file, '{"twin": {"format": "twinflow-twin-1", "assets": {"pump-1": {trunc');

    await start(SAFE_CONTEXT);
    assert.match(nr!.output(), /a context file was not valid JSON and was moved to .*\.json\.corrupt-/);
    assert.ok(readdirSync(join(file, '..')).some((f) => f.includes('.json.corrupt-')), 'the damaged file is kept for inspection');
    const res = await fetch(new URL('api/command/snapshot', nr!.url), { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"assetId":"pump-1"}' });
    assert.equal(res.status, 400, 'the twin starts empty');
    assert.equal((await post(nr!, 'telemetry', { assetId: 'pump-1', ts: Date.now(), signals: { speed: 1410 } })).version, 1);
    assert.equal(await nr!.stop(), 0);
    await start(SAFE_CONTEXT);
    assert.equal((await post(nr!, 'command/snapshot', { assetId: 'pump-1' })).signals.speed.value, 1410, 'and is saved again from then on');
  });

  it('a Keep in store that settings.js does not have is an error, and twin-state\'s status says the twin is not kept', async () => {
    writeFileSync(join(dir.path, 'flows.json'), JSON.stringify(flow('disk')));
    await start();
    await post(nr!, 'telemetry', { assetId: 'pump-1', ts: Date.now(), signals: { speed: 1400 } });
    assert.match(nr!.output(), /context store "disk" \(Keep in\) is not configured in settings.js \(contextStorage: default, file\): the twin is kept in memory only and is lost at a restart/);
    let status = '';
    for (let i = 0; i < 50 && !/not kept/.test(status); i++) {
      await new Promise((r) => setTimeout(r, 100));
      status = await (await fetch(new URL('api/status', nr!.url))).text();
    }
    assert.match(status, /^1 asset · [\d.]+\/s · not kept: Keep in store not configured$/);
  });

  it('a saved twin that cannot be read is never written over: the twin runs unsaved, says so, and a full deploy reads it again and merges', async () => {
    const storeFile = join(dir.path, 'flaky-store.json');
    const failReads = join(dir.path, 'fail-reads');
    const flaky = { default: { module: 'memory' }, flaky: { module: join(import.meta.dirname, '..', 'support', 'flaky-context-store.cjs'), config: { path: storeFile, failReads } } };
    writeFileSync(join(dir.path, 'flows.json'), JSON.stringify(flow('flaky')));
    const status = async (wanted: RegExp): Promise<string> => {
      let text = '';
      for (let i = 0; i < 50 && !wanted.test(text); i++) {
        await new Promise((r) => setTimeout(r, 100));
        text = await (await fetch(new URL('api/status', nr!.url))).text();
      }
      return text;
    };
    const saved = (): string => (existsSync(storeFile) ? readFileSync(storeFile, 'utf8') : '');
    await start(flaky);
    await post(nr!, 'telemetry', { assetId: 'pump-1', ts: Date.now() - 5000, signals: { speed: 1400 } });
    await until(() => saved().includes('pump-1'), 5000, 'pump-1 saved');
    assert.equal(await nr!.stop(), 0);
    const before = saved();

    // The store cannot be read at the next start (a database not up yet): the twin starts empty, runs, saves nothing.
    writeFileSync(failReads, '');
    await start(flaky);
    assert.match(nr!.output(), /could not read the saved twin from context store "flaky": the store cannot be reached \(test\); the twin starts empty and is not saved until a redeploy reads it/);
    await post(nr!, 'telemetry', { assetId: 'pump-2', ts: Date.now() - 5000, signals: { speed: 1000 } });
    assert.match(await status(/not saved/), /^1 asset · [\d.]+\/s · not saved: saved twin unreadable \(a full deploy reads it again\)$/);
    await new Promise((r) => setTimeout(r, 2500)); // more than two save intervals
    assert.equal(saved(), before, 'what was saved is untouched');

    // The store is back; a full deploy reads the saved twin again and merges what arrived meanwhile.
    rmSync(failReads);
    const flows = JSON.parse(readFileSync(join(dir.path, 'flows.json'), 'utf8'));
    const res = await fetch(new URL('flows', nr!.url), { method: 'POST', headers: { 'content-type': 'application/json', 'Node-RED-Deployment-Type': 'full' }, body: JSON.stringify(flows) });
    assert.equal(res.status, 204, await res.text());
    await until(() => /restored 1 assets from context store "flaky"/.test(nr!.output()), 10_000, 'the restore');
    assert.equal((await post(nr!, 'command/snapshot', { assetId: 'pump-1' })).signals.speed.value, 1400);
    assert.equal((await post(nr!, 'command/snapshot', { assetId: 'pump-2' })).signals.speed.value, 1000);
    await until(() => saved().includes('pump-1') && saved().includes('pump-2'), 5000, 'both saved');
    await post(nr!, 'telemetry', { assetId: 'pump-1', ts: Date.now(), signals: { speed: 1410 } });
    assert.match(await status(/^2 assets/), /^2 assets · [\d.]+\/s$/, 'saved again: the status no longer says otherwise');
  });

  it('a redeploy with a shorter History or fewer signals warns of what it dropped; a removed signal takes no more readings', async () => {
    await start();
    const t0 = Date.now() - 100_000;
    for (let i = 0; i < 30; i++) await post(nr!, 'telemetry', { assetId: 'pump-1', ts: t0 + i * 1000, signals: { speed: 1400 + i, flow: 150 } });
    const flows = flow('file').map((n: any) => (n.id === 'def' ? { ...n, historyPoints: '10', acceptUndeclared: false, signals: [n.signals[0]] } : n));
    const res = await fetch(new URL('flows', nr!.url), { method: 'POST', headers: { 'content-type': 'application/json', 'Node-RED-Deployment-Type': 'nodes' }, body: JSON.stringify(flows) });
    assert.equal(res.status, 204, await res.text());
    await until(() => /dropped the oldest/.test(nr!.output()), 5000, 'the warning');
    assert.match(nr!.output(), /the shorter History \(10 points\) dropped the oldest 40 history points of 2 signals; a longer History later does not bring them back/);
    assert.match(nr!.output(), /signals no longer declared stay in the twin with their history until a reset: flow; they take no more readings/);
    const after = await post(nr!, 'telemetry', { assetId: 'pump-1', ts: t0 + 31_000, signals: { speed: 1500, flow: 10 } });
    assert.equal(after.signals.speed.value, 1500);
    assert.equal(after.signals.flow.value, 150, 'flow kept what it had and took no more');
  });

  it('twin-model keeps what it learned of the healthy pump across a restart: it monitors on after settling, without a new healthy window', async () => {
    writeFileSync(join(dir.path, 'flows.json'), JSON.stringify(modelFlow()));
    await start();
    const before = await modelOutputs(nr!, (outputs) => outputs.some((o) => !o.learning));
    const learnedAfter = before.find((o) => !o.learning)!.ts - before[0]!.ts;
    await new Promise((r) => setTimeout(r, 1500)); // the file store's flush
    assert.equal(await nr!.stop(), 0);

    await start();
    const after = await modelOutputs(nr!, (outputs) => outputs.some((o) => !o.learning));
    const monitoringAfter = after.find((o) => !o.learning)!.ts - after[0]!.ts;
    assert.match(nr!.output(), /kept what it learned of 1 assets \(pump-1\): monitoring on, no new healthy window/);
    // Settling (30 plant minutes, 1.5 s) is all; the first start also learned 30 plant minutes of healthy window.
    assert.ok(monitoringAfter < learnedAfter - 700, `monitoring ${monitoringAfter} ms after the restart, learning took ${learnedAfter} ms`);
  });

  it('starts empty without a saved twin, and persists nothing when no context store is chosen', async () => {
    writeFileSync(join(dir.path, 'flows.json'), JSON.stringify(flow('')));
    await start();
    await post(nr!, 'telemetry', { assetId: 'pump-1', ts: Date.now(), signals: { speed: 1400 } });
    assert.equal(await nr!.stop(), 0);
    await start();
    const res = await fetch(new URL('api/command/snapshot', nr!.url), { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"assetId":"pump-1"}' });
    assert.equal(res.status, 400);
    assert.doesNotMatch(nr!.output(), /warn.*twin/i);
  });
});
