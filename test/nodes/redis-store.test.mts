/**
 * This package's Redis store against a real redis-server (with a password): as a Node-RED context store, as the
 * twin's store across a restart, and shared by two Node-RED processes (readings and commands of an asset reach its
 * owner; reads of an asset another instance owns are answered from Redis).
 */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { startNodeRedProcess, type NodeRedProcess } from '../support/node-red-process.mts';
import { tempDir } from '../support/red.mts';
import { RedisServer } from '../support/redis.mts';

const require = createRequire(import.meta.url);
const PASSWORD = 'redis-secret-4711';

/** twin-state behind HTTP: POST /telemetry (answered at once), POST /command/<topic> (answered with what twin-state sends, 400 on errors). */
function flow() {
  const z = 'tab';
  return [
    { id: z, type: 'tab', label: 'redis' },
    { id: 'def', type: 'twin-definition', assetClass: 'pump', historyPoints: '100', acceptUndeclared: true, contextStore: 'redis', signals: [{ name: 'flow', unit: 'm3/h' }] },
    // A reading of an asset another instance owns (or one being claimed) is taken in later, or elsewhere: the POST
    // is answered at once, and snapshots are asked for.
    { id: 'telemetry', type: 'http in', z, url: '/telemetry', method: 'post', x: 100, y: 100, wires: [['state', 'ack']] },
    { id: 'state', type: 'twin-state', z, definition: 'def', throttleMs: '0', x: 300, y: 100, wires: [[], []] },
    { id: 'ack', type: 'change', z, rules: [{ t: 'set', p: 'payload', pt: 'msg', to: '{"ok":true}', tot: 'json' }], x: 300, y: 50, wires: [['response']] },
    { id: 'command', type: 'http in', z, url: '/command/:topic', method: 'post', x: 100, y: 200, wires: [['topic']] },
    { id: 'topic', type: 'change', z, rules: [{ t: 'set', p: 'topic', pt: 'msg', to: 'req.params.topic', tot: 'msg' }], x: 300, y: 200, wires: [['commands']] },
    { id: 'commands', type: 'twin-state', z, definition: 'def', throttleMs: '0', x: 500, y: 200, wires: [['response'], []] },
    { id: 'response', type: 'http response', z, statusCode: '', x: 700, y: 150, wires: [] },
    { id: 'catch', type: 'catch', z, scope: ['state', 'commands'], x: 500, y: 300, wires: [['status400']] },
    { id: 'status400', type: 'change', z, rules: [{ t: 'set', p: 'statusCode', pt: 'msg', to: '400', tot: 'num' }, { t: 'set', p: 'payload', pt: 'msg', to: 'error.message', tot: 'msg' }], x: 700, y: 300, wires: [['response']] },
  ];
}

async function post(nr: NodeRedProcess, path: string, body: unknown): Promise<{ status: number; body: any }> {
  const res = await fetch(new URL(`api/${path}`, nr.url), { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const text = await res.text();
  return { status: res.status, body: res.headers.get('content-type')?.includes('json') ? JSON.parse(text) : text };
}

async function eventually<T>(read: () => Promise<T>, ok: (value: T) => boolean, ms = 5000): Promise<T> {
  const deadline = Date.now() + ms;
  let value = await read();
  while (!ok(value) && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 100));
    value = await read();
  }
  return value;
}

describe('the Redis store (redis-server with a password)', function () {
  this.timeout(120_000);
  let redis: RedisServer | undefined;
  const dirs: Array<ReturnType<typeof tempDir>> = [];
  const running: NodeRedProcess[] = [];

  before(async () => {
    redis = await RedisServer.start({ password: PASSWORD });
  });
  afterEach(async () => {
    for (const nr of running.splice(0)) await nr.kill();
  });
  after(async () => {
    await redis?.dispose();
    for (const dir of dirs) dir.remove();
  });

  const start = async (instanceId: string, prefix: string, dir?: ReturnType<typeof tempDir>): Promise<{ nr: NodeRedProcess; dir: ReturnType<typeof tempDir> }> => {
    const userDir = dir ?? tempDir(`twin-redis-${instanceId}`);
    if (!dir) {
      dirs.push(userDir);
      writeFileSync(join(userDir.path, 'flows.json'), JSON.stringify(flow()));
    }
    const nr = await startNodeRedProcess({
      userDir: userDir.path,
      flowFile: 'flows.json',
      logLevel: 'info',
      contextStorage: { default: { module: 'memory' }, redis: { module: 'twinflow-redis', config: { url: redis!.url, password: PASSWORD, instanceId, prefix } } },
    });
    running.push(nr);
    return { nr, dir: userDir };
  };

  it('is a Node-RED context store: nested keys, several keys at once, keys, delete; asynchronous only', async () => {
    const redisStore = require('../../dist/context/redis-store.js') as (config: Record<string, unknown>) => any;
    const store = redisStore({ url: redis!.url, password: PASSWORD, prefix: 'ctx-test' });
    await store.open();
    try {
      const call = (method: string, ...args: unknown[]) =>
        new Promise<unknown[]>((resolve, reject) => store[method](...args, (err: Error | null, ...values: unknown[]) => (err ? reject(err) : resolve(values))));
      await call('set', 'flow-1', 'line', { speed: 1200, pumps: ['p1'] });
      await call('set', 'flow-1', 'line.speed', 1300);
      await call('set', 'flow-1', ['a', 'b'], [1, { c: 2 }]);
      assert.deepEqual(await call('get', 'flow-1', 'line'), [{ speed: 1300, pumps: ['p1'] }]);
      assert.deepEqual(await call('get', 'flow-1', ['line.pumps[0]', 'b.c', 'missing']), ['p1', 2, undefined]);
      assert.deepEqual(((await call('keys', 'flow-1'))[0] as string[]).sort(), ['a', 'b', 'line']);
      await call('set', 'flow-1', 'b', null);
      assert.deepEqual(await call('get', 'flow-1', 'b'), [null]);
      await call('set', 'flow-1', 'a', undefined);
      assert.deepEqual(((await call('keys', 'flow-1'))[0] as string[]).sort(), ['b', 'line']);
      await store.delete('flow-1');
      assert.deepEqual(await call('keys', 'flow-1'), [[]]);
      assert.throws(() => store.get('flow-1', 'line'), /asynchronous: pass a callback/);
    } finally {
      await store.close();
    }
    assert.throws(() => redisStore({ url: redis!.url, leaseTime: 'soon' }), /leaseTime must be a number of seconds above 0, got "soon"/);
  });

  it('keeps the twin across a restart, carries on from the saved version, and never shows the password', async () => {
    const prefix = `restart-${Date.now()}`;
    const first = await start('solo', prefix);
    for (let i = 0; i < 5; i++) assert.equal((await post(first.nr, 'telemetry', { assetId: 'pump-1', ts: Date.now() - 5000 + i * 1000, signals: { flow: 100 + i } })).status, 200);
    const before = await eventually(async () => (await post(first.nr, 'command/snapshot', { assetId: 'pump-1' })).body, (s) => s?.version === 5);
    assert.equal(before.version, 5);
    assert.equal((await post(first.nr, 'command/maintenance', { assetId: 'pump-1', kind: 'inspection', by: 'J. Doe' })).status, 200);
    const saved = (await post(first.nr, 'command/snapshot', { assetId: 'pump-1' })).body;
    await first.nr.stop();
    running.splice(running.indexOf(first.nr), 1);

    const second = await start('solo', prefix, first.dir);
    // Not owned by anyone after the clean stop: the answer comes from what Redis holds.
    const restored = (await post(second.nr, 'command/snapshot', { assetId: 'pump-1' })).body;
    assert.equal(restored.version, saved.version);
    assert.equal(restored.signals.flow.value, 104);
    assert.equal(restored.lastMaintenance.by, 'J. Doe');
    const history = (await post(second.nr, 'command/history', { assetId: 'pump-1', signal: 'flow' })).body;
    assert.deepEqual(history.values, [100, 101, 102, 103, 104]);
    // The next reading claims the asset and carries on from the saved state.
    const next = await post(second.nr, 'telemetry', { assetId: 'pump-1', ts: Date.now(), signals: { flow: 110 } });
    assert.equal(next.status, 200);
    const after = await eventually(
      async () => (await post(second.nr, 'command/snapshot', { assetId: 'pump-1' })).body,
      (s) => s.version === saved.version + 1,
    );
    assert.equal(after.version, saved.version + 1);
    assert.equal(after.signals.flow.value, 110);

    // Killed and started again at once under the same instance id: its lease may still be there (it is "ours"), yet
    // the twin comes from Redis, not from the new, empty memory.
    await new Promise((r) => setTimeout(r, 700)); // one write interval (0.5 s) and a little: the last reading is in Redis
    await second.nr.kill();
    running.splice(running.indexOf(second.nr), 1);
    const third = await start('solo', prefix, first.dir);
    assert.equal((await post(third.nr, 'telemetry', { assetId: 'pump-1', ts: Date.now(), signals: { flow: 120 } })).status, 200);
    const afterCrash = await eventually(async () => (await post(third.nr, 'command/snapshot', { assetId: 'pump-1' })).body, (s) => s?.signals?.flow?.value === 120);
    assert.equal(afterCrash.version, saved.version + 2);
    assert.equal(afterCrash.lastMaintenance.by, 'J. Doe');
    assert.deepEqual((await post(third.nr, 'command/history', { assetId: 'pump-1', signal: 'flow' })).body.values, [100, 101, 102, 103, 104, 110, 120]);

    const output = first.nr.output() + second.nr.output() + third.nr.output();
    assert.match(output, /sharing twin "pump" through Redis at redis:\/\/127\.0\.0\.1:\d+, instance solo/);
    assert.doesNotMatch(output, new RegExp(PASSWORD));
    assert.doesNotMatch(readFileSync(join(first.dir.path, 'flows.json'), 'utf8'), new RegExp(PASSWORD));
  });

  it('two instances: readings and commands of an asset go to its owner; the other answers reads from Redis', async () => {
    // One prefix for both: start them with the same store settings.
    const shared = `shared-${Date.now()}`;
    const startShared = async (instanceId: string): Promise<NodeRedProcess> => {
      const dir = tempDir(`twin-redis-${instanceId}`);
      dirs.push(dir);
      writeFileSync(join(dir.path, 'flows.json'), JSON.stringify(flow()));
      const nr = await startNodeRedProcess({
        userDir: dir.path,
        flowFile: 'flows.json',
        logLevel: 'warn',
        contextStorage: { default: { module: 'memory' }, redis: { module: 'twinflow-redis', config: { url: redis!.url, password: PASSWORD, instanceId, prefix: shared } } },
      });
      running.push(nr);
      return nr;
    };
    const a = await startShared('a');
    const b = await startShared('b');
    const t0 = Date.now() - 10_000;
    // a sees pump-7 first and owns it.
    assert.equal((await post(a, 'telemetry', { assetId: 'pump-7', ts: t0, signals: { flow: 50 } })).status, 200);
    const ownedByA = await eventually(async () => (await post(a, 'command/snapshot', { assetId: 'pump-7' })).body, (s) => s?.version === 1);
    assert.equal(ownedByA.version, 1);
    // A reading that reaches b is handed over to a.
    assert.equal((await post(b, 'telemetry', { assetId: 'pump-7', ts: t0 + 1000, signals: { flow: 51 } })).status, 200);
    const afterHandOver = await eventually(async () => (await post(a, 'command/snapshot', { assetId: 'pump-7' })).body, (s) => s.version === 2);
    assert.equal(afterHandOver.signals.flow.value, 51, 'the owner ingested the reading b received');
    // A command sent to b is carried out by a.
    const handed = await post(b, 'command/maintenance', { assetId: 'pump-7', kind: 'part-replaced', part: 'bearing A', by: 'K. Lee' });
    assert.deepEqual(handed.body, { assetId: 'pump-7', handedOver: true });
    const maintained = await eventually(async () => (await post(a, 'command/snapshot', { assetId: 'pump-7' })).body, (s) => s.lastMaintenance !== undefined);
    assert.equal(maintained.lastMaintenance.part, 'bearing A');
    // b answers reads of pump-7 from what a wrote to Redis (within a's write interval).
    const fromRedis = await eventually(async () => (await post(b, 'command/snapshot', { assetId: 'pump-7' })).body, (s) => s.lastMaintenance !== undefined);
    assert.equal(fromRedis.version, maintained.version);
    assert.equal(fromRedis.lastMaintenance.part, 'bearing A');
    const history = (await post(b, 'command/history', { assetId: 'pump-7', signal: 'flow' })).body;
    assert.deepEqual(history.values, [50, 51]);
    // An asset nobody has: a clear error, not a crash.
    const unknown = await post(b, 'command/snapshot', { assetId: 'pump-404' });
    assert.equal(unknown.status, 400);
    assert.match(unknown.body, /unknown asset "pump-404"/);
    // A clean stop of the owner gives its leases back at once: b takes pump-7 over well within the 3 s lease.
    await a.stop();
    running.splice(running.indexOf(a), 1);
    const stoppedAt = Date.now();
    assert.equal((await post(b, 'telemetry', { assetId: 'pump-7', ts: t0 + 2000, signals: { flow: 52 } })).status, 200);
    const takenOver = await eventually(async () => (await post(b, 'command/snapshot', { assetId: 'pump-7' })).body, (s) => s.signals?.flow?.value === 52);
    const handOverMs = Date.now() - stoppedAt;
    assert.equal(takenOver.version, maintained.version + 1, 'b carries on from what a wrote at its stop');
    assert.equal(takenOver.lastMaintenance.part, 'bearing A');
    assert.ok(handOverMs < 1500, `taken over ${handOverMs} ms after the owner stopped`);
  });

  it('Redis paused for twice the lease: no crash, no reading lost, the version carries on, each problem said once', async () => {
    const { nr } = await start('pause', `pause-${Date.now()}`);
    const t0 = Date.now() - 60_000;
    const reading = (i: number) => post(nr, 'telemetry', { assetId: 'pump-9', ts: t0 + i * 1000, signals: { flow: 10 + i } });
    for (let i = 0; i < 3; i++) assert.equal((await reading(i)).status, 200);
    assert.equal((await eventually(async () => (await post(nr, 'command/snapshot', { assetId: 'pump-9' })).body, (s) => s?.version === 3)).version, 3);
    process.kill(redis!.pid, 'SIGSTOP');
    try {
      // Two readings while the lease is still trusted, one after: that one waits for a claim Redis answers later.
      await reading(3);
      await reading(4);
      await new Promise((r) => setTimeout(r, 3500));
      await reading(5);
      await new Promise((r) => setTimeout(r, 2500));
    } finally {
      process.kill(redis!.pid, 'SIGCONT');
    }
    await reading(6);
    const after = await eventually(async () => (await post(nr, 'command/snapshot', { assetId: 'pump-9' })).body, (s) => s?.version === 7, 10_000);
    assert.equal(after.version, 7, 'every reading taken in once, the version carrying on');
    assert.deepEqual((await post(nr, 'command/history', { assetId: 'pump-9', signal: 'flow' })).body.values, [10, 11, 12, 13, 14, 15, 16]);
    const warnings = nr.output().split('\n').filter((line) => /\[warn\].*(could not|failed)/.test(line));
    assert.ok(warnings.length <= 5, `at most one warning per kind of problem, got:\n${warnings.join('\n')}`);
  });

  it('refuses a second twin definition of the same asset class in one store, with a clear error', async () => {
    const dir = tempDir('twin-redis-twice');
    dirs.push(dir);
    const second = { id: 'def2', type: 'twin-definition', assetClass: 'pump', historyPoints: '100', acceptUndeclared: true, contextStore: 'redis', signals: [{ name: 'flow' }] };
    writeFileSync(join(dir.path, 'flows.json'), JSON.stringify([...flow(), second]));
    const nr = await startNodeRedProcess({
      userDir: dir.path,
      flowFile: 'flows.json',
      logLevel: 'warn',
      contextStorage: { default: { module: 'memory' }, redis: { module: 'twinflow-redis', config: { url: redis!.url, password: PASSWORD, instanceId: 'twice', prefix: `twice-${Date.now()}` } } },
    });
    running.push(nr);
    await eventually(() => Promise.resolve(nr.output()), (out) => /another twin definition already shares asset class "pump"/.test(out));
    assert.match(nr.output(), /\[error\] \[twin-definition:def2?\] another twin definition already shares asset class "pump" through this Redis store/);
  });
});
