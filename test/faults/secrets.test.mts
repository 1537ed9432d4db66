/**
 * Issue 13.6: secrets. A real Node-RED at trace log level runs every example flow (examples/*.json) and the kind of
 * flows the password tests use (test/nodes/mqtt-mosquitto.test.mts, opcua-security.test.mts), each with test
 * passwords in its credentials, against a real Mosquitto with TLS (a test CA made with openssl) and a password file and
 * a node-opcua server with users over SignAndEncrypt. A security reviewer greps for the passwords in the flow export
 * (what the editor exports), the flow and credential files on disk, the editor's credential API, every log line and
 * every node status and caught error: none may appear anywhere.
 *
 * Beside that, what mqtt-mosquitto.test.mts does not cover yet: over TLS with a password file (no client certificate
 * required), the right password connects and data flows; a wrong password and no password at all are refused, and the
 * nodes' status says so in plain words ("access denied"), as the OPC UA endpoint's does.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { figures } from '../support/fault-scale.mts';
import { Mosquitto, makeTestPki, type TestPki } from '../support/mosquitto.mts';
import { startNodeRedProcess, type NodeRedProcess } from '../support/node-red-process.mts';
import { plant, type PlantServer } from '../support/opcua.mts';
import { tempDir } from '../support/red.mts';
import { functionNode, getJson } from '../support/twin-http.mts';

const USER = 'plant-twin';
const SECRETS = {
  mqtt: 'Mqtt-Secret-7f3a9q',
  mqttWrong: 'Wrong-Mqtt-2b8c1w',
  opcua: 'Opcua-Secret-91d4ez',
  opcuaWrong: 'Wrong-Opcua-6e0f2y',
  passphrase: 'Key-Passphrase-5c7ax',
};

const examplesDir = join(import.meta.dirname, '..', '..', 'examples');

/** Nodes that collect every status and every caught error of tab `z` into global context (GET /api/seen). */
function witnesses(z: string, suffix: string): Array<Record<string, unknown>> {
  return [
    { id: `status-${suffix}`, type: 'status', z, scope: null, x: 100, y: 900, wires: [[`keep-status-${suffix}`]] },
    functionNode(`keep-status-${suffix}`, z, "const all = global.get('statuses') || [];\nall.push({ id: msg.status.source.id, type: msg.status.source.type, fill: msg.status.fill, text: msg.status.text });\nglobal.set('statuses', all);\nreturn null;"),
    { id: `catch-${suffix}`, type: 'catch', z, scope: null, uncaught: false, x: 100, y: 950, wires: [[`keep-error-${suffix}`]] },
    functionNode(`keep-error-${suffix}`, z, "const all = global.get('errors') || [];\nlet text = '';\ntry { text = JSON.stringify(msg); } catch (e) { text = String(msg.payload); }\nall.push({ id: msg.error.source && msg.error.source.id, message: msg.error.message, msg: text });\nglobal.set('errors', all);\nreturn null;"),
  ];
}

const seenNodes = (z: string): Array<Record<string, unknown>> => [
  { id: 'seen-in', type: 'http in', z, url: '/seen', method: 'get', x: 100, y: 1000, wires: [['seen']] },
  functionNode('seen', z, "msg.payload = { statuses: global.get('statuses') || [], errors: global.get('errors') || [], delivered: global.get('delivered') || 0 };\nreturn msg;", [['seen-response']]),
  { id: 'seen-response', type: 'http response', z, statusCode: '', x: 500, y: 1000, wires: [] },
];

describe('fault: secrets never leave the credentials; MQTT over TLS with a password file', function () {
  this.timeout(240_000);
  let dir: ReturnType<typeof tempDir>;
  let pki: TestPki;
  let broker: Mosquitto;
  let plc: PlantServer;
  let nr: NodeRedProcess | undefined;
  let encryptedKey: string;

  before(async () => {
    dir = tempDir('twin-fault-secrets');
    pki = makeTestPki();
    // The client key, encrypted with a passphrase that is itself a Node-RED credential.
    encryptedKey = join(pki.dir, 'client-encrypted.key');
    const env = { ...process.env };
    delete env.OPENSSL_CONF;
    execFileSync('openssl', ['pkey', '-in', pki.clientKey, '-aes256', '-passout', `pass:${SECRETS.passphrase}`, '-out', encryptedKey], { env, stdio: 'pipe' });
    broker = await Mosquitto.start({ persistence: false, tls: { cafile: pki.ca, certfile: pki.serverCert, keyfile: pki.serverKey }, users: { [USER]: SECRETS.mqtt } });
    plc = await plant.startPlantServer({ pkiFolder: join(dir.path, 'plc'), securityModes: ['SignAndEncrypt'], securityPolicies: ['Basic256Sha256'], users: { operator: SECRETS.opcua }, allowAnonymous: false });
  });
  after(async () => {
    await nr?.kill();
    await plc?.close();
    await broker?.dispose();
    pki?.remove();
    dir?.remove();
  });

  const tlsBroker = (id: string, credentials?: Record<string, string>, extra: Record<string, unknown> = {}) => ({
    id,
    type: 'twin-mqtt-broker',
    url: broker.url,
    protocolVersion: '5',
    cleanSession: true,
    tlsCa: pki.ca,
    ...extra,
    ...(credentials && { credentials }),
  });
  const opcuaEndpoint = (id: string, password: string) => ({
    id,
    type: 'twin-opcua-endpoint',
    endpoint: plc.endpointUrl,
    securityMode: 'SignAndEncrypt',
    securityPolicy: 'Basic256Sha256',
    authentication: 'username',
    trustOnFirstUse: true,
    publishingInterval: '100',
    credentials: { user: 'operator', password },
  });

  /** The flows of the password tests, on one tab: right, wrong and no password for MQTT; right and wrong for OPC UA. */
  function secureFlow(): Array<Record<string, unknown>> {
    const z = 'secure';
    const counter = functionNode('count-secure', z, "global.set('delivered', (global.get('delivered') || 0) + 1);\nreturn null;");
    return [
      { id: z, type: 'tab', label: 'password tests' },
      tlsBroker('broker-ok', { user: USER, password: SECRETS.mqtt, tlsPassphrase: SECRETS.passphrase }, { tlsCert: pki.clientCert, tlsKey: encryptedKey }),
      tlsBroker('broker-wrong', { user: USER, password: SECRETS.mqttWrong }),
      tlsBroker('broker-anonymous'),
      opcuaEndpoint('endpoint-ok', SECRETS.opcua),
      opcuaEndpoint('endpoint-wrong', SECRETS.opcuaWrong),
      { id: 'in-ok', type: 'twin-mqtt-in', z, broker: 'broker-ok', topic: 'secure/{assetId}/{signal}', x: 100, y: 100, wires: [['count-secure']] },
      { id: 'in-wrong', type: 'twin-mqtt-in', z, broker: 'broker-wrong', topic: 'secure/{assetId}/{signal}', x: 100, y: 200, wires: [[]] },
      { id: 'in-anonymous', type: 'twin-mqtt-in', z, broker: 'broker-anonymous', topic: 'secure/{assetId}/{signal}', x: 100, y: 300, wires: [[]] },
      { id: 'opcua-ok', type: 'twin-opcua-in', z, endpoint: 'endpoint-ok', assetId: 'pump-1', samplingInterval: '100', variables: [{ nodeId: `nsu=${plant.PLANT_NAMESPACE_URI};s=Pump1.Counter`, signal: 'counter' }], x: 100, y: 400, wires: [[]] },
      { id: 'opcua-wrong', type: 'twin-opcua-in', z, endpoint: 'endpoint-wrong', assetId: 'pump-1', samplingInterval: '100', variables: [{ nodeId: `nsu=${plant.PLANT_NAMESPACE_URI};s=Pump1.Counter`, signal: 'counter' }], x: 100, y: 500, wires: [[]] },
      counter,
      ...witnesses(z, 'secure'),
      ...seenNodes(z),
    ];
  }

  /** An example as a user imports it, pointed at the test servers, with the test passwords in its credentials. */
  function example(file: string, index: number): Array<Record<string, unknown>> {
    const flow = JSON.parse(readFileSync(join(examplesDir, file), 'utf8')) as Array<Record<string, any>>;
    const tab = flow.find((n) => n.type === 'tab')!;
    for (const node of flow) {
      if (node.type === 'twin-mqtt-broker') Object.assign(node, tlsBroker(node.id, { user: USER, password: SECRETS.mqtt }));
      if (node.type === 'twin-opcua-endpoint') Object.assign(node, opcuaEndpoint(node.id, SECRETS.opcua));
    }
    return [...flow, ...witnesses(tab.id, `example-${index}`), ...seenNodes(tab.id)];
  }

  async function deploy(flow: unknown[]): Promise<void> {
    const res = await fetch(new URL('flows', nr!.url), { method: 'POST', headers: { 'content-type': 'application/json', 'Node-RED-Deployment-Type': 'full' }, body: JSON.stringify(flow) });
    assert.ok(res.status === 204 || res.status === 200, `deploy: ${res.status} ${await res.text()}`);
  }

  type Seen = { statuses: Array<{ id: string; fill?: string; text?: string }>; errors: Array<{ id?: string; message: string; msg: string }>; delivered: number };
  /** What the witnesses collected; the route itself is redeployed with every flow, so it may need a moment. */
  const seen = async (): Promise<Seen> => {
    for (let attempt = 0; ; attempt++) {
      try {
        return (await getJson(nr!, 'seen')) as Seen;
      } catch (err) {
        if (attempt > 50) throw err;
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  };
  const lastStatus = (s: Seen, id: string) => s.statuses.filter((x) => x.id === id).at(-1);

  it('no test password in the export, the files, the credential API, the trace log, any status or caught error; TLS with a password file: right password in, wrong or none refused with "access denied"', async () => {
    writeFileSync(join(dir.path, 'flows.json'), '[]');
    nr = await startNodeRedProcess({ userDir: dir.path, flowFile: 'flows.json', logLevel: 'trace' });
    const exports: string[] = [];
    const credentialApi: string[] = [];
    const allSeen: Seen[] = [];
    const examples = readdirSync(examplesDir).filter((f) => f.endsWith('.json')).sort();
    const keep = async (flow: Array<Record<string, unknown>>) => {
      exports.push(await (await fetch(new URL('flows', nr!.url))).text());
      for (const node of flow.filter((n) => n.type === 'twin-mqtt-broker' || n.type === 'twin-opcua-endpoint')) {
        credentialApi.push(await (await fetch(new URL(`credentials/${node.type as string}/${node.id as string}`, nr!.url))).text());
      }
    };

    // Every example, one after another, each running for a moment with its connections.
    for (const [i, file] of examples.entries()) {
      const flow = example(file, i);
      await deploy(flow);
      await new Promise((r) => setTimeout(r, 1500));
      await keep(flow);
      allSeen.push(await seen());
    }

    // The password tests' flows.
    const flow = secureFlow();
    await deploy(flow);
    const deadline = Date.now() + 30_000;
    let now = await seen();
    const ready = (s: Seen) =>
      lastStatus(s, 'in-ok')?.fill === 'green' &&
      lastStatus(s, 'opcua-ok')?.fill === 'green' &&
      lastStatus(s, 'in-wrong')?.text === 'access denied' &&
      lastStatus(s, 'in-anonymous')?.text === 'access denied' &&
      lastStatus(s, 'opcua-wrong')?.text === 'access denied';
    while (!ready(now) && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 250));
      now = await seen();
    }
    const show = (s: Seen) => ['in-ok', 'in-wrong', 'in-anonymous', 'opcua-ok', 'opcua-wrong'].map((id) => `${id}: ${lastStatus(s, id)?.text ?? '-'}`).join('; ');
    assert.ok(ready(now), `statuses: ${show(now)}`);
    // Data flows over TLS with the right password (and the encrypted client key).
    const publisher = await mqtt.connectAsync(broker.url, { ca: readFileSync(pki.ca), username: USER, password: SECRETS.mqtt });
    try {
        const start = now.delivered;
      const publishDeadline = Date.now() + 10_000;
      while ((now = await seen()).delivered === start && Date.now() < publishDeadline) await publisher.publishAsync('secure/pump-1/flow', '12.5', { qos: 1 });
      assert.ok(now.delivered > start, 'telemetry arrived over TLS');
    } finally {
      await publisher.endAsync();
    }
    // Anonymous and wrong-password clients are refused by the broker itself, too.
    for (const options of [{}, { username: USER, password: SECRETS.mqttWrong }]) {
      await assert.rejects(mqtt.connectAsync(broker.url, { ca: readFileSync(pki.ca), reconnectPeriod: 0, ...options }), /Not authorized|Bad User Name or Password/i);
    }
    await keep(flow);
    allSeen.push(now);
    // Let the refused connections retry a few times: every attempt is a chance to log something.
    await new Promise((r) => setTimeout(r, 3000));
    allSeen.push(await seen());
    const output = nr.output();
    await nr.stop();
    nr = undefined;

    const files = ['flows.json', 'flows_cred.json'].map((name) => join(dir.path, name)).filter((p) => existsSync(p));
    const places: Record<string, string> = {
      'flow export (GET /flows)': exports.join('\n'),
      'flow files on disk': files.map((p) => readFileSync(p, 'utf8')).join('\n'),
      'credential API': credentialApi.join('\n'),
      'Node-RED log at trace level': output,
      'node statuses': JSON.stringify(allSeen.flatMap((s) => s.statuses)),
      'caught errors (with their messages)': JSON.stringify(allSeen.flatMap((s) => s.errors)),
    };
    const found = Object.entries(places).flatMap(([place, text]) => Object.entries(SECRETS).filter(([, secret]) => text.includes(secret)).map(([name]) => `${name} in ${place}`));
    figures('secrets', {
      'flows deployed': examples.length + 1,
      'exported bytes': places['flow export (GET /flows)']!.length,
      'log lines (trace)': output.split('\n').length,
      statuses: allSeen.reduce((n, s) => n + s.statuses.length, 0),
      'caught errors': allSeen.reduce((n, s) => n + s.errors.length, 0),
      'passwords found': found.length,
      'final statuses': show(now),
    });
    assert.ok(output.includes('[trace]'), 'the log was at trace level');
    assert.ok(credentialApi.some((c) => c.includes('"has_password":true')), 'the credentials were set');
    assert.deepEqual(found, [], 'test passwords found');
  });
});
