import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { tempDir } from '../support/red.mts';

const PASSWORD = 'viewer-test-pass';

describe('OPC UA browse admin endpoint with adminAuth set (a real Node-RED in a child process)', function () {
  this.timeout(60_000);
  let child: ChildProcess;
  let dir: ReturnType<typeof tempDir>;
  let url: string;

  before(async () => {
    dir = tempDir('twin-opcua-auth');
    child = spawn(process.execPath, [join(import.meta.dirname, '..', 'support', 'secured-node-red.mts'), join(dir.path, 'user'), PASSWORD], { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`Node-RED did not start within 45 s:\n${output}`)), 45_000);
      const onData = (d: Buffer) => {
        output += d.toString();
        const line = output.split('\n').find((l) => l.startsWith('{"url"'));
        if (line) {
          clearTimeout(timer);
          resolve((JSON.parse(line) as { url: string }).url);
        }
      };
      child.stdout!.on('data', onData);
      child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
      child.once('exit', (code) => reject(new Error(`Node-RED exited (${code}):\n${output}`)));
    });
  });
  after(async () => {
    if (child && child.exitCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    }
    dir?.remove();
  });

  it('refuses an anonymous request and answers a logged-in user with read permission', async () => {
    const browse = `${url}twin-opcua-endpoint/plc/browse`;
    const anonymous = await fetch(browse);
    assert.equal(anonymous.status, 401);

    const login = await fetch(`${url}auth/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ client_id: 'node-red-editor', grant_type: 'password', scope: 'read', username: 'viewer', password: PASSWORD }),
    });
    assert.equal(login.status, 200);
    const { access_token: token } = (await login.json()) as { access_token: string };
    const allowed = await fetch(browse, { headers: { authorization: `Bearer ${token}` } });
    assert.equal(allowed.status, 200);
    const body = (await allowed.json()) as { children: Array<{ browseName: string }> };
    assert.ok(body.children.some((c) => c.browseName === 'Pump1'));
  });
});
