import { readNumber, validateTelemetry, type Parsed, type ValidatedTelemetry, type ZonelessTimes } from './telemetry.js';

/**
 * Builds telemetry from values picked out of any message (Modbus registers, an HTTP body, a file row …) by the
 * `twin-sensor` node's declared mappings. Numbers sent as text and booleans are read as numbers, as the MQTT
 * adapter does; a mapping that finds no value is left out; anything else is left to telemetry validation to refuse
 * with a reason.
 */
export function telemetryFromMapping(
  assetId: unknown,
  ts: unknown,
  values: ReadonlyArray<readonly [signal: string, value: unknown]>,
  now: number,
  zonelessTimes: ZonelessTimes = 'host',
): Parsed<ValidatedTelemetry> {
  if (typeof assetId === 'number' && Number.isFinite(assetId)) assetId = String(assetId);
  const signals: Record<string, unknown> = {};
  // A mapping that finds nothing (an HTTP body without that field) is a signal not sent this time, not a bad reading.
  for (const [signal, value] of values) if (value !== undefined) signals[signal] = readNumber(value);
  if (Object.keys(signals).length === 0) return { ok: false, reason: `no mapped signal has a value here (${values.map(([signal]) => signal).join(', ')})` };
  const candidate: Record<string, unknown> = { assetId, signals };
  if (ts !== undefined && ts !== null && ts !== '') candidate.ts = ts;
  const checked = validateTelemetry(candidate, now, { zonelessTimes });
  if (!checked.ok) return checked;
  if (Object.keys(checked.value.telemetry.signals).length === 0) {
    const reasons = checked.value.rejected.map((r) => `${r.signal}: ${r.reason}`).join('; ');
    return { ok: false, reason: `no usable signal (${reasons})` };
  }
  return checked;
}
