/**
 * Property tests (fast-check): the MQTT parsers and the unit conversions are total. Whatever a broker delivers or a
 * flow file holds, they return a value; a refusal always says why.
 */
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { compileSignalConversions, compileTopicTemplate, compileUnitConversion, decodePayload, topicMatchesFilter, UNITS, validateTelemetry } from '../../dist/core/index.js';

const RUNS = { numRuns: 2000 };

/** Either ok, or a refusal with a sentence. */
function assertParsed(r: { ok: boolean; reason?: string }): void {
  if (!r.ok) assert.ok(typeof r.reason === 'string' && r.reason.trim().length > 0, 'a refusal has a reason');
}

/** Topic-ish strings: levels drawn from placeholders, wildcards, and random text (incl. empty levels and $). */
const topicLevel = fc.oneof(fc.constantFrom('{assetId}', '{signal}', '+', '#', '', '$share', 'g', 'plant', '$SYS', '{', '}', 'a+b', '{assetId}x'), fc.string({ maxLength: 6 }));
const topicLike = fc.oneof(fc.array(topicLevel, { minLength: 0, maxLength: 6 }).map((l) => l.join('/')), fc.string({ maxLength: 40 }), fc.string({ unit: 'binary', maxLength: 20 }));

/** Payloads: random bytes, random text, random JSON of any shape, and near-telemetry objects. */
const nearTelemetry = fc.record(
  {
    assetId: fc.oneof(fc.string(), fc.integer(), fc.constant(null)),
    ts: fc.oneof(fc.integer(), fc.double(), fc.string(), fc.constant(null), fc.date({ noInvalidDate: false }).map((d) => String(d))),
    signals: fc.oneof(fc.dictionary(fc.oneof(fc.constantFrom('__proto__', 'constructor', ''), fc.string({ maxLength: 8 })), fc.oneof(fc.double(), fc.string(), fc.boolean(), fc.constant(null), fc.object())), fc.anything()),
    value: fc.anything(),
    quality: fc.oneof(fc.constantFrom('good', 'bad', 'uncertain', 'nope'), fc.anything()),
  },
  { requiredKeys: [] },
);
const payload = fc.oneof(
  fc.uint8Array({ maxLength: 200 }),
  fc.string({ maxLength: 200 }),
  fc.string({ unit: 'binary', maxLength: 50 }),
  fc.jsonValue().map((v) => JSON.stringify(v) ?? ''),
  nearTelemetry.map((v) => JSON.stringify(v)),
  fc.double().map(String),
);
const options = fc.record({
  format: fc.constantFrom('auto' as const, 'value-path' as const),
  valuePath: fc.oneof(fc.constantFrom('', 'value', 'data.v', '__proto__', 'constructor.name', 'a..b'), fc.string({ maxLength: 10 })),
  timestampPath: fc.oneof(fc.constantFrom('', 'ts', 'data.t', '__proto__'), fc.string({ maxLength: 10 })),
  assetId: fc.string({ maxLength: 10 }),
  signal: fc.string({ maxLength: 10 }),
  maxBytes: fc.integer({ min: 0, max: 300 }),
});
const fields = fc.record({ assetId: fc.string({ maxLength: 10 }), signal: fc.string({ maxLength: 10 }) }, { requiredKeys: [] });

describe('parsers are total (fast-check)', () => {
  it('decodePayload never throws, and every refusal has a reason, for any payload, topic fields and options', () => {
    fc.assert(
      fc.property(payload, fields, options, (p, f, o) => {
        const decoded = decodePayload(p, f, o);
        assertParsed(decoded);
        // What comes out goes through validation in the node: that must be total as well.
        if (!decoded.ok) return;
        const checked = validateTelemetry(decoded.value, 1_764_000_000_000);
        assertParsed(checked);
        // No signal vanishes silently: each is kept or listed as rejected with a reason.
        if (checked.ok && typeof decoded.value.signals === 'object' && decoded.value.signals !== null) {
          const kept = new Set(Object.keys(checked.value.telemetry.signals));
          const rejected = new Set(checked.value.rejected.map((r) => r.signal));
          for (const r of checked.value.rejected) assert.ok(r.reason.length > 0);
          for (const name of Object.keys(decoded.value.signals)) assert.ok(kept.has(name) || rejected.has(name.slice(0, 40)), `signal "${name}" kept or rejected`);
        }
      }),
      RUNS,
    );
  });

  it('decodePayload keeps every numeric key of a flat object as a signal', () => {
    const name = fc.oneof(fc.constantFrom('__proto__', 'constructor', 'toString', 'hasOwnProperty'), fc.string({ minLength: 1, maxLength: 8 })).filter((k) => !['assetId', 'ts', 'timestamp', 'time', 'quality', 'signals', 'value'].includes(k));
    fc.assert(
      fc.property(fc.dictionary(name, fc.double({ noNaN: true, noDefaultInfinity: true }), { minKeys: 1, maxKeys: 8 }), (object) => {
        const decoded = decodePayload(JSON.stringify(object), { assetId: 'a' }, { format: 'auto', maxBytes: 1e6 });
        assert.ok(decoded.ok);
        const signals = decoded.value.signals as Record<string, number>;
        assert.deepEqual(Object.keys(signals).sort(), Object.keys(object).sort());
      }),
      RUNS,
    );
  });

  it('decodePayload refuses anything over the size limit, whatever it is', () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1, maxLength: 300 }), (text) => {
        const limit = Buffer.byteLength(text) - 1;
        const r = decodePayload(text, {}, { format: 'auto', maxBytes: limit });
        assert.equal(r.ok, false);
        assertParsed(r);
      }),
      RUNS,
    );
  });

  it('compileTopicTemplate never throws; a compiled template matches any topic without throwing and accepts what its filter covers', () => {
    fc.assert(
      fc.property(topicLike, fc.array(topicLike, { maxLength: 5 }), (template, topics) => {
        const t = compileTopicTemplate(template);
        assertParsed(t);
        if (!t.ok) return;
        for (const topic of topics) {
          const m = t.value.match(topic);
          // A topic the template matches is one the broker delivers for its filter.
          if (m !== undefined && !topic.startsWith('$')) assert.ok(topicMatchesFilter(t.value.filter, topic), `${t.value.filter} covers ${topic}`);
          if (m?.assetId !== undefined) assert.notEqual(m.assetId, '');
        }
      }),
      RUNS,
    );
  });

  it('unit conversions never throw; refusals say why; known pairs of one quantity always compile', () => {
    const unitName = fc.oneof(fc.constantFrom(...UNITS.map((u) => u.symbol), 'degF', 'm3/h', 'furlong', '', ' '), fc.string({ maxLength: 6 }));
    fc.assert(
      fc.property(unitName, unitName, fc.double(), (from, to, value) => {
        const c = compileUnitConversion(from, to);
        assertParsed(c);
        if (c.ok) assert.equal(typeof c.value(value), 'number');
      }),
      RUNS,
    );
    const rule = fc.record(
      {
        signal: fc.oneof(fc.string({ maxLength: 5 }), fc.anything()),
        kind: fc.oneof(fc.constantFrom('unit', 'scale'), fc.anything()),
        from: fc.oneof(unitName, fc.anything()),
        to: fc.oneof(unitName, fc.anything()),
        rawMin: fc.oneof(fc.double(), fc.string({ maxLength: 4 }), fc.anything()),
        rawMax: fc.oneof(fc.double(), fc.string({ maxLength: 4 }), fc.anything()),
        engMin: fc.oneof(fc.double(), fc.anything()),
        engMax: fc.oneof(fc.double(), fc.anything()),
      },
      { requiredKeys: [] },
    );
    fc.assert(
      fc.property(fc.oneof(fc.array(fc.oneof(rule, fc.anything()), { maxLength: 4 }), fc.anything()), fc.dictionary(fc.string({ maxLength: 5 }), fc.anything()), (rules, signals) => {
        const c = compileSignalConversions(rules);
        assertParsed(c);
        if (c.ok) assert.equal(typeof c.value(signals), 'object');
      }),
      RUNS,
    );
  });
});
