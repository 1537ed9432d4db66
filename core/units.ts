import type { Parsed } from './telemetry.js';

/**
 * Unit conversion and linear scaling of signal values, declared per signal by sensor adapters (e.g. `twin-mqtt-in`).
 *
 * Every unit is a linear map onto the base unit of its quantity: `base = value × factor + offset`. Converting is
 * then `to_base` followed by the inverse of the target's map, so one table serves every pair of one quantity
 * (°F → K works as well as °F → °C) and a pair of two quantities (°F → kPa) is refused.
 *
 * References for the factors: NIST SP 811 (2008), Appendix B.8 and B.9 (psi = 6.894 757 kPa; inch = 25.4 mm
 * exactly; horsepower (550 ft·lbf/s) = 745.699 87 W; US gallon = 3.785 411 784 L exactly).
 */

export type Quantity = 'temperature' | 'pressure' | 'rotational speed' | 'velocity' | 'volume flow' | 'power' | 'length' | 'ratio';

export interface UnitDefinition {
  /** The symbol shown to users. */
  symbol: string;
  quantity: Quantity;
  /** base = value × factor + offset. */
  factor: number;
  offset?: number;
  /** Other spellings accepted in flows (ASCII for keyboards without °, ³). */
  aliases?: string[];
}

/** Base units: °C, kPa, rad/s, mm/s, l/s, kW, mm, %. */
export const UNITS: readonly UnitDefinition[] = [
  { symbol: '°C', quantity: 'temperature', factor: 1, aliases: ['degC', 'C', 'celsius'] },
  // °F: (f − 32) × 5/9, written as factor and offset.
  { symbol: '°F', quantity: 'temperature', factor: 5 / 9, offset: (-32 * 5) / 9, aliases: ['degF', 'F', 'fahrenheit'] },
  { symbol: 'K', quantity: 'temperature', factor: 1, offset: -273.15, aliases: ['kelvin'] },

  { symbol: 'kPa', quantity: 'pressure', factor: 1 },
  { symbol: 'Pa', quantity: 'pressure', factor: 1e-3 },
  { symbol: 'hPa', quantity: 'pressure', factor: 0.1, aliases: ['mbar'] },
  { symbol: 'MPa', quantity: 'pressure', factor: 1e3 },
  { symbol: 'bar', quantity: 'pressure', factor: 100 },
  { symbol: 'psi', quantity: 'pressure', factor: 6.894757293168361 },

  { symbol: 'rad/s', quantity: 'rotational speed', factor: 1 },
  // One revolution is 2π rad, one minute 60 s.
  { symbol: 'rpm', quantity: 'rotational speed', factor: (2 * Math.PI) / 60, aliases: ['1/min', 'r/min'] },
  { symbol: 'Hz', quantity: 'rotational speed', factor: 2 * Math.PI, aliases: ['rps', '1/s'] },

  { symbol: 'mm/s', quantity: 'velocity', factor: 1 },
  { symbol: 'm/s', quantity: 'velocity', factor: 1000 },
  { symbol: 'in/s', quantity: 'velocity', factor: 25.4, aliases: ['ips'] },

  { symbol: 'l/s', quantity: 'volume flow', factor: 1, aliases: ['L/s'] },
  { symbol: 'l/min', quantity: 'volume flow', factor: 1 / 60, aliases: ['L/min'] },
  { symbol: 'm³/h', quantity: 'volume flow', factor: 1000 / 3600, aliases: ['m3/h', 'm^3/h'] },
  { symbol: 'gpm', quantity: 'volume flow', factor: 3.785411784 / 60, aliases: ['gal/min', 'USgpm'] },

  { symbol: 'kW', quantity: 'power', factor: 1 },
  { symbol: 'W', quantity: 'power', factor: 1e-3 },
  { symbol: 'MW', quantity: 'power', factor: 1e3 },
  { symbol: 'hp', quantity: 'power', factor: 0.745699871582270, aliases: ['HP'] },

  { symbol: 'mm', quantity: 'length', factor: 1 },
  { symbol: 'm', quantity: 'length', factor: 1000 },
  { symbol: 'µm', quantity: 'length', factor: 1e-3, aliases: ['um'] },
  { symbol: 'in', quantity: 'length', factor: 25.4 },

  { symbol: '%', quantity: 'ratio', factor: 1, aliases: ['percent'] },
  { symbol: 'fraction', quantity: 'ratio', factor: 100 },
];

const BY_NAME = new Map<string, UnitDefinition>();
for (const unit of UNITS) {
  for (const name of [unit.symbol, ...(unit.aliases ?? [])]) BY_NAME.set(name, unit);
}

/** The unit for a symbol or alias (`degF`, `m3/h` …), or undefined. Leading/trailing spaces are ignored. */
export function findUnit(name: string): UnitDefinition | undefined {
  return BY_NAME.get(name.trim());
}

/** A conversion from one unit to another, or a linear scaling, ready to apply to values. */
export type ValueConversion = (value: number) => number;

/**
 * Conversion between two units of one quantity.
 *
 * @example compileUnitConversion('°F', '°C') // ok: f => (f − 32) × 5/9, so 212 → 100
 * @returns `ok: false` with the reason for an unknown unit or units of different quantities
 */
export function compileUnitConversion(from: string, to: string): Parsed<ValueConversion> {
  const a = findUnit(from);
  const b = findUnit(to);
  const known = 'known units: ' + UNITS.map((u) => u.symbol).join(', ');
  if (!a) return { ok: false, reason: `unknown unit "${String(from).slice(0, 40)}" (${known})` };
  if (!b) return { ok: false, reason: `unknown unit "${String(to).slice(0, 40)}" (${known})` };
  if (a.quantity !== b.quantity) {
    return { ok: false, reason: `cannot convert ${a.symbol} (${a.quantity}) to ${b.symbol} (${b.quantity})` };
  }
  const aOffset = a.offset ?? 0;
  const bOffset = b.offset ?? 0;
  if (a === b) return { ok: true, value: (v) => v };
  return { ok: true, value: (v) => (v * a.factor + aOffset - bOffset) / b.factor };
}

/**
 * Linear scaling from a raw range to an engineering range, e.g. 4–20 mA → 0–10 bar, or 0–27648 counts (a Siemens
 * analog input) → 0–100 %. Values outside the raw range are extrapolated, not clipped, so range checks downstream
 * see an out-of-range sensor as such.
 */
export function compileScaling(rawMin: number, rawMax: number, engMin: number, engMax: number): Parsed<ValueConversion> {
  for (const [name, v] of [['raw min', rawMin], ['raw max', rawMax], ['engineering min', engMin], ['engineering max', engMax]] as const) {
    if (typeof v !== 'number' || !Number.isFinite(v)) return { ok: false, reason: `scaling ${name} must be a finite number, got ${String(v)}` };
  }
  if (rawMin === rawMax) return { ok: false, reason: `scaling raw min and raw max are both ${rawMin}; the raw range must not be empty` };
  const gain = (engMax - engMin) / (rawMax - rawMin);
  if (!Number.isFinite(gain)) return { ok: false, reason: 'scaling ranges are too far apart to compute a finite gain' };
  return { ok: true, value: (v) => engMin + (v - rawMin) * gain };
}

/** One declared conversion as the editor stores it (numbers may arrive as text). */
export interface SignalConversionRule {
  signal: string;
  kind: 'unit' | 'scale';
  from?: string;
  to?: string;
  rawMin?: number | string;
  rawMax?: number | string;
  engMin?: number | string;
  engMax?: number | string;
}

/** Applies the declared conversions to a signals object; other signals and non-numbers pass through unchanged. */
export type SignalConverter = (signals: Readonly<Record<string, unknown>>) => Record<string, unknown>;

function toFiniteNumber(raw: unknown): number {
  if (typeof raw === 'number') return raw;
  if (typeof raw === 'string' && raw.trim() !== '') return Number(raw);
  return Number.NaN;
}

function compileRule(rule: unknown, index: number): Parsed<{ signal: string; convert: ValueConversion }> {
  if (typeof rule !== 'object' || rule === null) return { ok: false, reason: `conversion ${index + 1} is not an object` };
  const r = rule as Record<string, unknown>;
  const signal = typeof r.signal === 'string' ? r.signal.trim() : '';
  if (signal === '') return { ok: false, reason: `conversion ${index + 1} names no signal` };
  let compiled: Parsed<ValueConversion>;
  if (r.kind === 'scale') {
    compiled = compileScaling(toFiniteNumber(r.rawMin), toFiniteNumber(r.rawMax), toFiniteNumber(r.engMin), toFiniteNumber(r.engMax));
  } else if (r.kind === 'unit' || r.kind === undefined) {
    compiled = compileUnitConversion(typeof r.from === 'string' ? r.from : '', typeof r.to === 'string' ? r.to : '');
  } else {
    return { ok: false, reason: `conversion for ${signal}: kind must be "unit" or "scale", got ${typeof r.kind === 'string' ? r.kind.slice(0, 20) : typeof r.kind}` };
  }
  if (!compiled.ok) return { ok: false, reason: `conversion for ${signal}: ${compiled.reason}` };
  return { ok: true, value: { signal, convert: compiled.value } };
}

/**
 * Compiles a list of per-signal conversions (as saved by the editor) once, at deploy. A signal may be declared once;
 * to scale raw counts into another unit, scale straight to the unit wanted.
 *
 * @returns `ok: false` with the first problem found, so the node can refuse to start with that sentence
 */
export function compileSignalConversions(rules: unknown): Parsed<SignalConverter> {
  if (rules === undefined || rules === null || rules === '') return { ok: true, value: (signals) => ({ ...signals }) };
  if (!Array.isArray(rules)) return { ok: false, reason: 'conversions must be a list' };
  const byName = new Map<string, ValueConversion>();
  for (const [i, rule] of rules.entries()) {
    const compiled = compileRule(rule, i);
    if (!compiled.ok) return compiled;
    if (byName.has(compiled.value.signal)) {
      return { ok: false, reason: `signal ${compiled.value.signal} has more than one conversion; declare one per signal` };
    }
    byName.set(compiled.value.signal, compiled.value.convert);
  }
  return {
    ok: true,
    value: (signals) => {
      const out: Record<string, unknown> = { ...signals };
      for (const [name, convert] of byName) {
        const value = out[name];
        // Non-numbers are left for telemetry validation to refuse with its own reason.
        if (typeof value === 'number' && Object.hasOwn(out, name)) out[name] = convert(value);
      }
      return out;
    },
  };
}

/**
 * A remaining life as people read it in a status line: whole units, but minutes or seconds of two hours or more in
 * hours with one decimal ("4.0 h", not "241 minutes"), as the plant dashboards show them. Other units (cycles,
 * hours) stay as they are.
 */
export function readableLife(rul: number, unit: string): { rul: string; unit: string } {
  const perHour = unit === 'minutes' ? 60 : unit === 'seconds' ? 3600 : undefined;
  if (perHour !== undefined && rul >= 2 * perHour) return { rul: (rul / perHour).toFixed(1), unit: 'h' };
  return { rul: String(Math.round(rul)), unit };
}
