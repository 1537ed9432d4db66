/** `npm start` as a user runs it: the demo serves the editor, lists the node types and produces twin snapshots. */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { tempDir } from '../support/red.mts';

const root = join(import.meta.dirname, '..', '..');
const SPINE_TYPES = ['twin-definition', 'twin-mqtt-broker', 'twin-opcua-endpoint', 'twin-simulator', 'twin-mqtt-in', 'twin-opcua-in', 'twin-state'];

describe('npm start (the demo)', function () {
  this.timeout(90_000);
  let child: ChildProcess;
  let output = '';
  let dir: ReturnType<typeof tempDir>;

  before(async () => {
    dir = tempDir('twin-demo');
    // The built start script, as `npm start` runs it after building (the test run has built already).
    child = spawn(process.execPath, [join(root, 'dist', 'scripts', 'start.js')], {
      env: { ...process.env, PORT: '0', TWIN_DEMO_MQTT_PORT: '0', TWIN_DEMO_OPCUA_PORT: '0', TWIN_DEMO_USER_DIR: dir.path },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
    const started = Date.now();
    while (!/Node-RED editor:\s+http:\/\/127\.0\.0\.1:\d+\//.test(output)) {
      if (child.exitCode !== null) throw new Error(`the demo exited early:\n${output}`);
      if (Date.now() - started > 60_000) throw new Error(`the demo did not start within 60 s:\n${output}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  });

  after(async () => {
    if (child.exitCode === null) {
      child.kill('SIGKILL');
      await new Promise((r) => child.once('exit', r));
    }
    dir.remove();
  });

  const editorUrl = () => /Node-RED editor:\s+(http:\/\/127\.0\.0\.1:\d+\/)/.exec(output)![1]!;
  const brokerUrl = () => /MQTT broker:\s+(mqtt:\/\/127\.0\.0\.1:\d+)/.exec(output)![1]!;

  it('lists the seven spine node types on GET /nodes', async () => {
    const res = await fetch(new URL('nodes', editorUrl()), { headers: { Accept: 'application/json' } });
    assert.equal(res.status, 200);
    const sets = (await res.json()) as Array<{ module: string; types: string[]; enabled: boolean; err?: string }>;
    const ours = sets.filter((s) => s.module === '@twinflow/node-red-digital-twin');
    for (const set of ours) assert.equal(set.err, undefined, `${set.types.join()} failed to load: ${set.err}`);
    assert.deepEqual(ours.flatMap((s) => s.types).sort(), [...SPINE_TYPES].sort());
  });

  it('produces twin snapshots from MQTT (pumps 1-3) and OPC UA (pump-4)', async () => {
    const client = await mqtt.connectAsync(brokerUrl(), { protocolVersion: 4 });
    try {
      const seen = new Map<string, any>();
      client.on('message', (topic, payload) => seen.set(topic, JSON.parse(payload.toString())));
      await client.subscribeAsync('twin/+/snapshot');
      const started = Date.now();
      while (seen.size < 4 && Date.now() - started < 30_000) await new Promise((r) => setTimeout(r, 100));
      assert.deepEqual([...seen.keys()].sort(), ['pump-1', 'pump-2', 'pump-3', 'pump-4'].map((p) => `twin/${p}/snapshot`));
      const pump1 = seen.get('twin/pump-1/snapshot');
      assert.equal(pump1.assetClass, 'centrifugal pump');
      assert.ok(pump1.signals.bearingTemp.value > 30 && pump1.signals.bearingTemp.value < 120);
      assert.equal(seen.get('twin/pump-4/snapshot').signals.speed.unit, 'rpm');
    } finally {
      await client.endAsync();
    }
  });

  it('shuts down cleanly on Ctrl-C', async () => {
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    child.kill('SIGINT');
    assert.equal(await exited, 0, output.slice(-2000));
    assert.match(output, /stopped\./);
  });
});
