/** cloneJson: the same copy as structuredClone for JSON data (what the twin's derived values are), nothing shared. */
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import fc from 'fast-check';

const require = createRequire(import.meta.url);
const core = require('../../dist/core/index.js') as typeof import('../../dist/core/index.js');

/** True when a and b share no object (every object of the copy is new). */
function sharesNothing(a: unknown, b: unknown): boolean {
  if (typeof a !== 'object' || a === null) return true;
  if (a === b) return false;
  return Object.keys(a).every((k) => sharesNothing((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
}

describe('cloneJson', () => {
  it('gives what structuredClone gives for any JSON value, sharing nothing with it', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        const copy = core.cloneJson(value);
        assert.deepStrictEqual(copy, structuredClone(value));
        assert.ok(sharesNothing(value, copy));
      }),
      { numRuns: 2000 },
    );
  });

  it('keeps "__proto__" as an own key, holes as holes, -0 as -0, and key order', () => {
    const parsed = JSON.parse('{"b":1,"__proto__":{"x":1},"a":[1,2]}') as Record<string, unknown>;
    const copy = core.cloneJson(parsed);
    assert.deepStrictEqual(Object.keys(copy), ['b', '__proto__', 'a']);
    assert.equal(Object.getPrototypeOf(copy), Object.prototype);
    assert.deepStrictEqual(copy, structuredClone(parsed));
    // eslint-disable-next-line no-sparse-arrays
    const holey = [1, , 3];
    assert.deepStrictEqual(core.cloneJson(holey), structuredClone(holey));
    assert.ok(Object.is(core.cloneJson({ v: -0 }).v, -0));
  });

  it('hands what is not JSON data to structuredClone (same copy, same refusal)', () => {
    const odd = { when: new Date(0), map: new Map([[1, 2]]), nil: Object.assign(Object.create(null) as object, { a: 1 }) };
    assert.deepStrictEqual(core.cloneJson(odd), structuredClone(odd));
    assert.throws(() => core.cloneJson({ f: () => 1 }), (err: Error) => err.name === 'DataCloneError');
  });
});

describe('jsonRoundTrip', () => {
  const viaText = (value: unknown): unknown => JSON.parse(JSON.stringify(value)) as unknown;
  const outcome = (f: () => unknown): { value: unknown } | { error: string } => {
    try {
      return { value: f() };
    } catch (err) {
      return { error: (err as Error).constructor.name };
    }
  };

  it('gives what JSON.parse(JSON.stringify(value)) gives, or throws the same kind of error, for anything', () => {
    const anything = fc.anything({
      withBoxedValues: true, withMap: true, withSet: true, withObjectString: true, withNullPrototype: true,
      withBigInt: true, withDate: true, withTypedArray: true, withSparseArray: true,
    });
    fc.assert(
      fc.property(fc.oneof(anything, fc.jsonValue(), fc.dictionary(fc.string(), fc.oneof(fc.double(), fc.constant(undefined), fc.jsonValue()))), (value) => {
        if (value === undefined) return; // JSON.stringify gives no text for undefined (setDerived never passes it)
        assert.deepStrictEqual(outcome(() => core.jsonRoundTrip(value)), outcome(() => viaText(value)));
      }),
      { numRuns: 3000 },
    );
  });

  it('copies plain data without sharing, keeps "__proto__" keys and refuses cycles as JSON does', () => {
    const value = JSON.parse('{"rul":41.5,"__proto__":{"a":[1,2]},"probabilityOfFailureWithin":{"horizon":30,"p":0.1}}') as Record<string, unknown>;
    const copy = core.jsonRoundTrip(value) as Record<string, unknown>;
    assert.deepStrictEqual(copy, viaText(value));
    assert.ok(sharesNothing(value, copy));
    const cycle: Record<string, unknown> = { a: 1 };
    cycle.self = cycle;
    assert.throws(() => core.jsonRoundTrip(cycle), TypeError);
    assert.deepStrictEqual(core.jsonRoundTrip({ a: -0, b: NaN, c: undefined, d: [undefined, Infinity], e: new Date(0) }), { a: 0, b: null, d: [null, null], e: '1970-01-01T00:00:00.000Z' });
    // Each case alone, so no other value sends the whole object through JSON text.
    assert.ok(Object.is((core.jsonRoundTrip({ a: -0 }) as { a: number }).a, 0));
    assert.deepStrictEqual(core.jsonRoundTrip({ t: { toJSON: () => 7 } }), { t: 7 });
    assert.deepStrictEqual(core.jsonRoundTrip({ h: [1, , 3] }), { h: [1, null, 3] }); // eslint-disable-line no-sparse-arrays
    assert.deepStrictEqual(core.jsonRoundTrip({ u: undefined, n: 1 }), { n: 1 });
  });
});
