/**
 * Uploading a trained model through twin-rul's admin endpoint, as the editor dialog does: a valid model is saved in
 * <userDir>/twinflow-models and a twin-rul deployed with the returned path estimates with it; invalid, oversize and
 * badly named uploads are refused with the reason; with adminAuth set, only users who may write can upload.
 */
import assert from 'node:assert/strict';
import { cmapssDir } from '../support/data.mts';
import { createRequire } from 'node:module';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startNodeRedProcess, type NodeRedProcess } from '../support/node-red-process.mts';
import { helper, nodes, onTab, startServerIn, stopServerIn, tempDir, uid, until } from '../support/red.mts';

const require = createRequire(import.meta.url);
const core = require('../../dist/core/index.js') as typeof import('../../dist/core/index.js');

const MODEL = new URL('../../models/cmapss-fd001-gbt.json', import.meta.url).pathname;
const MODEL_TEXT = readFileSync(MODEL, 'utf8');
const TEST_FD001 = join(cmapssDir(), 'test_FD001.txt');

/** The packaged model with one change, as a hand edit or another tool's output might have it. */
function edited(change: (m: any) => void): string {
  const m = JSON.parse(MODEL_TEXT);
  change(m);
  return JSON.stringify(m);
}

function upload(name: string, body: string | Buffer, replace = false) {
  return helper
    .request()
    .post(`/twin-rul/models?name=${encodeURIComponent(name)}${replace ? '&replace=true' : ''}`)
    .set('content-type', 'application/octet-stream')
    .send(Buffer.isBuffer(body) ? body : Buffer.from(body));
}

describe('twin-rul model upload (admin endpoint)', function () {
  this.timeout(60_000);
  let dir: ReturnType<typeof tempDir>;
  beforeEach(async () => {
    dir = tempDir('twin-rul-upload');
    await startServerIn(dir.path);
  });
  afterEach(async () => {
    await stopServerIn();
    dir.remove();
  });

  it('accepts a valid model, lists it, and a twin-rul deployed with the returned path estimates with it', async () => {
    const def = uid('def');
    const definition = { id: def, type: 'twin-definition', assetClass: 'turbofan', historyPoints: '1000', acceptUndeclared: true, signals: [] };
    await helper.load([nodes.definition, nodes.state, nodes.rul], onTab([definition]));
    const empty = await helper.request().get('/twin-rul/models').expect(200);
    assert.deepEqual(empty.body.models, []);

    const res = await upload('FD001 fleet.json', MODEL_TEXT).expect(201);
    assert.equal(res.body.path, 'twinflow-models/FD001 fleet.json');
    assert.equal(res.body.sensors.length, 14);
    assert.equal(res.body.histories, 100);
    const saved = join(dir.path, 'twinflow-models', 'FD001 fleet.json');
    assert.equal(readFileSync(saved, 'utf8'), MODEL_TEXT, 'saved byte for byte');

    const list = await helper.request().get('/twin-rul/models').expect(200);
    assert.deepEqual(list.body.models.map((m: any) => m.path), ['twinflow-models/FD001 fleet.json']);
    // The same name again: refused unless the user confirms the replacement.
    const again = await upload('FD001 fleet', MODEL_TEXT).expect(409);
    assert.match(again.body.error, /already exists/);
    await upload('FD001 fleet', MODEL_TEXT, true).expect(201);

    // Deploy a twin-rul with the path the dialog filled in (relative to the user directory).
    await helper.setFlows(
      onTab([
        definition,
        { id: 'state', type: 'twin-state', definition: def, wires: [['rul'], []] },
        { id: 'rul', type: 'twin-rul', definition: def, method: 'gbt', modelFile: res.body.path, wires: [['out']] },
        { id: 'out', type: 'helper' },
      ]),
      'full',
    );
    const out: any[] = [];
    helper.getNode('out').on('input', (m: any) => out.push(m));
    const parsed = core.parseCmapss(readFileSync(TEST_FD001, 'utf8'));
    assert.ok(parsed.ok);
    const engine = parsed.value.engines[0]!;
    const t0 = Date.now() - 1_000_000;
    engine.rows.forEach((row, i) => {
      const signals: Record<string, number> = {};
      core.CMAPSS_SIGNALS.forEach((name, j) => (signals[name] = row[j]!));
      helper.getNode('state').receive({ payload: { assetId: 'engine-1', ts: t0 + i * 1000, signals } });
    });
    await until(() => out.at(-1)?.payload.cycles === engine.rows.length, 10_000, 'the estimate at the last cycle');
    const model = core.parseRulModel(MODEL_TEXT);
    assert.ok(model.ok);
    assert.equal(out.at(-1).payload.rul, core.predictRul(model.value, 'gbt', core.engineColumns(engine), 20).rul);
  });

  it('refuses what is not a usable model, a bad name and an oversize file, saying why, and writes nothing', async () => {
    await helper.load([nodes.rul], []);
    const refusals: Array<[name: string, body: string | Buffer, status: number, reason: RegExp]> = [
      ['notes', 'these are my notes', 400, /not JSON/],
      ['other', '{"format":"something-else"}', 400, /not a RUL model/],
      ['future', edited((m) => (m.version = 2)), 400, /version 2 is not supported/],
      ['features', edited((m) => (m.pipeline.features = ['last', 'fourier'])), 400, /features this package does not compute/],
      ['no-similarity', edited((m) => delete m.similarity), 400, /lacks one of its methods/],
      ['trees', edited((m) => (m.gbt.ensemble[0].feature[0] = 999)), 400, /trees do not match its features/],
      ['scaling', edited((m) => m.pipeline.mean[0].pop()), 400, /scaling does not match/],
      // Parses, but half a tree list cannot estimate: caught by running every method once.
      ['truncated', edited((m) => (m.gbt.ensemble[0].leaf = m.gbt.ensemble[0].leaf.slice(0, 100))), 400, /gbt method of the model gives no estimate/],
      ['../../escape', MODEL_TEXT, 400, /not a usable model name/],
      ['sub/dir', MODEL_TEXT, 400, /not a usable model name/],
      ['.hidden', MODEL_TEXT, 400, /not a usable model name/],
      ['', MODEL_TEXT, 400, /needs a name/],
      ['huge', Buffer.alloc(17 * 1024 * 1024, 0x20), 413, /17\.0 MB; a model file may be at most 16\.0 MB/],
    ];
    for (const [name, body, status, reason] of refusals) {
      const res = await upload(name, body);
      assert.equal(res.status, status, `${name}: ${JSON.stringify(res.body)}`);
      assert.match(res.body.error, reason, name);
    }
    assert.ok(!existsSync(join(dir.path, 'twinflow-models')) || readdirSync(join(dir.path, 'twinflow-models')).length === 0, 'nothing was written');
    assert.ok(!existsSync(join(dir.path, '..', 'escape.json')));
  });
});

describe('twin-rul model upload with adminAuth (a real Node-RED in a child process)', function () {
  this.timeout(60_000);
  let dir: ReturnType<typeof tempDir>;
  let nr: NodeRedProcess | undefined;
  const bcrypt = require(require.resolve('bcryptjs', { paths: [require.resolve('node-red')] })) as { hashSync(text: string, rounds: number): string };

  before(async () => {
    dir = tempDir('twin-rul-auth');
    writeFileSync(join(dir.path, 'flows.json'), '[]');
    nr = await startNodeRedProcess({
      userDir: dir.path,
      flowFile: 'flows.json',
      logLevel: 'warn',
      adminAuth: {
        type: 'credentials',
        users: [
          { username: 'viewer', password: bcrypt.hashSync('viewer-pass', 4), permissions: 'read' },
          { username: 'engineer', password: bcrypt.hashSync('engineer-pass', 4), permissions: '*' },
        ],
      },
    });
  });
  after(async () => {
    await nr?.stop();
    dir?.remove();
  });

  async function token(username: string, password: string, scope: string): Promise<string> {
    const res = await fetch(new URL('auth/token', nr!.url), {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ client_id: 'node-red-editor', grant_type: 'password', scope, username, password }),
    });
    assert.equal(res.status, 200, `login of ${username}`);
    return ((await res.json()) as { access_token: string }).access_token;
  }

  const post = (auth?: string) =>
    fetch(new URL('twin-rul/models?name=fleet', nr!.url), {
      method: 'POST',
      headers: { 'content-type': 'application/octet-stream', ...(auth ? { authorization: `Bearer ${auth}` } : {}) },
      body: MODEL_TEXT,
    });

  it('refuses anonymous uploads and read-only users (401); lets a user with write permission upload', async () => {
    assert.equal((await post()).status, 401);
    assert.equal((await fetch(new URL('twin-rul/models', nr!.url))).status, 401, 'anonymous listing');
    const viewer = await token('viewer', 'viewer-pass', 'read');
    // Node-RED answers a missing permission with 401 too (and an audit "permission.fail").
    assert.equal((await post(viewer)).status, 401, 'a read-only user cannot write files on the host');
    const listed = await fetch(new URL('twin-rul/models', nr!.url), { headers: { authorization: `Bearer ${viewer}` } });
    assert.equal(listed.status, 200, 'a read-only user may list');
    assert.ok(!existsSync(join(dir.path, 'twinflow-models', 'fleet.json')));
    const engineer = await token('engineer', 'engineer-pass', '*');
    const accepted = await post(engineer);
    assert.equal(accepted.status, 201, await accepted.clone().text());
    assert.equal(((await accepted.json()) as { path: string }).path, 'twinflow-models/fleet.json');
    assert.ok(existsSync(join(dir.path, 'twinflow-models', 'fleet.json')));
  });
});
