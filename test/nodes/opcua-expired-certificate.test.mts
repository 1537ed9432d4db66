import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { helper, nodes, onTab, tempDir, until } from '../support/red.mts';

const require = createRequire(import.meta.url);
const plant = require('../../dist/scripts/opcua-plant-server.js') as typeof import('../../dist/scripts/opcua-plant-server.js');

const APPLICATION_URI = 'urn:twinflow:test:expired-plc';
const DAY = 24 * 3600 * 1000;

describe('twin-opcua-endpoint against a server whose certificate has expired', function () {
  this.timeout(60_000);
  let server: Awaited<ReturnType<typeof plant.startPlantServer>> | undefined;
  let pki: ReturnType<typeof tempDir>;
  let clientPki: string;

  before(async () => {
    pki = tempDir('twin-opcua-expired');
    clientPki = join(pki.path, 'node-red', 'twinflow-opcua-pki');
    // The server's own certificate, made before it starts where its certificate manager keeps it (own/certs/certificate.pem,
    // key in own/private/private_key.pem, made by initialize()): valid from 10 days ago for 2 days, so expired 8 days ago.
    // Same application URI as the server's, so the only thing wrong with it is its age.
    const opcua = await import('node-opcua');
    const serverPki = join(pki.path, 'plc', 'server');
    const maker = new opcua.OPCUACertificateManager({ rootFolder: serverPki, disableFileWatchers: true });
    try {
      await maker.initialize();
      await maker.createSelfSignedCertificate({
        outputFile: join(serverPki, 'own', 'certs', 'certificate.pem'),
        subject: '/CN=expired virtual PLC/O=twinflow test',
        applicationUri: APPLICATION_URI,
        dns: ['127.0.0.1', 'localhost'],
        startDate: new Date(Date.now() - 10 * DAY),
        validity: 2,
      });
    } finally {
      await maker.dispose();
    }
    server = await plant.startPlantServer({ pkiFolder: join(pki.path, 'plc'), applicationUri: APPLICATION_URI, securityModes: ['SignAndEncrypt'], securityPolicies: ['Basic256Sha256'] });
  });
  after(async () => {
    await server?.close();
    pki?.remove();
  });
  beforeEach(async () => {
    helper.settings({ userDir: join(pki.path, 'node-red') });
    await helper.startServer();
  });
  afterEach(async () => {
    await helper.unload();
    await helper.stopServer();
  });

  const pemFiles = (folder: string) => (existsSync(folder) ? readdirSync(folder).filter((f) => f.endsWith('.pem') || f.endsWith('.der')) : []);

  it('refuses it, puts it in rejected/, and still refuses it (expired) after the user trusts it; no data arrives', async () => {
    // The server really presents the expired certificate with its own application URI (else this tests another refusal).
    const certificate = new X509Certificate(readFileSync(server!.certificateFile));
    assert.ok(new Date(certificate.validTo).getTime() < Date.now() - 7 * DAY, `the server certificate expired a week ago (${certificate.validTo})`);
    assert.match(certificate.subjectAltName ?? '', new RegExp(`URI:${APPLICATION_URI}(,|$)`));
    assert.equal(server!.server.serverInfo.applicationUri, APPLICATION_URI);

    const flow = onTab([
      { id: 'endpoint', type: 'twin-opcua-endpoint', endpoint: server!.endpointUrl, securityMode: 'SignAndEncrypt', securityPolicy: 'Basic256Sha256', authentication: 'anonymous', publishingInterval: '100' },
      { id: 'in', type: 'twin-opcua-in', endpoint: 'endpoint', assetId: 'pump-1', samplingInterval: '50', variables: [{ nodeId: `nsu=${plant.PLANT_NAMESPACE_URI};s=Pump1.Counter`, signal: 'counter' }], wires: [['out']] },
      { id: 'out', type: 'helper' },
    ]);
    await helper.load([nodes.opcuaEndpoint, nodes.opcuaIn], flow);
    const endpoint = helper.getNode('endpoint');
    const received: unknown[] = [];
    helper.getNode('out').on('input', (msg: unknown) => received.push(msg));

    // 1. Unknown (and expired): refused like any unknown certificate, and put in rejected/.
    await until(() => endpoint.state === 'error', 15_000, 'the endpoint refusing the server');
    assert.match(endpoint.lastError, /the server's certificate is not trusted \(BadCertificateUntrusted\): it was put in .*twinflow-opcua-pki\/rejected/);
    const rejected = join(clientPki, 'rejected');
    await until(() => pemFiles(rejected).length === 1, 5000, 'the certificate in rejected/');
    const [file] = pemFiles(rejected);

    // 2. The user trusts it as the help says (move to trusted/certs); the endpoint retries on its own and is refused again,
    //    this time because the certificate has expired, and it says so.
    const trusted = join(clientPki, 'trusted', 'certs');
    mkdirSync(trusted, { recursive: true });
    renameSync(join(rejected, file!), join(trusted, file!));
    // (The temporary folder's name contains "expired" too: wait for the untrusted refusal to be replaced instead.)
    await until(() => endpoint.state === 'error' && !/BadCertificateUntrusted/.test(endpoint.lastError ?? ''), 20_000, 'another refusal than the untrusted one');
    assert.match(endpoint.lastError, /the server's certificate has expired or is not valid yet \(BadCertificateTimeInvalid\)/);
    assert.equal(endpoint.state, 'error');

    // It stays refused across the next retries (the trust does not make an expired certificate acceptable), and no data arrives.
    // (Between retries the state passes through 'connecting', so it is sampled for 'connected' rather than read once.)
    const states = new Set<string>();
    const sampler = setInterval(() => states.add(endpoint.state), 20);
    try {
      await new Promise((r) => setTimeout(r, 3000));
    } finally {
      clearInterval(sampler);
    }
    assert.ok(!states.has('connected'), `never connected (states seen: ${[...states].join(', ')})`);
    await until(() => endpoint.state === 'error', 10_000, 'the refusal after the last retry');
    assert.match(endpoint.lastError, /BadCertificateTimeInvalid/);
    assert.deepEqual(pemFiles(trusted), [file], 'still the one the user trusted');
    assert.equal(received.length, 0, 'no data from a server with an expired certificate');
    assert.equal(server!.server.engine.getSessions().length, 0, 'no session on the server');
  });
});
