/**
 * How fast a pump bearing wears under given operating conditions, and how long it has left: the wear law what-if
 * uses to turn "run faster" or "a hotter summer" into "so many hours less".
 *
 * Wear shows in the twin as rising bearing friction μ (twin-model estimates it online). Its growth is taken as
 *
 *   dμ/dt = g · μ_nominal · (n / n_ref) · 2^((T − T_normal(μ)) / K)
 *
 * where g is the growth of a normal life at the reference conditions n_ref, T_a,ref (fraction of nominal friction per
 * hour: the demo's pumps and the RUL training lives wear 5 %/h of new, linearly, from new to failure), linear in speed
 * because a rolling bearing's life in hours is inversely proportional to its speed at a given load (ISO 281:
 * L10h = 10⁶/(60·n)·(C/P)^p), and doubling for every K kelvin the bearing runs hotter than it would at the same wear
 * under the reference conditions, T_normal(μ) = T_a,ref + R·h(n_ref)·μ, because lubricant life halves for every
 * 10–15 K rise (the Arrhenius rule of thumb bearing makers publish; K = 15 by default).
 *
 * Only that excess speeds wear up, not the warming wear itself brings: a bearing warms from about 53 °C new to the
 * 90 °C trip as its friction rises, and that warming is part of the normal life g was measured over. Counting it again
 * (a factor 2^(37/15) ≈ 5.5 by the end of life) gave a new bearing 12.7 h instead of the 26 h it runs.
 *
 * The bearing fails (trips) when its temperature reaches the limit. Beyond a simulated horizon the bearing is taken
 * at its steady temperature T(μ) = T_a + R·h(n)·μ (its thermal time constant is minutes; wear takes hours), so the
 * excess is (T_a − T_a,ref) + R·(h(n) − h(n_ref))·μ and the growth law is dμ/dt = a·e^(c·μ), with a closed-form time
 * to failure:
 *
 *   t = (e^(−c·μ₀) − e^(−c·μ_fail)) / (a·c),   c = R·(h(n) − h(n_ref))·ln 2 / K,   a = g·μ_nom·(n/n_ref)·2^((T_a − T_a,ref)/K)
 *
 * and t = (μ_fail − μ₀)/a when c = 0 (the reference speed, or K = ∞: temperature does not speed up wear).
 */
import { NOMINAL_BEARING_FRICTION, bearingHeatPerFriction, type PumpParameters } from '../centrifugal-pump.js';

export interface BearingWear {
  /** Friction growth of a normal life at the reference conditions, as a fraction of nominal friction per hour (0.05 = +5 %/h). */
  growthPerHour: number;
  /** Speed at which `growthPerHour` holds (rpm). */
  referenceSpeedRpm: number;
  /** Ambient temperature at which `growthPerHour` holds (°C). */
  referenceAmbientC: number;
  /** Temperature rise above normal that doubles the wear rate (K); Infinity switches the temperature effect off. */
  doublingK: number;
  /** Bearing temperature at which the pump trips: the end of its useful life (°C). */
  limitC: number;
}

/** Longest remaining life the what-if reports (hours): about eleven years. A flat trend would otherwise mean "never". */
export const MAX_RUL_HOURS = 100_000;

/** Temperature of a bearing with friction `friction` under the reference conditions: the normal course of its life (°C). */
function normalTemperature(p: PumpParameters, wear: BearingWear, friction: number): number {
  return wear.referenceAmbientC + bearingHeatPerFriction(p, wear.referenceSpeedRpm) * p.bearingThermalResistance * friction;
}

/**
 * Friction growth (friction units per hour) of the bearing of `p` (its friction and thermal resistance) at a speed
 * and bearing temperature.
 */
export function frictionGrowthRate(p: PumpParameters, wear: BearingWear, speedRpm: number, bearingTempC: number): number {
  if (speedRpm <= 0 || wear.referenceSpeedRpm <= 0) return 0;
  // Past the trip limit the bearing has failed: the law is not extrapolated there (it would run away to infinity).
  const excess = Math.min(bearingTempC, wear.limitC) - normalTemperature(p, wear, p.bearingFriction);
  const temperatureFactor = Number.isFinite(wear.doublingK) ? Math.pow(2, excess / wear.doublingK) : 1;
  return wear.growthPerHour * NOMINAL_BEARING_FRICTION * (speedRpm / wear.referenceSpeedRpm) * temperatureFactor;
}

/** The friction at which the bearing, held at this speed, settles exactly at its temperature limit. */
export function failureFriction(p: PumpParameters, wear: BearingWear, speedRpm: number): number {
  const heat = bearingHeatPerFriction(p, speedRpm) * p.bearingThermalResistance;
  return heat > 0 ? (wear.limitC - p.ambientTempC) / heat : Infinity;
}

/**
 * Hours until the bearing reaches its temperature limit if the pump is held at `speedRpm` from friction `friction`
 * on (the parameters' ambient temperature), by the closed form above; 0 when it is already there; capped at
 * MAX_RUL_HOURS.
 */
export function remainingLifeHours(p: PumpParameters, wear: BearingWear, speedRpm: number, friction: number): number {
  const fail = failureFriction(p, wear, speedRpm);
  if (friction >= fail) return 0;
  // a: the growth at zero friction, where only the ambient temperature differs from normal.
  const growthAtZeroFriction = frictionGrowthRate({ ...p, bearingFriction: 0 }, wear, speedRpm, p.ambientTempC);
  if (!(growthAtZeroFriction > 0) || !Number.isFinite(fail)) return MAX_RUL_HOURS;
  const c = Number.isFinite(wear.doublingK)
    ? ((bearingHeatPerFriction(p, speedRpm) - bearingHeatPerFriction(p, wear.referenceSpeedRpm)) * p.bearingThermalResistance * Math.LN2) / wear.doublingK
    : 0;
  // e^(−cμ₀) − e^(−cμ_fail) loses digits when c·(μ_fail − μ₀) is small: expm1 keeps them.
  const hours = c !== 0 ? (-Math.exp(-c * friction) * Math.expm1(-c * (fail - friction))) / (growthAtZeroFriction * c) : (fail - friction) / growthAtZeroFriction;
  return Math.min(MAX_RUL_HOURS, hours);
}
