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
