/**
 * twin-mqtt-broker and twin-mqtt-in against a real Mosquitto (Debian package) started by the test on a free
 * 127.0.0.1 port: TLS with a test CA and client certificate, a password file, persistent sessions across an unload of
 * the flow, resubscription after the broker lost the session, MQTT 5 shared subscriptions.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import mqtt from 'mqtt';
import { coreNodes, helper, nodes, onTab, textsOn, until, type TestNode } from '../support/red.mts';
import { Mosquitto, makeTestPki, type TestPki } from '../support/mosquitto.mts';
import { commandsOnAReadingsTopic } from '../support/mqtt-flows.mts';

/** A broker node, twin-mqtt-in on `topic` into the helper `out`, and a Catch node on it into `caught`. */
function inWithCatch(brokerNode: Record<string, unknown>, topic: string) {
  return onTab([
    brokerNode,
    { id: 'in', type: 'twin-mqtt-in', broker: 'broker', topic, wires: [['out']] },
    { id: 'out', type: 'helper' },
    { id: 'catch', type: 'catch', scope: ['in'], wires: [['caught']] },
    { id: 'caught', type: 'helper' },
  ]);
}

/** Collects what a helper node receives, across reloads of the flow (call again after each load). */
function collect(node: TestNode, into: Array<Record<string, any>>): void {
  node.on('input', (msg: Record<string, any>) => into.push(msg));
}

function lastStatus(id: string): { fill?: string; text?: string } {
  return helper.getNode(id).status.lastCall?.args[0] ?? {};
}

/** Publishes one message now and then until `condition` holds (a subscription may still be on its way). */
async function publishUntil(publisher: mqtt.MqttClient, condition: () => boolean, topic: string, payload: string, ms = 10_000): Promise<void> {
  const start = Date.now();
  while (!condition()) {
    if (Date.now() - start > ms) throw new Error(`nothing arrived for ${topic} within ${ms} ms`);
    publisher.publish(topic, payload, { qos: 1 });
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('twin-mqtt-in against Mosquitto', function () {
  this.timeout(60_000);
  beforeEach(() => helper.startServer());
  afterEach(async () => {
    await helper.unload();
    await helper.stopServer();
  });

  describe('TLS and a password file', () => {
    let pki: TestPki;
    let broker: Mosquitto;
    let publisher: mqtt.MqttClient;
    const USER = 'plant-twin';
    const PASSWORD = 'correct-horse-pump-7';

    before(async () => {
      pki = makeTestPki();
      broker = await Mosquitto.start({
        tls: { cafile: pki.ca, certfile: pki.serverCert, keyfile: pki.serverKey, requireCertificate: true },
        users: { [USER]: PASSWORD },
      });
      publisher = await mqtt.connectAsync(broker.url, {
        ca: readFileSync(pki.ca),
        cert: readFileSync(pki.clientCert),
        key: readFileSync(pki.clientKey),
        username: USER,
        password: PASSWORD,
      });
    });
    after(async () => {
      await publisher?.endAsync();
      await broker?.dispose();
      pki?.remove();
    });

    const tlsBroker = (changes: Record<string, unknown> = {}) => ({
      id: 'broker',
      type: 'twin-mqtt-broker',
      url: broker.url,
      protocolVersion: '4',
      cleanSession: true,
      tlsCa: pki.ca,
      tlsCert: pki.clientCert,
      tlsKey: pki.clientKey,
      ...changes,
    });
    const flow = (brokerNode: Record<string, unknown>) => inWithCatch(brokerNode, 'secure/{assetId}/{signal}');
    const credentials = { broker: { user: USER, password: PASSWORD } };

    it('connects with the right CA, client certificate and password, and data flows', async () => {
      await helper.load([nodes.mqttBroker, nodes.mqttIn, coreNodes.catch], flow(tlsBroker()), credentials);
      const out: Array<Record<string, any>> = [];
      collect(helper.getNode('out'), out);
      await publishUntil(publisher, () => out.length > 0, 'secure/pump-1/flow', '12.5');
      assert.deepEqual(out[0]!.payload.signals, { flow: 12.5 });
      assert.equal(lastStatus('in').fill, 'green');
      // The password is in no log line.
      assert.ok(!JSON.stringify(helper.log().args).includes(PASSWORD));
    });

    it('refuses a broker whose certificate the configured CA did not sign: error status, a Catch-able error, no crash', async () => {
      await helper.load([nodes.mqttBroker, nodes.mqttIn, coreNodes.catch], flow(tlsBroker({ tlsCa: pki.otherCa })), credentials);
      const caught: Array<Record<string, any>> = [];
      collect(helper.getNode('caught'), caught);
      await until(() => caught.length > 0, 10_000, 'a caught connection error');
      assert.match(caught[0]!.error.message, /certificate/i);
      assert.equal(caught[0]!.payload.state, 'error');
      assert.equal(lastStatus('in').fill, 'red');
      // It keeps retrying without reporting the same error again, and never connects.
      await new Promise((r) => setTimeout(r, 2500));
      assert.equal(caught.length, 1);
      assert.equal(lastStatus('in').fill, 'red');
    });

    it('connects to that broker anyway when "verify server certificate" is switched off', async () => {
      await helper.load([nodes.mqttBroker, nodes.mqttIn, coreNodes.catch], flow(tlsBroker({ tlsCa: pki.otherCa, tlsRejectUnauthorized: false })), credentials);
      await until(() => lastStatus('in').fill === 'green', 10_000, 'connected without verification');
    });

    it('is refused without user and password (the broker has a password file)', async () => {
      await helper.load([nodes.mqttBroker, nodes.mqttIn, coreNodes.catch], flow(tlsBroker()));
      const caught: Array<Record<string, any>> = [];
      collect(helper.getNode('caught'), caught);
      await until(() => caught.length > 0, 10_000, 'a caught connection error');
      assert.match(caught[0]!.error.message, /not authori[sz]ed/i);
      assert.equal(lastStatus('in').fill, 'red');
    });

    it('asks again, slowly, after the broker refused the login: once the broker knows the user, data flows without a redeploy', async function () {
      this.timeout(60_000);
      const late = { broker: { user: 'commissioned-later', password: 'pump-house-9' } };
      await helper.load([nodes.mqttBroker, nodes.mqttIn, coreNodes.catch], flow(tlsBroker()), late);
      await until(() => lastStatus('in').fill === 'red', 10_000, 'refused');
      // The broker's user database is fixed (here: a restart with the user added).
      await broker.restart({ users: { [USER]: PASSWORD, 'commissioned-later': 'pump-house-9' } });
      await until(() => lastStatus('in').fill === 'green', 30_000, 'connected on a later attempt');
      const out: Array<Record<string, any>> = [];
      collect(helper.getNode('out'), out);
      await publishUntil(publisher, () => out.length > 0, 'secure/pump-1/flow', '13.5');
      assert.deepEqual(out[0]!.payload.signals, { flow: 13.5 });
    });

    it('refuses at deploy a key file that cannot be read, and TLS files with an unencrypted URL', async () => {
      await helper.load([nodes.mqttBroker, nodes.mqttIn, coreNodes.catch], flow(tlsBroker({ tlsKey: `${pki.dir}/missing.key` })), credentials);
      await until(() => lastStatus('in').fill === 'red', 5000, 'red status');
      assert.match(helper.getNode('in').status.lastCall.args[0].text, /twin-mqtt-broker\.status\.error/);
      assert.match(JSON.stringify(helper.log().args), /cannot read the client private key .*missing\.key \(ENOENT\)/);
      await helper.unload();
      await helper.load([nodes.mqttBroker, nodes.mqttIn, coreNodes.catch], flow(tlsBroker({ url: `mqtt://127.0.0.1:${broker.port}` })), credentials);
      await until(() => lastStatus('in').fill === 'red', 5000, 'red status');
      assert.match(JSON.stringify(helper.log().args), /TLS files are set but mqtt:\/\/ is not encrypted/);
    });
  });

  describe('persistent sessions', () => {
    let broker: Mosquitto;
    before(async () => {
      broker = await Mosquitto.start({ persistence: true, maxQueuedMessages: 0 });
    });
    after(() => broker?.dispose());

    const TOTAL = 2000;

    type Interruption = 'unload' | 'redeploy';

    /**
     * Streams TOTAL QoS 1 messages numbered 0..TOTAL-1 into twin-mqtt-in and interrupts it a third of the way in:
     * `unload` stops the whole flow (connection closed), keeps publishing, and loads it again at two thirds;
     * `redeploy` deploys a change of twin-mqtt-in alone ("modified nodes"), so its connection stays open meanwhile.
     * Returns the sequence numbers received, duplicates included.
     */
    async function streamAcross(interruption: Interruption, brokerNode: Record<string, unknown>, topicRoot: string): Promise<number[]> {
      const flow = (name: string) =>
        onTab([
          brokerNode,
          { id: 'in', type: 'twin-mqtt-in', name, broker: 'broker', topic: `${topicRoot}/{assetId}/telemetry`, qos: '1', wires: [['out']] },
          { id: 'out', type: 'helper' },
        ]);
      const received: Array<Record<string, any>> = [];
      await helper.load([nodes.mqttBroker, nodes.mqttIn], flow('first'));
      collect(helper.getNode('out'), received);
      await until(() => lastStatus('in').fill === 'green', 5000, 'connected');
      // The subscription is confirmed when a probe arrives; probes are not counted.
      const publisher = await mqtt.connectAsync(broker.url, { protocolVersion: 5 });
      await publishUntil(publisher, () => received.length > 0, `${topicRoot}/probe/telemetry`, '{"seq": -1}');
      let published = 0;
      const publishing = (async () => {
        for (; published < TOTAL; published++) {
          await publisher.publishAsync(`${topicRoot}/pump-1/telemetry`, JSON.stringify({ seq: published }), { qos: 1 });
        }
      })();
      await until(() => published >= TOTAL / 3, 20_000, 'a third published');
      if (interruption === 'unload') {
        await helper.unload();
        await until(() => published >= (2 * TOTAL) / 3, 20_000, 'two thirds published');
        await helper.load([nodes.mqttBroker, nodes.mqttIn], flow('again'));
        collect(helper.getNode('out'), received);
      } else {
        const out = helper.getNode('out');
        await (helper as unknown as { setFlows(flow: unknown, type: string): Promise<void> }).setFlows(flow('renamed'), 'nodes');
        assert.equal(helper.getNode('out'), out, 'only twin-mqtt-in was redeployed');
      }
      await publishing;
      await publisher.endAsync();
      const seqs = () => received.map((m) => m.payload.signals.seq as number).filter((s) => s >= 0);
      // Per session the broker keeps order: once the last one is in, anything missing is lost.
      await until(() => seqs().includes(TOTAL - 1), 15_000, 'the last sequence number');
      await new Promise((r) => setTimeout(r, 100));
      return seqs();
    }

    function report(label: string, seqs: number[]): number[] {
      const unique = new Set(seqs);
      const missing = [...Array(TOTAL).keys()].filter((s) => !unique.has(s));
      console.log(`      ${label}: received ${seqs.length}, unique ${unique.size}, lost ${missing.length}, duplicates ${seqs.length - unique.size}`);
      return missing;
    }

    for (const protocolVersion of ['4', '5']) {
      const label = protocolVersion === '5' ? 'MQTT 5, session expiry' : 'MQTT 3.1.1';
      const persistent = (id: string) => ({ id: 'broker', type: 'twin-mqtt-broker', url: broker.url, protocolVersion, cleanSession: false, clientId: `${id}-v${protocolVersion}`, sessionExpiry: '600' });

      it(`loses none of ${TOTAL} QoS 1 messages while the flow is unloaded and loaded again (${label})`, async () => {
        const seqs = await streamAcross('unload', persistent('twin-unload'), `unload${protocolVersion}`);
        assert.deepEqual(report(`unload, ${label}`, seqs), []);
      });

      it(`loses none of ${TOTAL} QoS 1 messages while twin-mqtt-in alone is redeployed (${label})`, async () => {
        const seqs = await streamAcross('redeploy', persistent('twin-redeploy'), `redeploy${protocolVersion}`);
        assert.deepEqual(report(`redeploy, ${label}`, seqs), []);
      });
    }

    it('with a clean session the same test loses the messages sent while the flow was unloaded (the test can tell)', async () => {
      const seqs = await streamAcross('unload', { id: 'broker', type: 'twin-mqtt-broker', url: broker.url, protocolVersion: '4', cleanSession: true, clientId: 'twin-clean' }, 'clean');
      assert.ok(report('unload, clean session', seqs).length > 0);
    });

    it('ends the broker-side subscription of a persistent session when its node is deleted, not when redeployed', async () => {
      const setFlows = (flow: unknown) => (helper as unknown as { setFlows(flow: unknown, type: string): Promise<void> }).setFlows(flow, 'nodes');
      const brokerNode = { id: 'broker', type: 'twin-mqtt-broker', url: broker.url, protocolVersion: '4', cleanSession: false, clientId: 'twin-delete' };
      const keeper = { id: 'keeper', type: 'twin-mqtt-in', broker: 'broker', topic: 'keep/{assetId}/{signal}', wires: [[]] };
      const withNode = onTab([brokerNode, keeper, { id: 'in', type: 'twin-mqtt-in', broker: 'broker', topic: 'gone/{assetId}/{signal}', wires: [['out']] }, { id: 'out', type: 'helper' }]);
      await helper.load([nodes.mqttBroker, nodes.mqttIn], withNode);
      const out: Array<Record<string, any>> = [];
      collect(helper.getNode('out'), out);
      const publisher = await mqtt.connectAsync(broker.url);
      try {
        await publishUntil(publisher, () => out.length > 0, 'gone/pump-1/flow', '1');
        // Deleted (the keeper holds the connection open): the broker stops keeping messages for it.
        await setFlows(onTab([brokerNode, keeper, { id: 'out', type: 'helper' }]));
        await publisher.publishAsync('gone/pump-1/flow', '2', { qos: 1 });
        await new Promise((r) => setTimeout(r, 200));
        await setFlows(withNode);
        const back: Array<Record<string, any>> = [];
        collect(helper.getNode('in'), back);
        collect(helper.getNode('out'), back);
        await publishUntil(publisher, () => back.some((m) => m.payload.signals.flow === 3), 'gone/pump-1/flow', '3');
        assert.ok(!back.some((m) => m.payload.signals.flow === 2), 'nothing kept for a deleted node');
      } finally {
        await publisher.endAsync();
      }
    });

    it('takes a retained reading once, not again when the broker replays it after a reconnect; clearing it is no error', async () => {
      await helper.load(
        [nodes.mqttBroker, nodes.mqttIn, coreNodes.catch],
        inWithCatch({ id: 'broker', type: 'twin-mqtt-broker', url: broker.url, protocolVersion: '4', cleanSession: true }, 'kept/{assetId}/{signal}'),
      );
      const out: Array<Record<string, any>> = [];
      const caught: Array<Record<string, any>> = [];
      collect(helper.getNode('out'), out);
      collect(helper.getNode('caught'), caught);
      const publisher = await mqtt.connectAsync(broker.url, { protocolVersion: 4, reconnectPeriod: 200 });
      try {
        // The device's last value, left on the broker; then the device goes quiet.
        await publisher.publishAsync('kept/pump-3/flow', '7', { qos: 1, retain: true });
        await until(() => out.length === 1, 10_000, 'the retained reading');
        await broker.restart();
        await until(() => lastStatus('in').fill === 'green', 10_000, 'connected again');
        await publishUntil(publisher, () => out.some((m) => m.payload.signals.flow === 8), 'kept/pump-3/flow', '8');
        assert.deepEqual(out.map((m) => m.payload.signals.flow).filter((v) => v === 7), [7], `the replayed 7 is not a new reading: ${JSON.stringify(out.map((m) => [m.topic, m.payload.signals]))}`);
        await publisher.publishAsync('kept/pump-3/flow', '', { qos: 1, retain: true });
        await new Promise((r) => setTimeout(r, 300));
        assert.deepEqual(caught, []);
      } finally {
        await publisher.endAsync();
      }
    });

    it('subscribes again when the broker lost the session (restart without persistence), and tells the flow', async () => {
      await helper.load(
        [nodes.mqttBroker, nodes.mqttIn],
        onTab([
          { id: 'broker', type: 'twin-mqtt-broker', url: broker.url, protocolVersion: '5', cleanSession: false, clientId: 'twin-resubscribe', sessionExpiry: '600' },
          { id: 'in', type: 'twin-mqtt-in', broker: 'broker', topic: 'resub/{assetId}/{signal}', stateOutput: true, wires: [['out'], ['state']] },
          { id: 'out', type: 'helper' },
          { id: 'state', type: 'helper' },
        ]),
      );
      const out: Array<Record<string, any>> = [];
      const states: Array<Record<string, any>> = [];
      collect(helper.getNode('out'), out);
      collect(helper.getNode('state'), states);
      const publisher = await mqtt.connectAsync(broker.url, { protocolVersion: 5, reconnectPeriod: 200 });
      try {
        await publishUntil(publisher, () => out.length > 0, 'resub/pump-2/flow', '1');
        assert.deepEqual(states.map((m) => m.payload.state), ['connected']);
        await broker.restart({ persistence: false });
        await until(() => states.some((m) => m.payload.state === 'disconnected'), 10_000, 'disconnected on the connection output');
        const before = out.length;
        await publishUntil(publisher, () => out.length > before && out.at(-1)!.payload.signals.flow === 2, 'resub/pump-2/flow', '2');
        const sequence = states.map((m) => m.payload.state);
        assert.equal(sequence.at(-1), 'connected');
        assert.ok(sequence.includes('disconnected'));
        assert.equal(states[0]!.topic, 'connection');
        assert.equal(states[0]!.payload.broker, broker.url);
      } finally {
        await publisher.endAsync();
        await broker.restart({ persistence: true });
      }
    });
  });

  describe('MQTT 5 shared subscriptions', () => {
    let broker: Mosquitto;
    before(async () => {
      broker = await Mosquitto.start({ persistence: false });
    });
    after(() => broker?.dispose());

    it('splits one stream between two nodes of one group, no message delivered to both', async () => {
      const TOTAL = 1000;
      const topic = '$share/twins/fleet/{assetId}/telemetry';
      await helper.load(
        [nodes.mqttBroker, nodes.mqttIn],
        onTab([
          { id: 'b1', type: 'twin-mqtt-broker', url: broker.url, protocolVersion: '5', cleanSession: true, clientId: 'twin-share-a' },
          { id: 'b2', type: 'twin-mqtt-broker', url: broker.url, protocolVersion: '5', cleanSession: true, clientId: 'twin-share-b' },
          { id: 'in1', type: 'twin-mqtt-in', broker: 'b1', topic, wires: [['out1']] },
          { id: 'in2', type: 'twin-mqtt-in', broker: 'b2', topic, wires: [['out2']] },
          { id: 'out1', type: 'helper' },
          { id: 'out2', type: 'helper' },
        ]),
      );
      const a: Array<Record<string, any>> = [];
      const b: Array<Record<string, any>> = [];
      collect(helper.getNode('out1'), a);
      collect(helper.getNode('out2'), b);
      const publisher = await mqtt.connectAsync(broker.url, { protocolVersion: 5 });
      try {
        // Both members are subscribed once each has received a probe.
        await publishUntil(publisher, () => a.length > 0 && b.length > 0, 'fleet/probe/telemetry', '{"seq": -1}');
        for (let seq = 0; seq < TOTAL; seq++) await publisher.publishAsync(`fleet/pump-${seq % 10}/telemetry`, JSON.stringify({ seq }), { qos: 1 });
        const seqs = (list: Array<Record<string, any>>) => list.map((m) => m.payload.signals.seq as number).filter((s) => s >= 0);
        await until(() => seqs(a).length + seqs(b).length >= TOTAL, 10_000, 'the whole stream');
        const inA = new Set(seqs(a));
        const both = seqs(b).filter((s) => inA.has(s));
        console.log(`      shared subscription: node 1 got ${inA.size}, node 2 got ${seqs(b).length}, both ${both.length}`);
        assert.deepEqual(both, []);
        assert.equal(new Set([...seqs(a), ...seqs(b)]).size, TOTAL);
        assert.ok(inA.size > TOTAL / 10 && seqs(b).length > TOTAL / 10, 'the group shares the load');
      } finally {
        await publisher.endAsync();
      }
    });
  });

  describe('commands and readings on overlapping subscriptions', () => {
    let broker: Mosquitto;
    before(async () => {
      // A copy per matching subscription, as EMQX sends (MQTT 3.1.1 allows either).
      broker = await Mosquitto.start({ persistence: false, allowDuplicateMessages: true });
    });
    after(() => broker?.dispose());

    it('a command matching both the readings filter and the actuator\'s own watch is no reading, also from a broker that sends one copy per subscription', async () => {
      const def = 'def-overlap';
      await helper.load(
        [nodes.mqttBroker, nodes.mqttIn, nodes.definition, nodes.state, nodes.actuator],
        // The actuator's commands on cmnd/<asset>/<point> match the readings filter, and its watch for retained
        // commands (cmnd/+/+) too: two subscriptions, two copies of each command.
        commandsOnAReadingsTopic({ id: 'broker', type: 'twin-mqtt-broker', url: broker.url, protocolVersion: '4', cleanSession: true }, def),
      );
      const results: any[] = [];
      helper.getNode('results').on('input', (m: any) => results.push(m.payload));
      const store = (helper.getNode(def) as any).store;
      const publisher = await mqtt.connectAsync(broker.url, { protocolVersion: 4 });
      try {
        await publishUntil(publisher, () => store.has('pump-2'), 'stat/pump-2/speed', '1400');
        await new Promise((r) => setTimeout(r, 300)); // the actuator's watch subscription on its way
        helper.getNode('act').receive({ payload: { assetId: 'pump-2', point: 'speed', value: 1420 } });
        await until(() => results.some((r) => r.result === 'confirmed' || r.result === 'failed'), 5000, 'a final result');
        assert.deepEqual(results.map((r) => r.result), ['written', 'failed'], JSON.stringify(results));
        assert.equal(store.snapshot('pump-2').signals.speed.value, 1400, 'its own command is not the pump\'s speed');
      } finally {
        await publisher.endAsync();
      }
    });
  });

  describe('a client id used twice', () => {
    let broker: Mosquitto;
    before(async () => {
      broker = await Mosquitto.start({ persistence: false });
    });
    after(() => broker?.dispose());

    /** Another client (a second Node-RED, a copied flow) with the broker node's client id, reconnecting as mqtt.js does. */
    async function twinOf(clientId: string, protocolVersion: 4 | 5): Promise<mqtt.MqttClient> {
      return mqtt.connectAsync(broker.url, { clientId, protocolVersion, reconnectPeriod: 250 });
    }

    for (const version of [4, 5] as const) {
      it(`says so in the status and one warning instead of flapping between connected and disconnected (MQTT ${version === 4 ? '3.1.1' : '5'})`, async function () {
        const clientId = `twin-duplicate-${version}`;
        await helper.load([nodes.mqttBroker, nodes.mqttIn, coreNodes.catch], inWithCatch({ id: 'broker', type: 'twin-mqtt-broker', url: broker.url, protocolVersion: String(version), cleanSession: true, clientId }, 'dup/{assetId}/telemetry'));
        const caught: Array<Record<string, any>> = [];
        collect(helper.getNode('caught'), caught);
        await until(() => lastStatus('in').fill === 'green', 5000, 'connected');
        const other = await twinOf(clientId, version);
        try {
          await until(() => lastStatus('in').text === 'twin-mqtt-broker.status.client-id-in-use', 20_000, 'the client id status');
          assert.equal(lastStatus('in').fill, 'red');
          const warnings = textsOn(helper.getNode('broker'), 'warn').filter((t) => t.includes(clientId));
          assert.equal(warnings.length, 1, warnings.join('\n'));
          // Mosquitto 2.0 ends the older MQTT 5 connection without DISCONNECT reason 142 ("session taken over"): both
          // versions are told by connections closed soon after they opened.
          assert.match(warnings[0]!, /closed the connection soon after it opened, 3 times in 2 minutes: another client probably uses the same client id/);
          // A Catch node hears it once, as for any connection error, however often the connection flaps.
          await new Promise((r) => setTimeout(r, 3000));
          assert.equal(caught.filter((m) => String(m.error?.message).includes(clientId)).length, 1);
          if (version === 5) {
            // The other client goes away: this connection stays, and after a calm spell the status is green again.
            await other.endAsync(true);
            await until(() => lastStatus('in').fill === 'green', 15_000, 'green again');
          }
        } finally {
          await other.endAsync(true);
        }
      });
    }
  });
});
