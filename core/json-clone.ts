/**
 * A deep copy of JSON data (plain objects, arrays, strings, numbers, booleans, null), the same as `structuredClone`
 * gives for it, at a fraction of the cost: `structuredClone` serialises through V8's message serializer, which costs
 * microseconds even for a small object, and the twin copies its derived values (health, RUL, parameters) into every
 * snapshot. Anything that is not JSON data (a Date, a Map, a class instance) is handed to `structuredClone`, so the
 * result never differs from it.
 *
 * @example cloneJson({ index: 0.93, anomalies: { flow: false } }) // a new object, nothing shared
 */
export function cloneJson<T>(value: T): T {
  if (typeof value !== 'object' || value === null) {
    // structuredClone refuses functions and symbols (DataCloneError): so does this, by handing them over.
    return typeof value === 'function' || typeof value === 'symbol' ? structuredClone(value) : value;
  }
  if (Array.isArray(value)) {
    if (Object.getPrototypeOf(value) !== Array.prototype) return structuredClone(value);
    const out = new Array<unknown>(value.length);
    for (let i = 0; i < value.length; i++) {
      // A hole stays a hole (structuredClone keeps them too).
      if (i in value) out[i] = cloneJson(value[i] as unknown);
    }
    return out as T;
  }
  const proto = Object.getPrototypeOf(value) as unknown;
  if (proto !== Object.prototype && proto !== null) return structuredClone(value);
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(value)) {
    const copy = cloneJson((value as Record<string, unknown>)[key]);
    // "__proto__" as an own key (JSON.parse makes one) must stay a key, not become the prototype.
    if (key === '__proto__') Object.defineProperty(out, key, { value: copy, enumerable: true, writable: true, configurable: true });
    else out[key] = copy;
  }
  return out as T;
}

const NOT_PLAIN = Symbol('not plain JSON data');
/** Deeper than this, the copy goes by JSON text (which also finds a cycle and refuses it). */
const MAX_PLAIN_DEPTH = 64;

/**
 * What `JSON.parse(JSON.stringify(value))` gives, without the text in between when `value` is plain JSON data (plain
 * objects and arrays without holes, strings, booleans, null, finite numbers other than −0): the twin stores every
 * derived value as such a copy (health and parameters from twin-model, rul from twin-rul, on every message), and
 * writing and parsing the text was most of the cost. Anything else (NaN, −0, undefined, a Date, toJSON, a cycle, a
 * BigInt) goes through JSON text itself, so the result, or the exception, is always that of the round trip.
 *
 * @example jsonRoundTrip({ rul: 41.5, unit: 'minutes' }) // { rul: 41.5, unit: 'minutes' }, a new object
 */
export function jsonRoundTrip(value: unknown): unknown {
  const copy = copyPlain(value, 0);
  return copy === NOT_PLAIN ? (JSON.parse(JSON.stringify(value)) as unknown) : copy;
}

function copyPlain(value: unknown, depth: number): unknown {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return value;
    case 'number':
      return Number.isFinite(value) && !Object.is(value, -0) ? value : NOT_PLAIN;
    case 'object': {
      if (value === null) return null;
      if (depth >= MAX_PLAIN_DEPTH) return NOT_PLAIN;
      if (Array.isArray(value)) {
        if (Object.getPrototypeOf(value) !== Array.prototype) return NOT_PLAIN;
        const out = new Array<unknown>(value.length);
        for (let i = 0; i < value.length; i++) {
          if (!(i in value)) return NOT_PLAIN; // a hole becomes null in JSON
          const item = copyPlain(value[i] as unknown, depth + 1);
          if (item === NOT_PLAIN) return NOT_PLAIN;
          out[i] = item;
        }
        return out;
      }
      const proto = Object.getPrototypeOf(value) as unknown;
      if ((proto !== Object.prototype && proto !== null) || 'toJSON' in value) return NOT_PLAIN;
      const out: Record<string, unknown> = {};
      for (const key of Object.keys(value)) {
        const item = copyPlain((value as Record<string, unknown>)[key], depth + 1);
        if (item === NOT_PLAIN) return NOT_PLAIN;
        if (key === '__proto__') Object.defineProperty(out, key, { value: item, enumerable: true, writable: true, configurable: true });
        else out[key] = item;
      }
      return out;
    }
    default:
      return NOT_PLAIN; // undefined, functions, symbols and BigInts: JSON drops, nulls or refuses them
  }
}
