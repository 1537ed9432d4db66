import { readNumber, type Parsed } from './telemetry.js';

/**
 * Turning MQTT topics and payloads into telemetry candidates (validated afterwards by `validateTelemetry`).
 * Pure: no mqtt.js, no Node-RED.
 */

/** Fields pulled out of a topic by a template such as `plant/{assetId}/{signal}`. */
export interface TopicFields {
  assetId?: string;
  signal?: string;
}

export interface TopicTemplate {
  /** The template as written. */
  template: string;
  /** The MQTT subscription filter it stands for (`plant/+/+`). */
  filter: string;
  /** Fields of a received topic, or undefined when the topic does not fit the template. */
  match: (topic: string) => TopicFields | undefined;
}

type Level = { kind: 'literal'; text: string } | { kind: 'assetId' } | { kind: 'signal' } | { kind: 'any' } | { kind: 'rest' };

/** Strips an MQTT 5 shared-subscription prefix (`$share/<group>/`), which is not part of the topics received. */
export function withoutSharePrefix(filter: string): string {
  if (!filter.startsWith('$share/')) return filter;
  const rest = filter.slice('$share/'.length);
  const slash = rest.indexOf('/');
  return slash < 0 ? '' : rest.slice(slash + 1);
}

/** An actuator's command topic template (`plant/{assetId}/set/{point}`), compiled once. */
export interface CommandTopic {
  /** The topic of one asset's point. */
  expand: (assetId: string, point: string) => string;
  /** A subscription filter that covers every topic the template makes: each level holding a placeholder is `+`. */
  filter: string;
  /** Whether a topic is one the template makes (the filter may cover more: `pump-{assetId}` is a whole `+`). */
  matches: (topic: string) => boolean;
}

/** Compiles a command topic template; `{assetId}` and `{point}` may stand anywhere in a level (`pump-{assetId}`). */
export function commandTopic(template: string): CommandTopic {
  const filter = template
    .split('/')
    .map((level) => (level.includes('{assetId}') || level.includes('{point}') ? '+' : level))
    .join('/');
  // A placeholder takes what lies between two slashes, at least one character; everything else is literal.
  const pattern = template
    .split(/(\{assetId\}|\{point\})/)
    .map((piece) => (piece === '{assetId}' || piece === '{point}' ? '[^/]+' : piece.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')))
    .join('');
  const regex = new RegExp(`^${pattern}$`);
  return {
    expand: (assetId, point) => template.replaceAll('{assetId}', assetId).replaceAll('{point}', point),
    filter,
    matches: (topic) => regex.test(topic),
  };
}

/**
 * Compiles a topic template. Placeholders `{assetId}` and `{signal}` and the wildcard `+` each take one whole
 * topic level; `#` may end the template. A `$share/<group>/` prefix is kept in the filter (MQTT 5 shared
 * subscription) and ignored when matching.
 */
export function compileTopicTemplate(template: string): Parsed<TopicTemplate> {
  const trimmed = template.trim();
  if (trimmed === '') return { ok: false, reason: 'topic template is empty' };
  const sharePrefix = trimmed.startsWith('$share/') ? trimmed.slice(0, trimmed.length - withoutSharePrefix(trimmed).length) : '';
  const body = trimmed.slice(sharePrefix.length);
  if (sharePrefix !== '' && body === '') return { ok: false, reason: 'shared subscription has no topic after $share/<group>/' };
  const levels: Level[] = [];
  const seen = new Set<string>();
  const parts = body.split('/');
  for (const [i, part] of parts.entries()) {
    if (part === '{assetId}' || part === '{signal}') {
      const kind = part === '{assetId}' ? 'assetId' : 'signal';
      if (seen.has(kind)) return { ok: false, reason: `${part} appears twice in the topic template` };
      seen.add(kind);
      levels.push({ kind });
    } else if (part === '+') {
      levels.push({ kind: 'any' });
    } else if (part === '#') {
      if (i !== parts.length - 1) return { ok: false, reason: '# must be the last level of the topic template' };
      levels.push({ kind: 'rest' });
    } else if (/[{}+#]/.test(part)) {
      return { ok: false, reason: `topic level "${part}" mixes text with a placeholder or wildcard; use a whole level` };
    } else {
      levels.push({ kind: 'literal', text: part });
    }
  }
  const filter =
    sharePrefix +
    levels.map((l) => (l.kind === 'literal' ? l.text : l.kind === 'rest' ? '#' : '+')).join('/');
  const match = (topic: string): TopicFields | undefined => {
    const got = topic.split('/');
    const fields: TopicFields = {};
    for (let i = 0; i < levels.length; i++) {
      const level = levels[i]!;
      if (level.kind === 'rest') return fields;
      const value = got[i];
      if (value === undefined) return undefined;
      if (level.kind === 'literal') {
        if (value !== level.text) return undefined;
      } else if (level.kind === 'assetId') {
        if (value === '') return undefined;
        fields.assetId = value;
      } else if (level.kind === 'signal') {
        if (value === '') return undefined;
        fields.signal = value;
      }
    }
    return got.length === levels.length ? fields : undefined;
  };
  return { ok: true, value: { template: trimmed, filter, match } };
}

/** True when `topic` is matched by the MQTT subscription `filter` (with `+` and `#`, and `$share/` stripped). */
export function topicMatchesFilter(filter: string, topic: string): boolean {
  const f = withoutSharePrefix(filter).split('/');
  const t = topic.split('/');
  // Topics starting with $ are not matched by wildcards at the first level (MQTT 3.1.1, 4.7.2).
  if (topic.startsWith('$') && (f[0] === '+' || f[0] === '#')) return false;
  for (let i = 0; i < f.length; i++) {
    const level = f[i]!;
    if (level === '#') return true;
    if (i >= t.length) return false;
    if (level !== '+' && level !== t[i]) return false;
  }
  return f.length === t.length;
}

export type PayloadFormat = 'auto' | 'value-path';

export interface PayloadOptions {
  format: PayloadFormat;
  /** With `value-path`: dotted path to the value in a JSON payload (e.g. `data.v`); empty for a plain number. */
  valuePath?: string;
  /** Dotted path to the timestamp in a JSON payload (e.g. `data.t`); empty: receive time. */
  timestampPath?: string;
  /** Asset id when the topic does not carry one. */
  assetId?: string;
  /** Signal name when the topic does not carry one. */
  signal?: string;
  /** Largest payload accepted, in bytes. */
  maxBytes: number;
}

/** The keys of a JSON object of numbers that are not signals (in any case: Tasmota sends "Time"). */
const RESERVED_KEYS = new Set(['assetid', 'ts', 'timestamp', 'time', 'quality']);

/** How deep objects in an object of numbers are followed ({"ENERGY":{"Power":45}} → "ENERGY.Power"). */
const MAX_NESTING = 3;

/**
 * The signals of an object of numbers: each key that is not reserved, and the keys of objects in it joined with dots,
 * as devices group their readings (Tasmota's {"ENERGY":{"Power":45,"Voltage":229}}, Shelly's {"aenergy":{"total":…}}).
 */
function signalsOf(object: Record<string, unknown>, out: Record<string, unknown>, prefix: string, depth: number): Record<string, unknown> {
  for (const key of Object.keys(object)) {
    if (depth === 0 && RESERVED_KEYS.has(key.toLowerCase())) continue;
    const value = object[key];
    const name = prefix === '' ? key : `${prefix}.${key}`;
    if (typeof value === 'object' && value !== null && !Array.isArray(value) && depth < MAX_NESTING) signalsOf(value as Record<string, unknown>, out, name, depth + 1);
    // defineProperty keeps a key such as "__proto__" a key instead of changing the prototype.
    else Object.defineProperty(out, name, { value: readNumber(value), enumerable: true, writable: true, configurable: true });
  }
  return out;
}

function getPath(value: unknown, path: string): unknown {
  let current = value;
  for (const key of path.split('.')) {
    if (typeof current !== 'object' || current === null) return undefined;
    current = (current as Record<string, unknown>)[key];
  }
  return current;
}

function parseText(text: string): unknown {
  const trimmed = text.trim();
  if (trimmed === '') return undefined;
  try {
    return JSON.parse(trimmed) as unknown;
  } catch {
    return text;
  }
}

/**
 * Decodes one MQTT payload into a telemetry candidate `{ assetId, ts, signals, quality }`.
 *
 * `auto` understands, in this order:
 * - a telemetry object `{ assetId?, ts?, signals: {...}, quality? }` (asset from the topic when absent);
 * - with a `{signal}` in the topic: a plain number, or an object with `value` (and `ts`/`timestamp`);
 * - a flat object of numbers `{ flow: 12.1, pressure: 3.4, ts: … }`, each numeric key a signal.
 * `value-path` reads one value (and optionally the timestamp) at declared paths.
 */
export function decodePayload(payload: Uint8Array | string, fields: TopicFields, options: PayloadOptions): Parsed<Record<string, unknown>> {
  const size = typeof payload === 'string' ? Buffer.byteLength(payload) : payload.byteLength;
  if (size > options.maxBytes) {
    return { ok: false, reason: `payload of ${size} bytes is larger than the limit of ${options.maxBytes}` };
  }
  const text = typeof payload === 'string' ? payload : Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength).toString('utf8');
  const data = parseText(text);
  if (data === undefined) return { ok: false, reason: 'payload is empty' };
  const assetId = fields.assetId ?? (options.assetId || undefined);
  const signal = fields.signal ?? (options.signal || undefined);

  if (options.format === 'value-path') {
    const value = options.valuePath ? getPath(data, options.valuePath) : data;
    if (value === undefined) return { ok: false, reason: `payload has nothing at "${options.valuePath ?? ''}"` };
    if (signal === undefined) return { ok: false, reason: 'no signal name: put {signal} in the topic or set one' };
    const candidate: Record<string, unknown> = { assetId: assetId ?? getPath(data, 'assetId'), signals: { [signal]: readNumber(value) } };
    if (options.timestampPath) {
      candidate.ts = getPath(data, options.timestampPath);
      if (candidate.ts === undefined) return { ok: false, reason: `payload has no timestamp at "${options.timestampPath}"` };
    }
    return { ok: true, value: candidate };
  }

  if (typeof data === 'object' && data !== null && !Array.isArray(data)) {
    const object = data as Record<string, unknown>;
    // The topic names the asset when it has {assetId}: a broker's access rules are per topic, so a payload must not
    // write to another asset than its topic says (as in value-path mode, the topic wins; a different one is refused).
    if (fields.assetId !== undefined && object.assetId !== undefined && object.assetId !== fields.assetId) {
      return { ok: false, reason: `the payload names asset ${JSON.stringify(object.assetId)} but its topic names "${fields.assetId}"` };
    }
    const owner = assetId ?? object.assetId;
    const ts = options.timestampPath ? getPath(object, options.timestampPath) : (object.ts ?? object.timestamp);
    if (options.timestampPath && ts === undefined) return { ok: false, reason: `payload has no timestamp at "${options.timestampPath}"` };
    if (typeof object.signals === 'object' && object.signals !== null) {
      return { ok: true, value: { ...object, assetId: owner, ts } };
    }
    if (signal !== undefined && 'value' in object) {
      const candidate: Record<string, unknown> = { assetId: owner, signals: { [signal]: readNumber(object.value) }, ts };
      if (typeof object.quality === 'string') candidate.quality = { [signal]: object.quality };
      return { ok: true, value: candidate };
    }
    return { ok: true, value: { assetId: owner, signals: signalsOf(object, {}, '', 0), ts } };
  }
  if (signal === undefined) {
    return { ok: false, reason: 'payload is a single value but no signal name is known: put {signal} in the topic or set one' };
  }
  return { ok: true, value: { assetId, signals: { [signal]: readNumber(data) } } };
}
