import assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdirSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { coreNodes, helper, nextMessage, nodes, onTab, tempDir, until } from '../support/red.mts';

const require = createRequire(import.meta.url);
const plant = require('../../dist/scripts/opcua-plant-server.js') as typeof import('../../dist/scripts/opcua-plant-server.js');

const PASSWORD = 'Op3rator-test-secret';

describe('twin-opcua-endpoint security against a server that offers only Sign and SignAndEncrypt', function () {
  this.timeout(60_000);
  let server: Awaited<ReturnType<typeof plant.startPlantServer>>;
  let pki: ReturnType<typeof tempDir>;
  let clientPki: string;

  before(async () => {
    pki = tempDir('twin-opcua-security');
    server = await plant.startPlantServer({
      pkiFolder: join(pki.path, 'plc'),
      securityModes: ['Sign', 'SignAndEncrypt'],
      securityPolicies: ['Basic256Sha256', 'Aes128_Sha256_RsaOaep', 'Aes256_Sha256_RsaPss'],
      users: { operator: PASSWORD },
    });
    clientPki = join(pki.path, 'node-red', 'twinflow-opcua-pki');
  });
  after(async () => {
    await server.close();
    pki.remove();
  });
  beforeEach(async () => {
    // Each test starts from a client PKI that trusts nothing.
    rmSync(join(clientPki, 'trusted'), { recursive: true, force: true });
    rmSync(join(clientPki, 'rejected'), { recursive: true, force: true });
    helper.settings({ userDir: join(pki.path, 'node-red') });
    await helper.startServer();
  });
  afterEach(async () => {
    await helper.unload();
    await helper.stopServer();
  });

  const flow = (endpoint: Record<string, unknown>) =>
    onTab([
      { id: 'endpoint', type: 'twin-opcua-endpoint', endpoint: server.endpointUrl, securityMode: 'SignAndEncrypt', securityPolicy: 'Basic256Sha256', authentication: 'anonymous', publishingInterval: '100', ...endpoint },
      { id: 'in', type: 'twin-opcua-in', endpoint: 'endpoint', assetId: 'pump-1', samplingInterval: '50', variables: [{ nodeId: `nsu=${plant.PLANT_NAMESPACE_URI};s=Pump1.Counter`, signal: 'counter' }], wires: [['out']] },
      { id: 'out', type: 'helper' },
    ]);
  const trusted = () => join(clientPki, 'trusted', 'certs');
  const rejected = () => join(clientPki, 'rejected');
  const trustServer = () => {
    mkdirSync(trusted(), { recursive: true });
    copyFileSync(server.certificateFile, join(trusted(), 'virtual-plc.pem'));
  };
  const pemFiles = (folder: string) => (existsSync(folder) ? readdirSync(folder).filter((f) => f.endsWith('.pem') || f.endsWith('.der')) : []);

  it('refuses an unknown server certificate, puts it in rejected/, and connects once the user trusts it', async () => {
    await helper.load([nodes.opcuaEndpoint, nodes.opcuaIn], flow({}));
    const endpoint = helper.getNode('endpoint');
    await until(() => endpoint.state === 'error', 15_000, 'the endpoint refusing the server');
    assert.match(endpoint.lastError, /the server's certificate is not trusted \(BadCertificateUntrusted\): it was put in .*twinflow-opcua-pki\/rejected/);
    await until(() => helper.getNode('in').status.args.some((a: any[]) => a[0].text === 'twin-opcua-endpoint.status.untrusted-certificate'), 5000, 'the status');
    const files = pemFiles(rejected());
    assert.equal(files.length, 1, 'the server certificate is in rejected/');

    // What the help tells the user to do: move it to trusted/certs. The endpoint retries on its own.
    mkdirSync(trusted(), { recursive: true });
    renameSync(join(rejected(), files[0]!), join(trusted(), files[0]!));
    await nextMessage(helper.getNode('out'), () => true, 15_000);
    assert.equal(endpoint.state, 'connected');
  });

  for (const policy of ['Basic256Sha256', 'Aes128_Sha256_RsaOaep', 'Aes256_Sha256_RsaPss']) {
    it(`monitors over SignAndEncrypt with ${policy} when the server certificate is trusted`, async () => {
      trustServer();
      await helper.load([nodes.opcuaEndpoint, nodes.opcuaIn], flow({ securityPolicy: policy }));
      const msg = await nextMessage(helper.getNode('out'), () => true, 15_000);
      assert.equal(typeof msg.payload.signals.counter, 'number');
      const session = server.server.engine.getSessions()[0]!;
      assert.equal(session.channel?.securityPolicy, `http://opcfoundation.org/UA/SecurityPolicy#${policy}`);
      assert.equal(session.channel?.securityMode, 3 /* SignAndEncrypt */);
    });
  }

  it('monitors over Sign (signed, not encrypted) when the server certificate is trusted', async () => {
    trustServer();
    await helper.load([nodes.opcuaEndpoint, nodes.opcuaIn], flow({ securityMode: 'Sign', securityPolicy: 'Aes128_Sha256_RsaOaep' }));
    await nextMessage(helper.getNode('out'), () => true, 15_000);
    assert.equal(server.server.engine.getSessions()[0]?.channel?.securityMode, 2 /* Sign */);
  });

  it('logs in with a user name and password over SignAndEncrypt', async () => {
    trustServer();
    await helper.load([nodes.opcuaEndpoint, nodes.opcuaIn], flow({ authentication: 'username' }), { endpoint: { user: 'operator', password: PASSWORD } });
    await nextMessage(helper.getNode('out'), () => true, 15_000);
    assert.equal(server.server.engine.getSessions()[0]?.userIdentityToken?.constructor.name, 'UserNameIdentityToken');
  });

  it('refuses a wrong password with a clear error for Catch, does not retry, and never logs the password', async () => {
    trustServer();
    const rejectedBefore = server.server.engine.rejectedSessionCount;
    await helper.load(
      [nodes.opcuaEndpoint, nodes.opcuaIn, coreNodes.catch],
      [...flow({ authentication: 'username' }), { id: 'catch', type: 'catch', z: 'tab', x: 100, y: 100, scope: null, uncaught: false, wires: [['caught']] }, { id: 'caught', type: 'helper', z: 'tab', x: 100, y: 100 }],
      { endpoint: { user: 'operator', password: 'wrong-Secret-42' } },
    );
    const caught = nextMessage(helper.getNode('caught'), () => true, 15_000);
    const endpoint = helper.getNode('endpoint');
    await until(() => endpoint.state === 'error', 15_000, 'the refusal');
    assert.match(endpoint.lastError, /the server refused the user name or password \(Bad\w+\)/);
    assert.match((await caught).error.message, /OPC UA endpoint: the server refused the user name or password/);
    await until(() => helper.getNode('in').status.args.some((a: any[]) => a[0].text === 'twin-opcua-endpoint.status.access-denied'), 5000, 'the status');
    await new Promise((r) => setTimeout(r, 2500));
    assert.equal(endpoint.state, 'error', 'no retry that could lock the account');
    assert.ok(server.server.engine.rejectedSessionCount - rejectedBefore <= 1, 'one attempt only');
    const logged = JSON.stringify(helper.log().args);
    assert.ok(!logged.includes('wrong-Secret-42') && !logged.includes(PASSWORD), 'no password in the log');
  });

  it('trusts the first certificate on first use, and refuses another certificate at the same address later', async () => {
    rmSync(join(clientPki, 'trusted-on-first-use.json'), { force: true });
    const load = () => helper.load([nodes.opcuaEndpoint, nodes.opcuaIn], flow({ trustOnFirstUse: true }));
    await load();
    await nextMessage(helper.getNode('out'), () => true, 15_000);
    assert.equal(pemFiles(trusted()).length, 1, 'the first certificate is now trusted');
    await helper.unload();

    // Another server (another certificate) answers at the same address: an impostor, as far as the client knows.
    await server.close();
    const impostor = await plant.startPlantServer({ pkiFolder: join(pki.path, 'impostor'), port: server.port, securityModes: ['SignAndEncrypt'] });
    try {
      await load();
      const endpoint = helper.getNode('endpoint');
      await until(() => endpoint.state === 'error', 15_000, 'the refusal');
      assert.match(endpoint.lastError, /presents another certificate \([0-9a-f]{40}\) than the one trusted on first use/);
      assert.equal(pemFiles(rejected()).length, 1, 'the new certificate is in rejected/');
      assert.equal(pemFiles(trusted()).length, 1, 'and not trusted');
      await helper.unload();
    } finally {
      await impostor.close();
      server = await plant.startPlantServer({
        pkiFolder: join(pki.path, 'plc'),
        port: server.port,
        securityModes: ['Sign', 'SignAndEncrypt'],
        securityPolicies: ['Basic256Sha256', 'Aes128_Sha256_RsaOaep', 'Aes256_Sha256_RsaPss'],
        users: { operator: PASSWORD },
      });
    }
  });

  it('refuses deprecated policies unless explicitly allowed', async () => {
    await helper.load([nodes.opcuaEndpoint, nodes.opcuaIn], flow({ securityPolicy: 'Basic256' }));
    const endpoint = helper.getNode('endpoint');
    await until(() => endpoint.state === 'error', 10_000, 'the refusal');
    assert.match(endpoint.lastError, /security policy Basic256 is deprecated/);
  });
});
