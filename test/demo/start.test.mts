/**
 * `npm start` as a user runs it: the demo serves the editor, lists the node types and produces twin snapshots, with the
 * pump model's health and every pump's remaining useful life in them.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createServer, type AddressInfo } from 'node:net';
import { readdirSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { startDemo, type RunningDemo } from '../support/demo.mts';
import { NODE_TYPES } from '../support/node-types.mts';
import { tempDir } from '../support/red.mts';


describe('npm start (the demo)', function () {
  this.timeout(90_000);
  let demo: RunningDemo;
  let startedAt: number;

  before(async () => {
    startedAt = Date.now();
    demo = await startDemo();
  });
  after(() => demo.dispose());

  it('lists every node type of the package on GET /nodes', async () => {
    const res = await fetch(new URL('nodes', demo.editorUrl), { headers: { Accept: 'application/json' } });
    assert.equal(res.status, 200);
    const sets = (await res.json()) as Array<{ module: string; types: string[]; err?: string }>;
    const ours = sets.filter((s) => s.module === '@twinflow/node-red-digital-twin');
    for (const set of ours) assert.equal(set.err, undefined, `${set.types.join()} failed to load: ${set.err}`);
    assert.deepEqual(ours.flatMap((s) => s.types).sort(), [...NODE_TYPES].sort());
  });

  it('produces twin snapshots from MQTT (pumps 1-3) and OPC UA (pump-4)', async () => {
    const client = await mqtt.connectAsync(demo.brokerUrl, { protocolVersion: 4 });
    try {
      const seen = new Map<string, any>();
      client.on('message', (topic, payload) => seen.set(topic, JSON.parse(payload.toString())));
      await client.subscribeAsync('twin/+/snapshot');
      const started = Date.now();
      while (seen.size < 4 && Date.now() - started < 30_000) await new Promise((r) => setTimeout(r, 100));
      console.log(`      (start to snapshots of all four pumps: ${((Date.now() - startedAt) / 1000).toFixed(1)} s)`);
      assert.deepEqual([...seen.keys()].sort(), ['pump-1', 'pump-2', 'pump-3', 'pump-4'].map((p) => `twin/${p}/snapshot`));
      const pump1 = seen.get('twin/pump-1/snapshot');
      assert.equal(pump1.assetClass, 'centrifugal pump');
      assert.ok(pump1.signals.bearingTemp.value > 30 && pump1.signals.bearingTemp.value < 120);
      assert.equal(seen.get('twin/pump-4/snapshot').signals.speed.unit, 'rpm');
      // The demo's pump model writes its health (learning at first) into the twins of pumps 1–3.
      const modelled = Date.now();
      while (seen.get('twin/pump-1/snapshot')?.health === undefined && Date.now() - modelled < 15_000) await new Promise((r) => setTimeout(r, 100));
      assert.equal(seen.get('twin/pump-1/snapshot').health.model, 'pump-physics');
      assert.equal(seen.get('twin/pump-4/snapshot').health, undefined, 'pump-4 (three signals over OPC UA) is not modelled');
      // twin-rul writes every pump's remaining life (the pump bearing model, in minutes of plant time) into the twin.
      const estimated = Date.now();
      const pumps = ['pump-1', 'pump-2', 'pump-3', 'pump-4'];
      while (!pumps.every((p) => seen.get(`twin/${p}/snapshot`)?.rul) && Date.now() - estimated < 20_000) await new Promise((r) => setTimeout(r, 100));
      console.log(`      (start to a remaining life in the snapshots of all four pumps: ${((Date.now() - startedAt) / 1000).toFixed(1)} s)`);
      for (const p of pumps) {
        const rul = seen.get(`twin/${p}/snapshot`)?.rul;
        assert.ok(rul, `${p} has a remaining life`);
        assert.deepEqual([rul.unit, rul.method], ['minutes', 'linear']);
        assert.ok(rul.lower <= rul.rul && rul.rul <= rul.upper && rul.rul > 0 && rul.rul <= 3000, `${p}: ${JSON.stringify(rul)}`);
      }
    } finally {
      await client.endAsync();
    }
  });

  it('shuts down cleanly on Ctrl-C', async () => {
    assert.equal(await demo.stop(), 0, demo.output().slice(-2000));
    assert.match(demo.output(), /stopped\./);
  });
});

describe('npm start with the MQTT port taken (a broker of the plant engineer\'s own on it)', function () {
  this.timeout(60_000);
  // One listener holds a port for the whole block: the demo's broker cannot have it.
  const taken = createServer();
  let port = 0;
  before(async () => {
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    port = (taken.address() as AddressInfo).port;
  });
  after(() => taken.close());

  /** Runs `npm start`'s script with the MQTT port held, so it stops right after its first steps; its exit code and output. */
  async function startWithPortTaken(userDir: string): Promise<{ code: number | null; output: string }> {
    const child = spawn(process.execPath, [join(import.meta.dirname, '..', '..', 'dist', 'scripts', 'start.js')], {
      env: { ...process.env, PORT: '0', TWIN_DEMO_MQTT_PORT: String(port), TWIN_DEMO_OPCUA_PORT: '0', TWIN_DEMO_USER_DIR: userDir },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    return { code, output };
  }

  it('stops at once and says which variable chooses another port', async () => {
    const dir = tempDir('demo-port-taken');
    try {
      const { code, output } = await startWithPortTaken(dir.path);
      assert.equal(code, 1);
      assert.match(output, new RegExp(`MQTT broker cannot use port ${port}: something else already listens on it`));
      assert.match(output, /TWIN_DEMO_MQTT_PORT=0 npm start/);
    } finally {
      dir.remove();
    }
  });

  it('a newer demo flow replaces an edited one, which is kept beside it and named in the output', async () => {
    const dir = tempDir('demo-flow-kept');
    try {
      // The editor's copy, edited, and older than the repository's demo (as after a git pull).
      const edited = JSON.stringify([{ id: 'mine', type: 'tab', label: 'my edits' }]);
      const deployed = join(dir.path, 'flows.json');
      writeFileSync(deployed, edited);
      utimesSync(deployed, new Date(2020, 0, 1), new Date(2020, 0, 1));
      const { output } = await startWithPortTaken(dir.path);
      const demoFlow = readFileSync(join(import.meta.dirname, '..', '..', 'flows', 'demo.json'), 'utf8');
      assert.equal(readFileSync(deployed, 'utf8'), demoFlow, 'the newer demo is deployed');
      const kept = readdirSync(dir.path).filter((name) => /^flows\.json\..*\.bak$/.test(name));
      assert.equal(kept.length, 1, readdirSync(dir.path).join(', '));
      assert.equal(readFileSync(join(dir.path, kept[0]!), 'utf8'), edited, 'the edited flow is kept');
      assert.match(output, new RegExp(`the previous one \\(with any edits made in the editor\\) is kept as .*${kept[0]!.replace(/\./g, '\\.')}`));
      // Started again with the demo unchanged: nothing replaced, no second copy.
      await startWithPortTaken(dir.path);
      assert.equal(readdirSync(dir.path).filter((name) => name.endsWith('.bak')).length, 1);
    } finally {
      dir.remove();
    }
  });
});
