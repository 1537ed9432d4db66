/**
 * Issue 13.5: fast-check payloads into every node that takes input: twin-state, twin-sensor, twin-actuator,
 * twin-what-if, twin-rul and twin-simulator in a Node-RED runtime, twin-mqtt-in through a real Mosquitto. A plant engineer checks that nothing a
 * flow (or a device) sends can take Node-RED down or slip past the error handling:
 * - no uncaught exception and no unhandled rejection anywhere;
 * - every message is completed exactly once, by done() or by done(err), and never by an exception the runtime had to
 *   catch for the node; every done(err) reaches a Catch node;
 * - oversize payloads are refused with a reason.
 *
 * Full scale (npm run test:faults): 1,000,000 payloads per node (what-if: 100,000); npm test: a tenth.
 */
import assert from 'node:assert/strict';
import fc from 'fast-check';
import mqtt from 'mqtt';
import { figures, scaled } from '../support/fault-scale.mts';
import { Mosquitto } from '../support/mosquitto.mts';
import { coreNodes, helper, nodes, onTab, until, type TestNode } from '../support/red.mts';

const PER_NODE = Number(process.env.TWIN_FUZZ_COUNT) || scaled(1_000_000, 20_000);
const CHUNK = 2000;

/** Problems no node may cause, collected for the whole file. */
const escaped: string[] = [];
const onUncaught = (err: unknown) => escaped.push(`uncaught: ${String(err)}`);
const onRejection = (err: unknown) => escaped.push(`unhandled rejection: ${String(err)}`);

interface FuzzCounts {
  sent: number;
  completed: number;
  failed: number;
  /** Exceptions the runtime caught for the node (a handler that threw instead of calling done(err)). */
  thrown: number;
  /** Messages completed twice. */
  twice: number;
  caught: number;
  reasons: Map<string, number>;
  oversizeRefused: number;
}

/**
 * Counts what the node does with each message: Node-RED calls `_complete(msg, err)` for done()/done(err), and
 * `error(err, msg)` both from there and for an exception it caught from the handler; the difference is the thrown.
 */
function watch(node: TestNode, counts: FuzzCounts): () => void {
  const completed = new Set<string>();
  const originalComplete = node._complete;
  const originalError = node.error;
  let errorsFromDone = 0;
  let errorsWithMsg = 0;
  node._complete = function (msg: Record<string, unknown>, err?: Error) {
    const id = String(msg._msgid);
    if (completed.has(id)) counts.twice++;
    completed.add(id);
    counts.completed++;
    if (err) {
      counts.failed++;
      errorsFromDone++;
      const reason = String(err.message ?? err).replace(/"[^"]*"|\d+(\.\d+)?(e[+-]?\d+)?/g, '…').slice(0, 70);
      counts.reasons.set(reason, (counts.reasons.get(reason) ?? 0) + 1);
    }
    if (completed.size > 50_000) completed.clear();
    return originalComplete.call(this, msg, err);
  };
  node.error = function (err: unknown, msg?: unknown) {
    if (msg !== undefined) errorsWithMsg++;
    return originalError.call(this, err, msg);
  };
  return () => {
    counts.thrown = errorsWithMsg - errorsFromDone;
  };
}

function newCounts(): FuzzCounts {
  return { sent: 0, completed: 0, failed: 0, thrown: 0, twice: 0, caught: 0, reasons: new Map(), oversizeRefused: 0 };
}

/**
 * Waits until every message sent is completed and every done(err) has reached the Catch node (Node-RED delivers the
 * Catch node's message in a later turn of the event loop). A message never completed times out here.
 */
async function settled(counts: FuzzCounts, ms = 120_000): Promise<void> {
  await new Promise((resolve) => setImmediate(resolve));
  await until(() => counts.completed >= counts.sent && counts.caught >= counts.failed, ms, `${counts.sent} messages completed and failures caught (${counts.completed} completed, ${counts.caught} of ${counts.failed} caught)`).catch((err: Error) => {
    // Report what is known rather than hang: the assertions below say which invariant broke.
    console.log(`      ${err.message}`);
  });
}

/**
 * Node-RED's own RED.util.cloneMessage (lodash.clonedeep 4.5.0) throws when a message holds an own "__proto__" key
 * whose value is a typed array, and it clones every message it hands to a Catch node: whichever node reports an error
 * about such a message, Node-RED itself throws (found by this test; an upstream issue, not this package's). Such
 * messages are left out. JSON cannot make them (no typed arrays); a function node can.
 */
function upsetsNodeRedClone(value: unknown, depth = 0): boolean {
  if (typeof value !== 'object' || value === null || depth > 8) return false;
  if (Object.hasOwn(value, '__proto__') && ArrayBuffer.isView((value as Record<string, unknown>)['__proto__'])) return true;
  if (ArrayBuffer.isView(value)) return false;
  return Object.values(value).some((v) => upsetsNodeRedClone(v, depth + 1));
}

/** Sends `total` generated messages in chunks, waiting for each chunk to complete (what-if answers from a worker). */
async function feed(node: TestNode, counts: FuzzCounts, arbitrary: fc.Arbitrary<Record<string, unknown>>, total: number, seed: number): Promise<void> {
  const sandbox = (helper as unknown as { _sandbox: { resetHistory(): void } })._sandbox;
  for (let chunk = 0; counts.sent < total; chunk++) {
    const batch = fc.sample(arbitrary.filter((m) => !upsetsNodeRedClone(m)), { numRuns: Math.min(CHUNK, total - counts.sent), seed: seed + chunk });
    for (const msg of batch) {
      counts.sent++;
      try {
        node.receive(msg);
      } catch (err) {
        throw new Error(`${String(err)} for ${fc.stringify(msg).slice(0, 2000)}`, { cause: err });
      }
    }
    await settled(counts);
    // The test helper records every call of send/status/error: forget them, or a million messages fill the heap.
    sandbox.resetHistory();
  }
}

function report(label: string, counts: FuzzCounts, seconds: number): void {
  const top = [...counts.reasons].sort((a, b) => b[1] - a[1]).slice(0, 4).map(([r, n]) => `${n}× ${r}`);
  figures(`fuzz ${label}`, {
    payloads: counts.sent,
    'done()': counts.completed - counts.failed,
    'done(err)': counts.failed,
    'to Catch': counts.caught,
    thrown: counts.thrown,
    'completed twice': counts.twice,
    'oversize refused': counts.oversizeRefused,
    'payloads/s': Math.round(counts.sent / seconds),
  });
  console.log(`      most frequent reasons: ${top.join(' | ')}`);
}

function check(counts: FuzzCounts): void {
  assert.deepEqual(escaped, [], 'nothing escaped as an uncaught exception or unhandled rejection');
  assert.equal(counts.completed, counts.sent, 'every message completed');
  assert.equal(counts.twice, 0, 'no message completed twice');
  assert.equal(counts.thrown, 0, 'no handler threw: every failure went through done(err)');
  assert.equal(counts.caught, counts.failed, 'every done(err) reached the Catch node');
}

// ---- Arbitraries: anything at all, and things shaped like what each node expects, with hostile values inside. ----

/** A Node-RED message is always a plain object (the runtime calls msg.hasOwnProperty); what it carries may be anything. */
const MSG = { noNullPrototype: true } as const;

const hostileValue = fc.oneof(
  fc.anything({ withBigInt: true, withDate: true, withMap: true, withSet: true, withTypedArray: true, withSparseArray: true, withNullPrototype: true, withBoxedValues: true }),
  fc.double(),
  fc.constantFrom(NaN, Infinity, -Infinity, -0, Number.MAX_VALUE, Number.MIN_VALUE, 1e21, '12.5', 'true', '', ' ', '__proto__', 'constructor', null, undefined, true),
  fc.string({ maxLength: 30 }),
);
const assetIds = fc.oneof(fc.constantFrom('pump-1', 'pump-2', 'pump-9'), fc.string({ maxLength: 12 }), fc.constant('x'.repeat(300)), hostileValue);
const signalNames = fc.oneof(fc.constantFrom('speed', 'flow', 'bearingTemp', 'seq', '__proto__', 'constructor', 'toString', ''), fc.string({ maxLength: 10 }));
const signalsObject = fc.dictionary(signalNames, hostileValue, { maxKeys: 6 });
const tsValue = fc.oneof(fc.constant(undefined), fc.integer({ min: Date.now() - 86_400_000, max: Date.now() + 600_000 }), hostileValue, fc.date({ noInvalidDate: false }).map((d) => (Number.isNaN(d.getTime()) ? d : d.toISOString())));
const telemetryLike = fc.record(
  { assetId: assetIds, ts: tsValue, signals: fc.oneof(signalsObject, hostileValue), quality: fc.oneof(fc.constant(undefined), fc.dictionary(signalNames, fc.oneof(fc.constantFrom('good', 'bad', 'uncertain'), hostileValue), { maxKeys: 3 }), hostileValue) },
  { requiredKeys: [] },
);

/** Payloads far beyond what a node should take: refusals with a reason, never a stalled runtime. */
const tooManySignals = () => ({ assetId: 'pump-1', ts: Date.now(), signals: Object.fromEntries(Array.from({ length: 5000 }, (_, i) => [`s${i}`, i])) });
const hugeAssetId = () => ({ assetId: 'p'.repeat(1_000_000), ts: Date.now(), signals: { speed: 1 } });

describe('fault: fast-check payloads into every node that takes input', function () {
  this.timeout(0);
  before(() => {
    process.on('uncaughtException', onUncaught);
    process.on('unhandledRejection', onRejection);
  });
  after(() => {
    process.off('uncaughtException', onUncaught);
    process.off('unhandledRejection', onRejection);
  });

  const definition = {
    id: 'def',
    type: 'twin-definition',
    assetClass: 'centrifugal pump',
    historyPoints: '20',
    acceptUndeclared: false,
    assetIdPattern: '^pump-[0-9]$',
    signals: [
      { name: 'speed', unit: 'rpm', min: 0, max: 3000 },
      { name: 'flow', unit: 'm3/h' },
      { name: 'bearingTemp', unit: 'degC', min: -20, max: 150, staleAfterS: 600 },
      { name: 'seq' },
    ],
    actuationPoints: [{ name: 'speed', unit: 'rpm', min: 0, max: 1800, maxRatePerS: 500, tolerance: 5 }],
  };

  describe('in a Node-RED runtime', () => {
    beforeEach(() => helper.startServer());
    afterEach(async () => {
      await helper.unload();
      await helper.stopServer();
    });

    /** Loads `target` with the twin definition, a twin-state holding pump-1, and a Catch node scoped to the target. */
    async function load(target: Record<string, unknown>, counts: FuzzCounts): Promise<TestNode> {
      await helper.load(
        [nodes.definition, nodes.state, nodes.sensor, nodes.actuator, nodes.whatIf, nodes.rul, nodes.simulator, coreNodes.catch],
        onTab([
          definition,
          { id: 'feeder', type: 'twin-state', definition: 'def', throttleMs: '0', wires: [[], []] },
          { ...target, id: 'target', wires: target.wires ?? [[], [], []] },
          { id: 'catch', type: 'catch', scope: ['target'], uncaught: false, wires: [['caught']] },
          { id: 'caught', type: 'helper' },
        ]),
      );
      helper.getNode('caught').on('input', () => counts.caught++);
      const now = Date.now();
      for (let i = 0; i < 3; i++) helper.getNode('feeder').receive({ payload: { assetId: 'pump-1', ts: now - 3000 + i * 1000, signals: { speed: 1480, bearingTemp: 52.9, flow: 150 } } });
      return helper.getNode('target');
    }

    it(`twin-state: ${PER_NODE} payloads (telemetry-shaped, batches, commands, anything)`, async () => {
      const counts = newCounts();
      const node = await load({ type: 'twin-state', definition: 'def', throttleMs: '0', includeStatistics: true, wires: [[], []] }, counts);
      const finish = watch(node, counts);
      const commands = fc.record(
        {
        // reset is rare: it would empty the twin the other commands work on
        topic: fc.oneof({ weight: 100, arbitrary: fc.constantFrom('snapshot', 'history', 'maintenance', 'desired', 'SNAPSHOT') }, { weight: 1, arbitrary: fc.constant('reset') }),
        payload: fc.oneof(
          fc.record({ assetId: assetIds, signal: signalNames, from: hostileValue, to: hostileValue, sinceVersion: hostileValue }, { requiredKeys: [] }),
          fc.record({ assetId: assetIds, kind: fc.oneof(fc.constantFrom('part-replaced', 'inspection', 'repair', 'note'), hostileValue), part: hostileValue, note: fc.oneof(hostileValue, fc.constant('n'.repeat(5000))), by: hostileValue, ts: hostileValue }, { requiredKeys: [] }),
          fc.record({ assetId: assetIds, point: fc.oneof(fc.constant('speed'), hostileValue), value: hostileValue, ttl: hostileValue }, { requiredKeys: [] }),
          hostileValue,
        ),
        },
        MSG,
      );
      const messages = fc.oneof(
        { weight: 5, arbitrary: fc.record({ payload: telemetryLike }, MSG) },
        { weight: 2, arbitrary: fc.record({ payload: fc.array(fc.oneof(telemetryLike, hostileValue), { maxLength: 5 }) }, MSG) },
        { weight: 2, arbitrary: commands },
        { weight: 1, arbitrary: fc.record({ topic: hostileValue, payload: hostileValue, scenario: fc.oneof(fc.constant(true), hostileValue) }, { requiredKeys: [], ...MSG }) },
      );
      const started = Date.now();
      await feed(node, counts, messages, PER_NODE, 1);
      // Oversize: far too many signals, an asset id of a megabyte: refused with a reason.
      const failedBefore = counts.failed;
      node.receive({ payload: tooManySignals() });
      node.receive({ payload: hugeAssetId() });
      counts.sent += 2;
      await settled(counts, 5000);
      counts.oversizeRefused = counts.failed - failedBefore;
      assert.ok([...counts.reasons.keys()].some((r) => r.includes('more than the limit of')), 'too many signals: refused with the limit');
      assert.ok([...counts.reasons.keys()].some((r) => r.includes('assetId is longer than')), 'a huge asset id: refused');
      finish();
      report('twin-state', counts, (Date.now() - started) / 1000);
      check(counts);
      assert.equal(counts.oversizeRefused, 2);
    });

    it(`twin-sensor: ${PER_NODE} messages against property and JSONata mappings`, async () => {
      const counts = newCounts();
      const node = await load(
        {
          type: 'twin-sensor',
          assetId: 'topic',
          assetIdType: 'msg',
          timestamp: 'payload.ts',
          timestampType: 'msg',
          mappings: [
            { signal: 'flow', value: 'payload.flow', valueType: 'msg' },
            { signal: 'speed', value: 'payload.data[0] * 10', valueType: 'jsonata' },
            { signal: 'bearingTemp', value: '$number(payload.temp)', valueType: 'jsonata' },
          ],
          wires: [[]],
        },
        counts,
      );
      const finish = watch(node, counts);
      const messages = fc.record(
        {
          topic: assetIds,
          payload: fc.oneof(
            fc.record({ ts: tsValue, flow: hostileValue, data: fc.oneof(fc.array(hostileValue, { maxLength: 4 }), hostileValue), temp: hostileValue }, { requiredKeys: [] }),
            hostileValue,
            fc.constant({ flow: 'f'.repeat(1_000_000), data: [1], temp: '20' }),
          ),
        },
        { requiredKeys: [], ...MSG },
      );
      const started = Date.now();
      await feed(node, counts, messages, PER_NODE, 2);
      const failedBefore = counts.failed;
      node.receive({ topic: 'p'.repeat(1_000_000), payload: { flow: 1 } });
      counts.sent++;
      await settled(counts, 5000);
      counts.oversizeRefused = counts.failed - failedBefore;
      finish();
      report('twin-sensor', counts, (Date.now() - started) / 1000);
      check(counts);
      assert.equal(counts.oversizeRefused, 1, 'an asset id of a megabyte is refused');
    });

    it(`twin-actuator: ${PER_NODE} commands (dry run), confirmations and anything`, async () => {
      const counts = newCounts();
      const node = await load({ type: 'twin-actuator', definition: 'def', mode: 'dry-run', interlocks: [{ name: 'bearing cool', expression: 'bearingTemp < 90' }], wires: [[], []] }, counts);
      const finish = watch(node, counts);
      const messages = fc.oneof(
        { weight: 5, arbitrary: fc.record({ payload: fc.record({ assetId: assetIds, point: fc.oneof(fc.constant('speed'), signalNames, hostileValue), value: fc.oneof(fc.integer({ min: -100, max: 3000 }), hostileValue), source: hostileValue, user: hostileValue, scenario: hostileValue }, { requiredKeys: [] }), scenario: fc.oneof(fc.constant(undefined), hostileValue) }, { requiredKeys: ['payload'], ...MSG }) },
        { weight: 1, arbitrary: fc.record({ topic: fc.constantFrom('confirm', 'cancel', 'CONFIRM'), payload: fc.oneof(fc.record({ id: hostileValue }), hostileValue) }, MSG) },
        { weight: 1, arbitrary: fc.record({ topic: hostileValue, payload: hostileValue }, { requiredKeys: [], ...MSG }) },
      );
      const store = helper.getNode('def').store;
      const started = Date.now();
      await feed(node, counts, messages, PER_NODE, 3);
      // Oversize: a value of a megabyte, 200 times: refused, and the twin's audit trail does not keep the megabytes.
      for (let i = 0; i < 200; i++) node.receive({ payload: { assetId: 'pump-1', point: i % 2 ? 'speed' : 'p'.repeat(1_000_000), value: i % 2 ? 'v'.repeat(1_000_000) : 1000, source: 's'.repeat(1_000_000) } });
      counts.sent += 200;
      await settled(counts, 20_000);
      const trailBytes = JSON.stringify(store.auditTrail('pump-1')).length;
      counts.oversizeRefused = store.auditTrail('pump-1').slice(-200).filter((r: any) => r.result === 'refused' && r.guards.some((g: any) => g.guard === 'shape' && !g.passed)).length;
      finish();
      report('twin-actuator', counts, (Date.now() - started) / 1000);
      console.log(`      twin assets after the fuzz: ${store.assetIds().join(', ')}; audit trail of pump-1: ${store.auditTrail('pump-1').length} records, ${trailBytes} bytes`);
      check(counts);
      assert.equal(counts.oversizeRefused, 200, 'every megabyte value and point name refused by the shape guard');
      assert.ok(trailBytes < 2_000_000, `the audit trail holds ${trailBytes} bytes after 200 refused megabyte values`);
      // Commands naming assets the twin does not have are answered and audited on the output, not added to the twin.
      assert.deepEqual(store.assetIds().filter((id: string) => !/^pump-[0-9]$/.test(id)), [], 'no asset made up by a command');
    });

    it(`twin-simulator: ${PER_NODE} commands (start, stop, tick, speed, faults, replace-bearing) and anything`, async () => {
      const counts = newCounts();
      // Two pumps, started and stopped by the fuzz itself; a tick sends their readings to an unwired output.
      const node = await load({ type: 'twin-simulator', model: 'centrifugal-pump', assetCount: '2', assetPrefix: 'pump-', intervalMs: '1000', timeScale: '60', seed: '1', speed: '1480', frictionGrowth: '5', noise: '0.5', autoStart: false, wires: [[], []] }, counts);
      const finish = watch(node, counts);
      const topics = fc.oneof(fc.constantFrom('start', 'stop', 'tick', 'rewind', 'fault', 'speed', 'replace-bearing', 'REPLACE-BEARING', ''), hostileValue);
      const faultLike = fc.record(
        { fault: fc.oneof(fc.constantFrom('drift', 'spike', 'stuck', 'dropout', 'noise', 'friction', 'clear'), hostileValue), assetId: assetIds, signal: fc.oneof(signalNames, hostileValue), rate: hostileValue, probability: hostileValue, magnitude: hostileValue, level: hostileValue },
        { requiredKeys: [] },
      );
      const messages = fc.oneof(
        { weight: 4, arbitrary: fc.record({ topic: topics, payload: fc.oneof(fc.record({ assetId: assetIds, speed: fc.oneof(fc.integer({ min: -100, max: 3000 }), hostileValue) }, { requiredKeys: [] }), faultLike, fc.array(faultLike, { maxLength: 3 }), assetIds, hostileValue), assetId: assetIds }, { requiredKeys: ['topic'], ...MSG }) },
        { weight: 1, arbitrary: fc.record({ topic: hostileValue, payload: hostileValue }, { requiredKeys: [], ...MSG }) },
      );
      const started = Date.now();
      await feed(node, counts, messages, PER_NODE, 7);
      finish();
      report('twin-simulator', counts, (Date.now() - started) / 1000);
      check(counts);
    });

    it(`twin-rul: ${PER_NODE / 10} estimate, learn, train and retrain messages (a tenth: estimates and learning do real work)`, async () => {
      const counts = newCounts();
      // The packaged turbofan model on a pump twin: estimates are refused (no such signals), commands are checked.
      const node = await load({ type: 'twin-rul', definition: 'def', method: 'gbt', modelFile: '', horizon: '20', wires: [[]] }, counts);
      const finish = watch(node, counts);
      const commandPayload = fc.oneof(
        fc.record({ assetId: assetIds, ts: tsValue, part: hostileValue, note: fc.oneof(hostileValue, fc.constant('n'.repeat(5000))) }, { requiredKeys: [] }),
        fc.record({ file: fc.oneof(fc.constantFrom('', '../../etc/passwd', '/dev/null', 'none.txt'), hostileValue), trees: hostileValue, folds: hostileValue, seeds: hostileValue, save: hostileValue, settings: hostileValue, sensors: hostileValue }, { requiredKeys: [] }),
        hostileValue,
      );
      const messages = fc.oneof(
        { weight: 4, arbitrary: fc.record({ payload: fc.oneof(fc.record({ assetId: assetIds }, { requiredKeys: [] }), telemetryLike, hostileValue) }, MSG) },
        { weight: 2, arbitrary: fc.record({ topic: fc.oneof(assetIds, fc.constantFrom('learn', 'LEARN', 'train', 'retrain')), payload: commandPayload }, MSG) },
        { weight: 1, arbitrary: fc.record({ topic: hostileValue, payload: hostileValue }, { requiredKeys: [], ...MSG }) },
      );
      const started = Date.now();
      await feed(node, counts, messages, PER_NODE / 10, 5);
      finish();
      report('twin-rul', counts, (Date.now() - started) / 1000);
      check(counts);
    });

    it(`twin-what-if: ${PER_NODE / 10} scenario payloads (a tenth: valid ones run in the worker)`, async () => {
      const counts = newCounts();
      const node = await load({ type: 'twin-what-if', definition: 'def', horizon: '10 min', step: '10 s', runs: '1', wires: [[], [], []] }, counts);
      const finish = watch(node, counts);
      // Mostly refused at the door; the valid ones are small, so the worker keeps up.
      const duration = fc.oneof(fc.constantFrom('1 min', '30 s', '10 s', '0 s', '-5 min', '1e9 h', 'soon', ''), hostileValue);
      const scenario = fc.record(
        {
          name: fc.oneof(fc.string({ maxLength: 8 }), hostileValue, fc.constant('n'.repeat(300))),
          assetId: fc.oneof({ weight: 1, arbitrary: fc.constant('pump-1') }, { weight: 4, arbitrary: assetIds }),
          horizon: duration,
          step: duration,
          runs: fc.oneof(fc.constantFrom(1, 2, 3), fc.constantFrom(1e6, 1e12, -1, 0, 2.5), hostileValue),
          seed: hostileValue,
          changes: fc.oneof(
            fc.record({ setpoints: fc.oneof(fc.record({ speed: fc.oneof(fc.integer({ min: 0, max: 2000 }), hostileValue) }), hostileValue), conditions: fc.oneof(fc.record({ ambientTemp: hostileValue }), hostileValue), parameters: fc.oneof(fc.record({ bearingFriction: hostileValue }), hostileValue), profile: fc.oneof(fc.array(fc.record({ at: duration, setpoints: fc.record({ speed: hostileValue }) }), { maxLength: 3 }), hostileValue) }, { requiredKeys: [] }),
            hostileValue,
          ),
        },
        { requiredKeys: [] },
      );
      const messages = fc.oneof(
        { weight: 5, arbitrary: fc.record({ payload: fc.oneof(scenario, fc.array(scenario, { maxLength: 3 })) }, MSG) },
        { weight: 1, arbitrary: fc.record({ topic: fc.constantFrom('promote', 'apply', 'optimise', 'cancel'), payload: fc.oneof(scenario, fc.record({ name: hostileValue, assetId: assetIds, variables: hostileValue, objective: hostileValue, constraints: hostileValue }, { requiredKeys: [] }), hostileValue) }, MSG) },
        { weight: 1, arbitrary: fc.record({ topic: hostileValue, payload: hostileValue }, { requiredKeys: [], ...MSG }) },
      );
      const started = Date.now();
      await feed(node, counts, messages, PER_NODE / 10, 4);
      // Oversize: more scenarios than allowed in one message, more runs than allowed, a profile of 5,000 steps.
      const failedBefore = counts.failed;
      node.receive({ payload: Array.from({ length: 25 }, (_, i) => ({ name: `s${i}`, assetId: 'pump-1' })) });
      node.receive({ payload: { name: 'big', assetId: 'pump-1', runs: 1_000_000 } });
      node.receive({ payload: { name: 'long', assetId: 'pump-1', changes: { profile: Array.from({ length: 5000 }, (_, i) => ({ at: `${i} s`, setpoints: { speed: 1000 } })) } } });
      counts.sent += 3;
      await settled(counts, 20_000);
      counts.oversizeRefused = counts.failed - failedBefore;
      finish();
      report('twin-what-if', counts, (Date.now() - started) / 1000);
      check(counts);
      assert.equal(counts.oversizeRefused, 3);
    });
  });

  describe('through Mosquitto', () => {
    let broker: Mosquitto;
    let publisher: mqtt.MqttClient | undefined;
    before(async () => {
      broker = await Mosquitto.start({ persistence: false, maxQueuedMessages: 0 });
    });
    after(async () => {
      // Also when the test failed half-way: an open client would keep mocha from exiting.
      await publisher?.endAsync(true);
      await helper.unload();
      await helper.stopServer();
      await broker.dispose();
    });

    it(`twin-mqtt-in: ${PER_NODE} payloads on generated topics (bytes, text, JSON of any shape, oversize)`, async () => {
      await helper.startServer();
      const maxBytes = 4096;
      await helper.load(
        [nodes.mqttBroker, nodes.mqttIn, coreNodes.catch],
        onTab([
          { id: 'broker', type: 'twin-mqtt-broker', url: broker.url, protocolVersion: '5', cleanSession: true },
          { id: 'in', type: 'twin-mqtt-in', broker: 'broker', topic: 'fuzz/{assetId}/{signal}', qos: '1', maxBytes: String(maxBytes), conversions: [{ signal: 'temp', from: 'degF', to: 'degC' }], wires: [['out']] },
          { id: 'out', type: 'helper' },
          { id: 'catch', type: 'catch', scope: ['in'], uncaught: false, wires: [['caught']] },
          { id: 'caught', type: 'helper' },
        ]),
      );
      let out = 0;
      let caught = 0;
      let oversize = 0;
      let probes = 0;
      helper.getNode('out').on('input', (msg: any) => (msg.payload.assetId === 'probe' ? probes++ : out++));
      helper.getNode('caught').on('input', (msg: any) => {
        caught++;
        if (String(msg.error?.message).includes('larger than the limit')) oversize++;
      });
      await until(() => helper.getNode('broker').state === 'connected', 10_000, 'connected');
      const client = await mqtt.connectAsync(broker.url, { protocolVersion: 5 });
      publisher = client;
      // Probe: the subscription is in place once one message arrives.
      await until(() => (void client.publish('fuzz/probe/flow', '1', { qos: 1 }), probes > 0), 10_000, 'the subscription');
      const level = fc.stringMatching(/^[A-Za-z0-9_.:-]{1,12}$/);
      const payload = fc.oneof(
        fc.uint8Array({ maxLength: 64 }).map((b) => Buffer.from(b)),
        fc.string({ maxLength: 64 }),
        fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify(v) ?? ''),
        fc.record({ assetId: assetIds, ts: tsValue, signals: signalsObject, value: hostileValue, quality: hostileValue }, { requiredKeys: [] }).map((v) => {
          try {
            return JSON.stringify(v, (_k, x: unknown) => (typeof x === 'bigint' ? String(x) : x)) ?? '';
          } catch {
            return '{}';
          }
        }),
        fc.double().map(String),
        fc.constant('x'.repeat(maxBytes + 1)),
      );
      const messages = fc.tuple(fc.oneof(level.filter((l) => l !== 'probe'), fc.constant('pump-1')), fc.oneof(level, fc.constantFrom('flow', 'temp', 'speed')), payload);
      const sandbox = (helper as unknown as { _sandbox: { resetHistory(): void } })._sandbox;
      const started = Date.now();
      let sent = 0;
      // An empty payload deletes a retained message: no reading and no error, so no answer.
      let empty = 0;
      for (let chunk = 0; sent < PER_NODE; chunk++) {
        const batch = fc.sample(messages, { numRuns: Math.min(CHUNK, PER_NODE - sent), seed: 5 + chunk });
        await Promise.all(batch.map(([asset, signal, body]) => client.publishAsync(`fuzz/${asset}/${signal}`, body, { qos: 1 })));
        sent += batch.length;
        empty += batch.filter(([, , body]) => body.length === 0).length;
        await until(() => out + caught >= sent - empty, 60_000, `${sent - empty} payloads answered (${out + caught} so far)`);
        sandbox.resetHistory();
      }
      await client.endAsync();
      publisher = undefined;
      await new Promise((r) => setTimeout(r, 300));
      const seconds = (Date.now() - started) / 1000;
      figures('fuzz twin-mqtt-in (through Mosquitto)', { payloads: sent, empty, telemetry: out, 'errors to Catch': caught, 'oversize refused': oversize, 'payloads/s': Math.round(sent / seconds) });
      assert.deepEqual(escaped, []);
      assert.equal(out + caught, sent - empty, 'every payload but the empty ones became telemetry or an error for Catch, exactly once');
      assert.ok(empty > 0 && empty < sent / 2, `empty payloads among them: ${empty}`);
      assert.ok(oversize > 0, 'payloads over maxBytes were refused');
    });
  });
});
