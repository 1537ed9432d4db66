import assert from 'node:assert/strict';
import { coreNodes, helper, nodes, nextMessage, onTab, textsOn, until } from '../support/red.mts';
import { plant, usePlantServer } from '../support/opcua.mts';


describe('twin-opcua-in against an in-process node-opcua server over TCP', function () {
  this.timeout(60_000);
  const virtualPlc = usePlantServer('twin-opcua');

  const endpoint = (extra: Record<string, unknown> = {}) => ({
    id: 'endpoint',
    type: 'twin-opcua-endpoint',
    endpoint: virtualPlc.server().endpointUrl,
    securityMode: 'None',
    securityPolicy: 'None',
    authentication: 'anonymous',
    publishingInterval: '100',
    ...extra,
  });

  it('monitors variables (ns= and nsu= ids) and sends telemetry with source time and quality', async () => {
    await helper.load(
      [nodes.opcuaEndpoint, nodes.opcuaIn],
      onTab([
        endpoint(),
        {
          id: 'in',
          type: 'twin-opcua-in',
          endpoint: 'endpoint',
          assetId: 'pump-1',
          samplingInterval: '50',
          variables: [
            { nodeId: `nsu=${plant.PLANT_NAMESPACE_URI};s=Pump1.Counter`, signal: 'counter' },
            { nodeId: 'ns=2;s=Pump1.Speed', signal: 'speed' },
          ],
          wires: [['out']],
        },
        { id: 'out', type: 'helper' },
      ]),
    );
    const out = helper.getNode('out');
    const counters: number[] = [];
    let speed: any;
    out.on('input', (msg: any) => {
      if ('counter' in msg.payload.signals) counters.push(msg.payload.signals.counter);
      if ('speed' in msg.payload.signals) speed = msg.payload;
    });
    await until(() => counters.length >= 5 && speed !== undefined, 20_000, 'five counter values and a speed').catch((err: Error) => {
      throw new Error(`${err.message}; errors: ${JSON.stringify(helper.getNode('in').error.args)}; endpoint: ${helper.getNode('endpoint').state} ${helper.getNode('endpoint').lastError}`);
    });
    for (let i = 1; i < counters.length; i++) assert.ok(counters[i]! > counters[i - 1]!, 'counter values arrive in order');
    assert.equal(speed.assetId, 'pump-1');
    assert.equal(speed.signals.speed, 1480);
    // With batching, the counter may share the message: only the speed's own quality matters here.
    assert.equal(speed.quality.speed, 'good');
    assert.ok(Math.abs(speed.ts - Date.now()) < 30_000, 'source timestamp is recent');

    const changed = nextMessage(out, (m: any) => m.payload.signals.speed === 1300, 10_000);
    virtualPlc.server().set('Speed', 1300);
    await changed;
  });

  it('refuses to send a password over security None unless allowed, with an error for Catch', async () => {
    await helper.load(
      [nodes.opcuaEndpoint, nodes.opcuaIn, coreNodes.catch],
      onTab([
        endpoint({ authentication: 'username' }),
        { id: 'in', type: 'twin-opcua-in', endpoint: 'endpoint', assetId: 'p', variables: [{ nodeId: 'ns=1;s=Pump1.Speed', signal: 'speed' }], wires: [[]] },
      ]),
      { endpoint: { user: 'operator', password: 's3cret-test-password' } },
    );
    const endpointNode = helper.getNode('endpoint');
    await until(() => endpointNode.state === 'error', 15_000, 'endpoint in error');
    assert.match(endpointNode.lastError, /refusing to send a password over security policy None/);
    const logged = JSON.stringify(helper.log().args);
    assert.ok(!logged.includes('s3cret-test-password'), 'the password never reaches the log');
  });

  it('reports a node id the server does not know, and keeps monitoring the others', async () => {
    await helper.load(
      [nodes.opcuaEndpoint, nodes.opcuaIn],
      onTab([
        endpoint(),
        {
          id: 'in',
          type: 'twin-opcua-in',
          endpoint: 'endpoint',
          assetId: 'p',
          variables: [
            { nodeId: 'ns=2;s=Pump1.NoSuchThing', signal: 'x' },
            { nodeId: 'ns=2;s=Pump1.Flow', signal: 'flow' },
          ],
          wires: [['out']],
        },
        { id: 'out', type: 'helper' },
      ]),
    );
    const flow = nextMessage(helper.getNode('out'), (m: any) => m.payload.signals.flow === 151, 15_000);
    const node = helper.getNode('in');
    await until(() => node.error.called, 15_000, 'an error');
    assert.match(String(node.error.firstCall.args[0]), /ns=2;s=Pump1.NoSuchThing: BadNodeIdUnknown/);
    await flow;
  });

  it('monitors a variable the server refused at first once a PLC download adds it, without a redeploy, and raises its error once', async function () {
    this.timeout(60_000);
    await helper.load(
      [nodes.opcuaEndpoint, nodes.opcuaIn],
      onTab([
        endpoint(),
        {
          id: 'in',
          type: 'twin-opcua-in',
          endpoint: 'endpoint',
          assetId: 'p',
          variables: [
            { nodeId: 'ns=2;s=Pump1.SealLeak', signal: 'sealLeak' },
            { nodeId: 'ns=2;s=Pump1.Flow', signal: 'flow' },
          ],
          wires: [['out']],
        },
        { id: 'out', type: 'helper' },
      ]),
    );
    const node = helper.getNode('in');
    // (The watchdog's "no data" errors are left out: the flow value does not change in this test.)
    const errorsOf = () => textsOn(node, 'error').filter((text) => text.includes('SealLeak'));
    await nextMessage(helper.getNode('out'), (m: any) => m.payload.signals.flow === 151, 15_000);
    await until(() => errorsOf().length > 0, 15_000, 'the refused variable\'s error');
    assert.match(errorsOf()[0]!, /ns=2;s=Pump1.SealLeak: BadNodeIdUnknown \(asked for again every 10 s\)/);
    // The PLC program gains the variable: within one retry (10 s) its value arrives, as the signal mapped to it.
    const leak = nextMessage(helper.getNode('out'), (m: any) => m.payload.signals.sealLeak === 0.25, 25_000);
    virtualPlc.server().addVariable('SealLeak', 0.25);
    try {
      await leak;
    } finally {
      virtualPlc.server().removeVariable('SealLeak'); // the server is shared by this block's tests
    }
    assert.equal(errorsOf().length, 1, `one error, not one per retry: ${errorsOf().join(' | ')}`);
    assert.ok(textsOn(node, 'log').some((text) => /ns=2;s=Pump1.SealLeak: on the server now/.test(text)), 'logged when found');
  });

  it('a text variable mapped by mistake is an error once, not on every change, and again after it sent a number', async () => {
    const plc = virtualPlc.server();
    plc.addVariable('StatusText', 'running');
    try {
      await helper.load(
        [nodes.opcuaEndpoint, nodes.opcuaIn],
        onTab([
          endpoint(),
          { id: 'in', type: 'twin-opcua-in', endpoint: 'endpoint', assetId: 'p', variables: [{ nodeId: 'ns=2;s=Pump1.StatusText', signal: 'state' }, { nodeId: 'ns=2;s=Pump1.Flow', signal: 'flow' }], noDataTimeout: '0', wires: [['out']] },
          { id: 'out', type: 'helper' },
        ]),
      );
      const node = helper.getNode('in');
      const errorsOf = () => textsOn(node, 'error');
      await until(() => errorsOf().length > 0, 15_000, 'the text variable\'s error');
      assert.match(errorsOf()[0]!, /ns=2;s=Pump1.StatusText: value "running" is not a number \(raised once/);
      for (const text of ['stopping', 'stopped', 'starting']) {
        plc.set('StatusText', text);
        await new Promise((resolve) => setTimeout(resolve, 300));
      }
      assert.equal(errorsOf().length, 1, errorsOf().join(' | '));
      // A number resets it: the next text is raised again.
      const number = nextMessage(helper.getNode('out'), (m: any) => m.payload.signals.state === 3, 10_000);
      plc.set('StatusText', 3);
      await number;
      plc.set('StatusText', 'fault');
      await until(() => errorsOf().length === 2, 10_000, 'a second error');
      assert.match(errorsOf()[1]!, /value "fault" is not a number/);
    } finally {
      plc.removeVariable('StatusText');
    }
  });

  it('a node id the client library cannot even read is that node\'s error: another node on the endpoint keeps monitoring', async () => {
    await helper.load(
      [nodes.opcuaEndpoint, nodes.opcuaIn],
      onTab([
        endpoint(),
        // Well formed to the eye, but no GUID: node-opcua throws while creating the item.
        { id: 'bad', type: 'twin-opcua-in', endpoint: 'endpoint', assetId: 'p', variables: [{ nodeId: 'ns=2;g=not-a-guid', signal: 'x' }], wires: [[]] },
        { id: 'good', type: 'twin-opcua-in', endpoint: 'endpoint', assetId: 'q', variables: [{ nodeId: 'ns=2;s=Pump1.Flow', signal: 'flow' }], wires: [['out']] },
        { id: 'out', type: 'helper' },
      ]),
    );
    const flow = nextMessage(helper.getNode('out'), (m: any) => m.payload.signals.flow === 151, 15_000);
    // The test runtime's error spy is shared by all nodes: each call is told apart by the node it was made on.
    const errorsOf = (id: string) => textsOn(helper.getNode(id), 'error');
    await until(() => errorsOf('bad').length > 0, 15_000, 'the bad node\'s error');
    assert.match(errorsOf('bad')[0]!, /ns=2;g=not-a-guid/);
    await flow;
    assert.deepEqual(errorsOf('good'), [], 'the good node has no error');
  });

  it('a server that does not answer the first connection is an error for Catch within seconds, not "connecting" for ever', async () => {
    // A port nothing listens on: take a free one and let it go.
    const { createServer } = await import('node:net');
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const port = (probe.address() as { port: number }).port;
    await new Promise((resolve) => probe.close(resolve));
    await helper.load(
      [nodes.opcuaEndpoint, nodes.opcuaIn],
      onTab([
        endpoint({ endpoint: `opc.tcp://127.0.0.1:${port}` }),
        { id: 'in', type: 'twin-opcua-in', endpoint: 'endpoint', assetId: 'p', variables: [{ nodeId: 'ns=2;s=Pump1.Flow', signal: 'flow' }], wires: [[]] },
      ]),
    );
    const node = helper.getNode('in');
    const started = Date.now();
    await until(() => node.error.called, 15_000, 'the error');
    assert.match(String(node.error.firstCall.args[0]), new RegExp(`no answer from opc.tcp://127.0.0.1:${port} after \\d+ attempts .*still trying`));
    console.log(`      (unreachable server reported after ${Date.now() - started} ms)`);
  });

  it('reports an unknown namespace URI instead of monitoring nothing silently', async () => {
    await helper.load(
      [nodes.opcuaEndpoint, nodes.opcuaIn],
      onTab([
        endpoint(),
        { id: 'in', type: 'twin-opcua-in', endpoint: 'endpoint', assetId: 'p', variables: [{ nodeId: 'nsu=urn:nowhere;s=X', signal: 'x' }], wires: [[]] },
      ]),
    );
    const node = helper.getNode('in');
    await until(() => node.error.called, 15_000, 'an error');
    assert.match(String(node.error.firstCall.args[0]), /no namespace "urn:nowhere"/);
  });
  const opcuaIn = (id: string, variables: Array<Record<string, unknown>>, extra: Record<string, unknown> = {}) => ({
    id,
    type: 'twin-opcua-in',
    endpoint: 'endpoint',
    assetId: 'pump-1',
    samplingInterval: '50',
    variables,
    wires: [['out']],
    ...extra,
  });
  const plc = (name: string) => `nsu=${plant.PLANT_NAMESPACE_URI};s=Pump1.${name}`;

  it('shares one session and one subscription between two nodes on one endpoint', async () => {
    const before = virtualPlc.server().load();
    await helper.load(
      [nodes.opcuaEndpoint, nodes.opcuaIn],
      onTab([
        endpoint(),
        opcuaIn('a', [{ nodeId: plc('Counter'), signal: 'counter' }]),
        opcuaIn('b', [
          { nodeId: plc('Speed'), signal: 'speed' },
          { nodeId: plc('Flow'), signal: 'flow' },
        ]),
        { id: 'out', type: 'helper' },
      ]),
    );
    const seen = new Set<string>();
    helper.getNode('out').on('input', (msg: any) => Object.keys(msg.payload.signals).forEach((s) => seen.add(s)));
    await until(() => seen.size === 3, 15_000, 'values from both nodes');
    assert.deepEqual(virtualPlc.server().load(), {
      sessions: before.sessions + 1,
      subscriptions: before.subscriptions + 1,
      monitoredItems: before.monitoredItems + 3,
    });
  });

  it('keeps the session on a modified-nodes deploy and leaves no monitored item behind on any deploy', async () => {
    const before = virtualPlc.server().load();
    const flow = (variables: Array<Record<string, unknown>>) => onTab([endpoint(), opcuaIn('a', variables), { id: 'out', type: 'helper' }]);
    const speed = { nodeId: plc('Speed'), signal: 'speed' };
    const flowVar = { nodeId: plc('Flow'), signal: 'flow' };
    await helper.load([nodes.opcuaEndpoint, nodes.opcuaIn], flow([speed, flowVar]));
    await until(() => virtualPlc.server().load().monitoredItems === before.monitoredItems + 2, 15_000, 'two items');
    const session = () => virtualPlc.server().server.engine.getSessions().map((s) => s.nodeId.toString()).sort().join();
    const firstSession = session();

    await helper.setFlows(flow([speed]), 'nodes');
    await until(() => virtualPlc.server().load().monitoredItems === before.monitoredItems + 1, 10_000, 'one item after the modified-nodes deploy');
    assert.equal(session(), firstSession, 'the endpoint and its session stayed');

    await helper.setFlows(flow([speed, flowVar]), 'full');
    await until(() => virtualPlc.server().load().monitoredItems === before.monitoredItems + 2, 10_000, 'two items after a full deploy');
    assert.deepEqual(virtualPlc.server().load(), { sessions: before.sessions + 1, subscriptions: before.subscriptions + 1, monitoredItems: before.monitoredItems + 2 });
  });

  it('sends values the server marks Bad or Uncertain with that quality', async () => {
    await helper.load(
      [nodes.opcuaEndpoint, nodes.opcuaIn],
      onTab([endpoint(), opcuaIn('in', [{ nodeId: plc('BearingTemp'), signal: 'bearingTemp' }]), { id: 'out', type: 'helper' }]),
    );
    const out = helper.getNode('out');
    await nextMessage(out, (m: any) => m.payload.quality.bearingTemp === 'good', 15_000);
    const bad = nextMessage(out, (m: any) => m.payload.signals.bearingTemp === 97, 10_000);
    virtualPlc.server().set('BearingTemp', 97, 'BadSensorFailure');
    assert.deepEqual((await bad).payload.quality, { bearingTemp: 'bad' });
    const uncertain = nextMessage(out, (m: any) => m.payload.signals.bearingTemp === 61, 10_000);
    virtualPlc.server().set('BearingTemp', 61, 'UncertainLastUsableValue');
    assert.deepEqual((await uncertain).payload.quality, { bearingTemp: 'uncertain' });
    virtualPlc.server().set('BearingTemp', 53);
  });

  it('a Bad status without a value (sensor gone) shows the signal bad in the twin, with an event; a good value clears it', async () => {
    await helper.load(
      [nodes.opcuaEndpoint, nodes.opcuaIn, nodes.definition, nodes.state],
      onTab([
        endpoint(),
        { id: 'def', type: 'twin-definition', assetClass: 'pump', historyPoints: '100', acceptUndeclared: false, signals: [{ name: 'bearingTemp', unit: 'degC', min: -20, max: 150 }] },
        opcuaIn('in', [{ nodeId: plc('BearingTemp'), signal: 'bearingTemp' }], { wires: [['state']] }),
        { id: 'state', type: 'twin-state', definition: 'def', throttleMs: '0', wires: [['snapshots'], ['events']] },
        { id: 'snapshots', type: 'helper' },
        { id: 'events', type: 'helper' },
      ]),
    );
    const snapshots = helper.getNode('snapshots');
    const events = helper.getNode('events');
    virtualPlc.server().set('BearingTemp', 55);
    await nextMessage(snapshots, (m: any) => m.payload.signals.bearingTemp?.value === 55, 15_000);
    const event = nextMessage(events, (m: any) => m.payload.type === 'rejected' && m.payload.signal === 'bearingTemp', 10_000);
    const badShown = nextMessage(snapshots, (m: any) => m.payload.signals.bearingTemp?.badSince !== undefined, 10_000);
    virtualPlc.server().set('BearingTemp', null, 'BadSensorFailure');
    const bad = (await badShown).payload.signals.bearingTemp;
    // The last usable value stays, marked as older than what the sensor says now.
    assert.equal(bad.value, 55);
    assert.ok(bad.badSince >= bad.ts, `badSince ${bad.badSince} after the value's time ${bad.ts}`);
    assert.equal((await event).payload.reason, 'marked bad by the source, without a value');
    const back = nextMessage(snapshots, (m: any) => m.payload.signals.bearingTemp?.value === 57, 10_000);
    virtualPlc.server().set('BearingTemp', 57);
    assert.equal((await back).payload.signals.bearingTemp.badSince, undefined);
  });

  it('sends the values of one PLC scan as one message with several signals', async () => {
    await helper.load(
      [nodes.opcuaEndpoint, nodes.opcuaIn],
      onTab([
        endpoint(),
        opcuaIn('in', [
          { nodeId: plc('Speed'), signal: 'speed' },
          { nodeId: plc('Flow'), signal: 'flow' },
          { nodeId: plc('BearingTemp'), signal: 'bearingTemp' },
        ]),
        { id: 'out', type: 'helper' },
      ]),
    );
    const out = helper.getNode('out');
    const messages: any[] = [];
    out.on('input', (msg: any) => messages.push(msg.payload));
    await until(() => messages.length > 0, 15_000, 'initial values');
    await new Promise((r) => setTimeout(r, 300));
    messages.length = 0;
    virtualPlc.server().setMany({ Speed: 1234, Flow: 140, BearingTemp: 58 });
    await until(() => messages.some((m) => m.signals.speed === 1234), 10_000, 'the new speed');
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(messages.length, 1, `one message, got ${JSON.stringify(messages)}`);
    assert.deepEqual(messages[0].signals, { speed: 1234, flow: 140, bearingTemp: 58 });
    assert.deepEqual(messages[0].quality, { speed: 'good', flow: 'good', bearingTemp: 'good' });
    virtualPlc.server().setMany({ Speed: 1480, Flow: 151, BearingTemp: 53 });
  });

  it('shows "no data" when connected values stop arriving, raises it to Catch, and recovers on the next value', async () => {
    await helper.load(
      [nodes.opcuaEndpoint, nodes.opcuaIn, coreNodes.catch],
      onTab([
        endpoint(),
        opcuaIn('in', [{ nodeId: plc('Speed'), signal: 'speed' }], { noDataTimeout: '600' }),
        { id: 'out', type: 'helper' },
        { id: 'catch', type: 'catch', scope: ['in'], uncaught: false, wires: [['caught']] },
        { id: 'caught', type: 'helper' },
      ]),
    );
    const node = helper.getNode('in');
    const statuses: any[] = [];
    node.on('call:status', (call: any) => statuses.push(call.args[0]));
    const caught = nextMessage(helper.getNode('caught'), () => true, 10_000);
    await until(() => statuses.some((s) => s.fill === 'green'), 15_000, 'connected');
    const alarm = await caught;
    assert.match(alarm.error.message, /no data from the OPC UA server for [\d.]+ s though connected/);
    assert.equal(alarm.payload.assetId, 'pump-1');
    assert.deepEqual(statuses.at(-1), { fill: 'yellow', shape: 'ring', text: 'twin-opcua-in.status.no-data' });
    virtualPlc.server().set('Speed', 1400);
    await until(() => statuses.at(-1)?.fill === 'green', 5000, 'green again after a value');
    virtualPlc.server().set('Speed', 1480);
  });

  it('lists child nodes for the editor through the admin HTTP API (nsu= ids, data types)', async () => {
    await helper.load([nodes.opcuaEndpoint], onTab([endpoint()]));
    const root = await helper.request().get('/twin-opcua-endpoint/endpoint/browse');
    assert.equal(root.status, 200, JSON.stringify(root.body));
    const pump = root.body.children.find((c: any) => c.browseName === 'Pump1');
    assert.deepEqual(pump, { nodeId: `nsu=${plant.PLANT_NAMESPACE_URI};s=Pump1`, browseName: 'Pump1', displayName: 'Pump1', nodeClass: 'Object', hasChildren: true });
    assert.ok(root.body.children.some((c: any) => c.nodeId === 'i=2253' && c.browseName === 'Server'), 'the standard Server object is listed as i=2253');

    const children = await helper.request().get('/twin-opcua-endpoint/endpoint/browse').query({ nodeId: pump.nodeId }).expect(200);
    const speed = children.body.children.find((c: any) => c.browseName === 'Speed');
    assert.deepEqual(speed, { nodeId: plc('Speed'), browseName: 'Speed', displayName: 'Speed', nodeClass: 'Variable', dataType: 'Double', hasChildren: false });
    assert.deepEqual(children.body.children.map((c: any) => c.browseName).sort(), ['BearingTemp', 'Counter', 'Flow', 'Speed']);

    const unknown = await helper.request().get('/twin-opcua-endpoint/endpoint/browse').query({ nodeId: 'nsu=urn:nowhere;s=X' }).expect(502);
    assert.match(unknown.body.error, /no namespace "urn:nowhere"/);
    const undeployed = await helper.request().get('/twin-opcua-endpoint/not-deployed/browse').expect(404);
    assert.match(undeployed.body.error, /not deployed/);
  });
});
