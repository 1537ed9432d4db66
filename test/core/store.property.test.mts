/**
 * Property tests (fast-check) for what every adapter shares: telemetry validation, the any-source mapping, node id
 * resolution, definitions and the twin store. Whatever arrives, nothing throws, every refusal says why, and what was
 * stored before a bad message is still there after it.
 */
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { ManualClock, TwinStore, chooseSecurity, normaliseDefinition, parseCmapss, parseCmapssRul, parseFault, parseUnitSelection, resolveNodeId, telemetryFromMapping, validateTelemetry } from '../../dist/core/index.js';

const RUNS = { numRuns: 2000 };
const NOW = Date.UTC(2026, 10, 25, 12);

function assertParsed(r: { ok: boolean; reason?: string }): void {
  if (!r.ok) assert.ok(typeof r.reason === 'string' && r.reason.trim().length > 0, 'a refusal has a reason');
}

const oddNumber = fc.oneof(fc.double(), fc.constantFrom(NaN, Infinity, -Infinity, -0, Number.MAX_VALUE, 1e308 * 10), fc.integer());
const oddValue = fc.oneof(oddNumber, fc.string({ maxLength: 10 }), fc.boolean(), fc.constant(null), fc.constant(undefined), fc.object({ maxDepth: 1 }), fc.array(fc.integer(), { maxLength: 3 }));
const telemetryLike = fc.oneof(
  fc.anything(),
  fc.record(
    {
      assetId: fc.oneof(fc.constantFrom('pump-1', 'pump-2', ''), fc.string({ maxLength: 300 }), oddValue),
      ts: fc.oneof(fc.integer({ min: NOW - 1e9, max: NOW + 1e9 }), oddValue, fc.date({ noInvalidDate: true, min: new Date(0), max: new Date(4e12) }).map((d) => d.toISOString())),
      signals: fc.oneof(fc.dictionary(fc.oneof(fc.constantFrom('flow', 'speed', '__proto__', ''), fc.string({ maxLength: 5 })), oddValue, { maxKeys: 8 }), oddValue),
      quality: fc.oneof(fc.dictionary(fc.constantFrom('flow', 'speed'), fc.oneof(fc.constantFrom('good', 'bad', 'uncertain'), oddValue)), oddValue),
    },
    { requiredKeys: [] },
  ),
);

describe('property: telemetry validation and the any-source mapping are total', () => {
  it('validateTelemetry returns a value or a reason, and only finite numbers survive (NaN only for a reading marked bad)', () => {
    fc.assert(
      fc.property(telemetryLike, (input) => {
        const r = validateTelemetry(input, NOW);
        assertParsed(r);
        if (r.ok) {
          const { signals, quality } = r.value.telemetry;
          for (const [name, v] of Object.entries(signals)) assert.ok(Number.isFinite(v) || (Number.isNaN(v) && quality?.[name] === 'bad'), `${name}: ${v}`);
          for (const rej of r.value.rejected) assert.ok(rej.reason.length > 0);
          assert.ok(Number.isFinite(r.value.telemetry.ts));
        }
      }),
      RUNS,
    );
  });

  it('telemetryFromMapping never throws and never emits telemetry without a signal', () => {
    fc.assert(
      fc.property(oddValue, oddValue, fc.array(fc.tuple(fc.string({ minLength: 1, maxLength: 6 }), oddValue), { maxLength: 5 }), (assetId, ts, values) => {
        const r = telemetryFromMapping(assetId, ts, values, NOW);
        assertParsed(r);
        if (r.ok) assert.ok(Object.keys(r.value.telemetry.signals).length > 0);
      }),
      RUNS,
    );
  });

  it('resolveNodeId and normaliseDefinition refuse with reasons, never throw something else', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string({ maxLength: 40 }), fc.constantFrom('nsu=urn:x;s=a', 'ns=2;s=x', 'i=85', 'nsu=;', 'ns=;s=')), fc.array(fc.string({ maxLength: 8 }), { maxLength: 4 }), (id, ns) => {
        assertParsed(resolveNodeId(id, ns));
      }),
      RUNS,
    );
    fc.assert(
      fc.property(fc.record({ name: oddValue, signals: fc.oneof(fc.array(fc.record({ name: oddValue, min: oddValue, max: oddValue, staleAfterMs: oddValue }, { requiredKeys: [] }), { maxLength: 4 }), oddValue), historyPoints: oddValue, actuationPoints: fc.oneof(fc.array(fc.record({ name: oddValue, min: oddValue, tolerance: oddValue }, { requiredKeys: [] }), { maxLength: 3 }), oddValue), assetIdPattern: oddValue }, { requiredKeys: [] }), (raw) => {
        try {
          const spec = normaliseDefinition(raw);
          assert.ok(Number.isInteger(spec.historyPoints) && spec.historyPoints >= 1);
        } catch (err) {
          assert.ok(err instanceof Error && /^twin definition ".*": .+/.test(err.message), String(err));
        }
      }),
      { numRuns: 1000 },
    );
  });
});

describe('property: the twin store survives any sequence of messages', () => {
  const spec = normaliseDefinition({
    name: 'pump',
    historyPoints: 20,
    signals: [{ name: 'flow', min: 0, max: 400, staleAfterMs: 1000 }, { name: 'speed' }],
    actuationPoints: [{ name: 'speed', min: 0, max: 1800, tolerance: 1 }],
  });

  it('never throws, keeps history ordered and bounded, and latest values usable', () => {
    // Mostly well-formed readings (out of order, repeated, out of range, bad quality), some garbage.
    const reading = fc.record({
      assetId: fc.constantFrom('pump-1', 'pump-2'),
      ts: fc.integer({ min: NOW - 60_000, max: NOW + 600_000 }).map((t) => Math.round(t / 1000) * 1000),
      // null: a sensor without a value (taken only when marked bad).
      signals: fc.record({ flow: fc.oneof(fc.double({ min: -10, max: 500, noNaN: true }), fc.constantFrom(150, 0, 400, null)), speed: fc.integer({ min: 0, max: 1800 }) }, { requiredKeys: [] }),
      quality: fc.option(fc.record({ flow: fc.constantFrom('good', 'uncertain', 'bad') }), { nil: undefined }),
    });
    const step = fc.oneof(
      { weight: 6, arbitrary: reading.map((t) => ({ kind: 'telemetry' as const, t })) },
      telemetryLike.map((t) => ({ kind: 'telemetry' as const, t })),
      fc.record({ kind: fc.constant('desired' as const), value: oddValue, ttl: fc.oneof(fc.constant(undefined), fc.integer({ min: -5, max: 5000 })) }),
      fc.record({ kind: fc.constant('tick' as const), ms: fc.integer({ min: 0, max: 5000 }) }),
      fc.record({ kind: fc.constant('import' as const), data: fc.anything() }),
    );
    fc.assert(
      fc.property(fc.array(step, { maxLength: 40 }), (steps) => {
        const clock = new ManualClock(NOW);
        const store = new TwinStore(spec, clock);
        for (const s of steps) {
          if (s.kind === 'telemetry') {
            const v = validateTelemetry(s.t, clock.now());
            if (v.ok) store.ingest(v.value.telemetry);
          } else if (s.kind === 'desired') {
            assertParsed(store.setDesired('pump-1', 'speed', s.value, s.ttl === undefined ? {} : { ttlMs: s.ttl }));
          } else if (s.kind === 'tick') {
            clock.advance(s.ms);
            store.checkStaleness();
          } else {
            assertParsed(store.importAsset(s.data));
          }
        }
        for (const id of store.assetIds()) {
          const snap = store.snapshot(id)!;
          for (const sig of Object.values(snap.signals)) {
            assert.ok(Number.isFinite(sig.value));
            assert.notEqual(sig.quality, 'bad');
            if (sig.badSince !== undefined) assert.ok(Number.isFinite(sig.badSince) && sig.badSince > sig.ts, `bad since ${sig.badSince}, after the value's ${sig.ts}`);
          }
          for (const name of ['flow', 'speed']) {
            const h = store.history(id, name);
            assert.ok(h.ts.length <= 20);
            for (let i = 1; i < h.ts.length; i++) assert.ok(h.ts[i]! > h.ts[i - 1]!, 'history is strictly time-ordered');
          }
          const exported = store.exportAsset(id);
          const copy = new TwinStore(spec, clock);
          assert.ok(copy.importAsset(JSON.parse(JSON.stringify(exported))).ok, 'whatever the store holds, it can save and restore');
        }
      }),
      { numRuns: 500 },
    );
  });
});

describe('property: simulator, replay and OPC UA parsers are total', () => {
  const cmapssLine = fc.oneof(
    fc.array(fc.oneof(fc.integer({ min: -2, max: 300 }).map(String), fc.double({ noNaN: true }).map((d) => d.toFixed(4)), fc.constantFrom('x', '', 'NaN', '1e400')), { minLength: 0, maxLength: 28 }).map((cols) => cols.join(' ')),
    fc.string({ maxLength: 60 }),
  );

  it('parseCmapss, parseCmapssRul and parseUnitSelection refuse with reasons and never throw', () => {
    fc.assert(
      fc.property(fc.array(cmapssLine, { maxLength: 8 }), fc.constantFrom('\n', '\r\n'), (lines, eol) => {
        const text = lines.join(eol);
        assertParsed(parseCmapss(text));
        assertParsed(parseCmapssRul(text));
      }),
      RUNS,
    );
    fc.assert(fc.property(fc.oneof(fc.string({ maxLength: 20 }), fc.constantFrom('all', '1,5,7-9', '9-7', '0', '-', '1,,2', '3-3')), (text) => assertParsed(parseUnitSelection(text))), RUNS);
  });

  it('parseFault refuses any malformed fault with a reason', () => {
    const fault = fc.record(
      {
        fault: fc.oneof(fc.constantFrom('drift', 'spike', 'stuck', 'dropout', 'noise', 'friction', 'clear', 'melt'), oddValue),
        signal: oddValue,
        assetId: oddValue,
        rate: oddValue,
        probability: oddValue,
        magnitude: oddValue,
        level: oddValue,
      },
      { requiredKeys: [] },
    );
    fc.assert(fc.property(fc.oneof(fault, fc.anything()), (raw) => assertParsed(parseFault(raw))), RUNS);
  });

  it('chooseSecurity refuses any unsupported combination with a reason', () => {
    fc.assert(
      fc.property(
        fc.record({
          securityMode: fc.oneof(fc.constantFrom('None', 'Sign', 'SignAndEncrypt', ''), fc.string({ maxLength: 8 })),
          securityPolicy: fc.oneof(fc.constantFrom('None', 'Basic256Sha256', 'Aes128_Sha256_RsaOaep', 'Aes256_Sha256_RsaPss', 'Basic256', 'Basic128Rsa15', ''), fc.string({ maxLength: 8 })),
          authentication: fc.constantFrom('anonymous', 'username', ''),
          allowPasswordWithoutEncryption: fc.boolean(),
          allowDeprecatedPolicies: fc.boolean(),
        }),
        (settings) => assertParsed(chooseSecurity(settings as never)),
      ),
      RUNS,
    );
  });
});
