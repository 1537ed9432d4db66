/**
 * The one telemetry shape every sensor adapter emits and `twin-state` ingests.
 *
 * `{ assetId, ts, signals: { name: number }, quality?: { name: "good" | "uncertain" | "bad" } }`
 *
 * `ts` is the source timestamp in milliseconds since the Unix epoch. A change to this shape is a breaking change
 * for every saved flow, so it is validated here, in one place, for every adapter.
 */

export type Quality = 'good' | 'uncertain' | 'bad';

export const QUALITIES: readonly Quality[] = ['good', 'uncertain', 'bad'];

export interface Telemetry {
  assetId: string;
  ts: number;
  /** NaN only for a reading whose quality is `bad`: the source marked it bad and sent no value. */
  signals: Record<string, number>;
  quality?: Record<string, Quality>;
}

/** A value that could not be used as a reading, with a sentence saying why. */
export interface RejectedSignal {
  signal: string;
  reason: string;
  /**
   * What became of a reading that is no bad input (absent: it was not stored, e.g. NaN, a text, a time in the future):
   * `stored-as-bad`, kept in history as `bad` (outside the declared range: what the sensor said, which tells of a
   * fault; or marked bad by the source, which kept with no value means the signal shows bad); `undeclared`, a signal the twin definition does not declare and chose not to store ("Also store signals
   * not listed" unticked: sources often send more fields than the twin needs).
   */
  kind?: 'stored-as-bad' | 'undeclared';
}

/** Expected failures are values, not exceptions: callers map `ok: false` to `done(err)` and a status. */
export type Parsed<T> = { ok: true; value: T } | { ok: false; reason: string };

export interface TelemetryLimits {
  /** Refuse a message with more signals than this (protects the store from runaway payloads). */
  maxSignals: number;
  /** Longest accepted asset id or signal name. */
  maxNameLength: number;
}

export const DEFAULT_TELEMETRY_LIMITS: TelemetryLimits = { maxSignals: 1000, maxNameLength: 200 };

export interface TelemetryOptions extends Partial<TelemetryLimits> {
  /** How a timestamp without a zone offset is read (default `host`). */
  zonelessTimes?: ZonelessTimes;
}

/** Telemetry whose structure is sound; unusable values are listed in `rejected` instead of failing the message. */
export interface ValidatedTelemetry {
  telemetry: Telemetry;
  rejected: RejectedSignal[];
  /** The timestamp as sent, when it had no zone offset (read in the zone the options say). */
  zonelessTime?: string;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Digits only (a number sent as text, as many PLCs and gateways do): read as a number, never as a date string. */
const NUMBER_TEXT = /^\s*\d+(\.\d+)?\s*$/;
const NUMBER_LIKE = /^[\s+\-.\d]+$/;

/**
 * A date and time with no zone offset: "2026-12-01T10:00:00", "2026-12-01 10:00:00.250", "2026-12-01". Tasmota, many
 * PLCs and gateways send their clock's local time so, and the text alone cannot say which zone that is.
 */
const ZONELESS_TIME = /^\s*(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?)?\s*$/;

/** True for a time given as text without a zone offset (see ZONELESS_TIME), whose zone a setting must say. */
export function isZonelessTime(value: unknown): value is string {
  return typeof value === 'string' && ZONELESS_TIME.test(value);
}

/**
 * How a time without a zone offset is read: `host` (the zone of the machine Node-RED runs on, as JavaScript reads
 * it; the default), `UTC`, or a zone of the IANA database such as `Europe/Berlin` (daylight saving included).
 */
export type ZonelessTimes = string;

const zoneFormats = new Map<string, Intl.DateTimeFormat>();

/** A setting for times without a zone as the nodes take it: '' or `host`, `UTC`, or an IANA zone name. */
export function checkZonelessTimes(setting: unknown): Parsed<ZonelessTimes> {
  const text = typeof setting === 'string' ? setting.trim() : '';
  if (text === '' || text === 'host') return { ok: true, value: 'host' };
  if (text.toUpperCase() === 'UTC') return { ok: true, value: 'UTC' };
  try {
    if (!zoneFormats.has(text)) {
      zoneFormats.set(text, new Intl.DateTimeFormat('en-US', { timeZone: text, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric' }));
    }
    return { ok: true, value: text };
  } catch {
    return { ok: false, reason: `"${text.slice(0, 60)}" is no time zone: use host, UTC or a zone name such as Europe/Berlin` };
  }
}

/** The zone's offset from UTC at an instant (ms; +3,600,000 for Berlin in winter). */
function zoneOffsetMs(format: Intl.DateTimeFormat, at: number): number {
  const part: Record<string, number> = {};
  for (const p of format.formatToParts(at)) if (p.type !== 'literal') part[p.type] = Number(p.value);
  const wall = Date.UTC(part.year!, part.month! - 1, part.day, part.hour, part.minute, part.second);
  return wall - Math.floor(at / 1000) * 1000;
}

const DAY_MS = 86_400_000;

/** The instant a zone-less date and time names in `zone`, or why it names none. */
function readZonelessTime(text: string, zone: ZonelessTimes): Parsed<number> {
  const m = ZONELESS_TIME.exec(text)!;
  const [year, month, day, hour, minute, second] = [1, 2, 3, 4, 5, 6].map((i) => Number(m[i] ?? 0)) as [number, number, number, number, number, number];
  const ms = m[7] === undefined ? 0 : Number(`0.${m[7]}`) * 1000;
  const wall = Date.UTC(year, month - 1, day, hour, minute, second, ms);
  const check = new Date(wall);
  // Date.UTC reads the years 0–99 as 1900–1999: a clock that says 0099 was never set, and no reading is that old.
  if (year < 1900) return { ok: false, reason: `timestamp "${text.trim().slice(0, 40)}" is before 1900: is the device's clock set?` };
  // Date.UTC rolls 2026-02-30 over into March and 25:00 into the next day: such a text is no date.
  if (month < 1 || check.getUTCMonth() !== month - 1 || check.getUTCDate() !== day || hour > 23 || minute > 59 || second > 59) {
    return { ok: false, reason: `timestamp "${text.trim().slice(0, 40)}" is not a date` };
  }
  const known = checkZonelessTimes(zone);
  if (!known.ok) return known;
  if (known.value === 'UTC') return { ok: true, value: wall };
  if (known.value === 'host') return { ok: true, value: new Date(year, month - 1, day, hour, minute, second, ms).getTime() };
  const format = zoneFormats.get(known.value)!;
  // The zone's offsets a day either side of the time: an instant that gives back the wall time with one of them is
  // a reading of it. Two such instants (the hour repeated when the clocks go back) → the first, and none (the hour
  // skipped when they go forward) → the offset before the change, 02:30 being read as 03:30: as JavaScript reads
  // local time, so every zone setting, the host's included, agrees.
  const before = zoneOffsetMs(format, wall - DAY_MS);
  const after = zoneOffsetMs(format, wall + DAY_MS);
  let first: number | undefined;
  for (const offset of [before, after]) {
    const at = wall - offset;
    if (zoneOffsetMs(format, at) === offset && (first === undefined || at < first)) first = at;
  }
  return { ok: true, value: first ?? wall - before };
}

/**
 * Reads a timestamp given as milliseconds since the epoch (a number, or its digits as text), an ISO 8601 string or
 * a Date. Other units are not guessed: a number below 1e11 (before 1973 in ms) looks like seconds and one from 1e14
 * (the year 5138 in ms) like microseconds, and both are refused, because a wrong guess would silently put readings
 * in 1970 or far in the future. A date and time without a zone offset is read in `zone` (see ZonelessTimes).
 */
export function parseTimestamp(value: unknown, zone: ZonelessTimes = 'host'): Parsed<number> {
  if (typeof value === 'string' && NUMBER_TEXT.test(value)) return parseTimestamp(Number(value));
  if (typeof value === 'string' && ZONELESS_TIME.test(value)) return readZonelessTime(value, zone);
  // Other text of signs, digits and dots ("-5", ".5", "1 2") is no number the rules above could judge, and
  // Date.parse would make a date in 2001 of it.
  if (typeof value === 'string' && NUMBER_LIKE.test(value)) return { ok: false, reason: `timestamp "${value.trim().slice(0, 40)}" is neither a number of ms nor a date` };
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) return { ok: false, reason: `timestamp ${String(value)} is not a finite number` };
    if (value < 1e11) {
      return { ok: false, reason: `timestamp ${value} looks like seconds; send milliseconds since the epoch` };
    }
    // The largest time a JavaScript Date can hold (ECMA-262, 21.4.1.1): beyond it no date exists.
    if (value > 8.64e15) return { ok: false, reason: `timestamp ${value} is beyond any date` };
    if (value >= 1e14) {
      return { ok: false, reason: `timestamp ${value} looks like microseconds; send milliseconds since the epoch` };
    }
    return { ok: true, value };
  }
  if (typeof value === 'string' && value.trim() !== '') {
    const ms = Date.parse(value);
    if (Number.isNaN(ms)) return { ok: false, reason: `timestamp "${value.slice(0, 40)}" is not a date` };
    return { ok: true, value: ms };
  }
  if (value instanceof Date) {
    const ms = value.getTime();
    if (Number.isNaN(ms)) return { ok: false, reason: 'timestamp is an invalid Date' };
    return { ok: true, value: ms };
  }
  return { ok: false, reason: `timestamp must be milliseconds since the epoch or an ISO date, got ${typeof value}` };
}

function describe(value: unknown): string {
  if (typeof value === 'string') return `the string "${value.slice(0, 40)}"`;
  if (typeof value === 'number') return String(value);
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : typeof value;
}

/**
 * Checks that `input` has the telemetry shape.
 *
 * The message is refused as a whole only when its structure is broken (no asset id, no signals object, too many
 * signals, bad timestamp). A single unusable value (NaN, Infinity, a string, a boolean) does not cost the other
 * signals of the message: it is dropped from `signals` and listed in `rejected` with the reason.
 *
 * @param input anything a flow may send
 * @param now receive time in ms, used when the message carries no timestamp
 */
export function validateTelemetry(input: unknown, now: number, options: TelemetryOptions = {}): Parsed<ValidatedTelemetry> {
  // Read one by one: a merged object would be an allocation per message on the hot path.
  const maxSignals = options.maxSignals ?? DEFAULT_TELEMETRY_LIMITS.maxSignals;
  const maxNameLength = options.maxNameLength ?? DEFAULT_TELEMETRY_LIMITS.maxNameLength;
  if (!isPlainObject(input)) {
    return { ok: false, reason: `telemetry must be an object { assetId, ts, signals }, got ${describe(input)}` };
  }
  const { assetId, signals, quality } = input;
  if (typeof assetId !== 'string' || assetId.trim() === '') {
    return { ok: false, reason: 'telemetry has no assetId (a non-empty string)' };
  }
  if (assetId.length > maxNameLength) {
    return { ok: false, reason: `assetId is longer than ${maxNameLength} characters` };
  }
  let ts = now;
  if (input.ts !== undefined) {
    const parsed = parseTimestamp(input.ts, options.zonelessTimes);
    if (!parsed.ok) return parsed;
    ts = parsed.value;
  }
  if (!isPlainObject(signals)) {
    return { ok: false, reason: `telemetry for ${assetId} has no signals object, got ${describe(signals)}` };
  }
  const names = Object.keys(signals);
  if (names.length === 0) return { ok: false, reason: `telemetry for ${assetId} has no signals` };
  if (names.length > maxSignals) {
    return { ok: false, reason: `telemetry for ${assetId} has ${names.length} signals, more than the limit of ${maxSignals}` };
  }
  if (quality !== undefined && !isPlainObject(quality)) {
    return { ok: false, reason: `quality must be an object { signal: "good" | "uncertain" | "bad" }` };
  }

  const cleanSignals: Record<string, number> = {};
  const cleanQuality: Record<string, Quality> = {};
  const rejected: RejectedSignal[] = [];
  let anyQuality = false;
  for (const name of names) {
    if (name.length === 0 || name.length > maxNameLength) {
      rejected.push({ signal: name.slice(0, 40), reason: 'signal name is empty or too long' });
      continue;
    }
    if (name === '__proto__') {
      // Would silently vanish from every plain object downstream (it sets the prototype instead of a key).
      rejected.push({ signal: name, reason: 'signal name "__proto__" is reserved' });
      continue;
    }
    const value = signals[name];
    const q = quality?.[name];
    // A sensor the source marks bad often has no value to send (an OPC UA BadSensorFailure carries none): with quality
    // "bad", null (or NaN) is that reading, for the twin to show the signal bad, not bad input.
    const badWithoutValue = q === 'bad' && (value === null || (typeof value === 'number' && Number.isNaN(value)));
    if (!badWithoutValue && (typeof value !== 'number' || !Number.isFinite(value))) {
      rejected.push({ signal: name, reason: `value is ${describe(value)}, not a finite number` });
      continue;
    }
    cleanSignals[name] = badWithoutValue ? NaN : (value as number);
    if (q !== undefined) {
      if (q !== 'good' && q !== 'uncertain' && q !== 'bad') {
        rejected.push({ signal: name, reason: `quality ${describe(q)} is not good, uncertain or bad` });
        delete cleanSignals[name];
        continue;
      }
      cleanQuality[name] = q;
      anyQuality = true;
    }
  }
  const telemetry: Telemetry = { assetId, ts, signals: cleanSignals };
  if (anyQuality) telemetry.quality = cleanQuality;
  const validated: ValidatedTelemetry = { telemetry, rejected };
  if (isZonelessTime(input.ts)) validated.zonelessTime = input.ts.trim();
  return { ok: true, value: validated };
}

/** Decimal number text, as field devices send it ("12.5", "-3", "1.5e2"); not "0x10", "0b11" or "Infinity". */
const DECIMAL_TEXT = /^\s*[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?\s*$/;

/**
 * Numbers as text ("12.5") and booleans (1/0) are common in field data; other values pass unchanged. Only decimal
 * text counts: "0x10" is no pressure of 16 bar.
 */
export function readNumber(value: unknown): unknown {
  if (typeof value === 'string' && DECIMAL_TEXT.test(value)) return Number(value);
  if (typeof value === 'boolean') return value ? 1 : 0;
  return value;
}
