/**
 * How fast a pump bearing wears under given operating conditions, and how long it has left: the wear law what-if
 * uses to turn "run faster" or "a hotter summer" into "so many hours less".
 *
 * Wear shows in the twin as rising bearing friction μ (twin-model estimates it online). Its growth is taken as
 *
 *   dμ/dt = g · μ_nominal · (n / n_ref) · 2^((T − T_ref) / K)
 *
 * where g is the growth the asset shows now (fraction of nominal friction per hour at its reference conditions
 * n_ref, T_ref), linear in speed because a rolling bearing's life in hours is inversely proportional to its speed at
 * a given load (ISO 281: L10h = 10⁶/(60·n)·(C/P)^p), and doubling every K kelvin because lubricant life halves for
 * every 10–15 K rise in bearing temperature (the Arrhenius rule of thumb bearing makers publish; K = 15 by default).
 *
 * The bearing fails (trips) when its temperature reaches the limit. Beyond a simulated horizon the bearing is taken
 * at its steady temperature T(μ) = T_a + R·h(n)·μ (its thermal time constant is minutes; wear takes hours), which
 * makes the growth law dμ/dt = a·e^(c·μ) with a closed-form time to failure:
 *
 *   t = (e^(−c·μ₀) − e^(−c·μ_fail)) / (a·c),   c = R·h(n)·ln 2 / K,   a = g·μ_nom·(n/n_ref)·2^((T_a − T_ref)/K)
 *
 * and t = (μ_fail − μ₀)/a when temperature does not speed up wear (K = ∞).
 */
import { NOMINAL_BEARING_FRICTION, bearingHeatPerFriction, type PumpParameters } from '../centrifugal-pump.js';

export interface BearingWear {
  /** Friction growth at the reference conditions, as a fraction of nominal friction per hour (0.05 = +5 %/h). */
  growthPerHour: number;
  /** Speed at which `growthPerHour` holds (rpm). */
  referenceSpeedRpm: number;
  /** Bearing temperature at which `growthPerHour` holds (°C). */
  referenceTempC: number;
  /** Temperature rise that doubles the wear rate (K); Infinity switches the temperature effect off. */
  doublingK: number;
  /** Bearing temperature at which the pump trips: the end of its useful life (°C). */
  limitC: number;
}

/** Longest remaining life the what-if reports (hours): about eleven years. A flat trend would otherwise mean "never". */
export const MAX_RUL_HOURS = 100_000;

/** Friction growth (friction units per hour) at a speed and bearing temperature. */
export function frictionGrowthRate(wear: BearingWear, speedRpm: number, bearingTempC: number): number {
  if (speedRpm <= 0 || wear.referenceSpeedRpm <= 0) return 0;
  // Past the trip limit the bearing has failed: the law is not extrapolated there (it would run away to infinity).
  const temp = Math.min(bearingTempC, wear.limitC);
  const temperatureFactor = Number.isFinite(wear.doublingK) ? Math.pow(2, (temp - wear.referenceTempC) / wear.doublingK) : 1;
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
  const growthAtAmbient = frictionGrowthRate(wear, speedRpm, p.ambientTempC);
  if (!(growthAtAmbient > 0) || !Number.isFinite(fail)) return MAX_RUL_HOURS;
  let hours: number;
  if (Number.isFinite(wear.doublingK)) {
    const c = (bearingHeatPerFriction(p, speedRpm) * p.bearingThermalResistance * Math.LN2) / wear.doublingK;
    // e^(−cμ₀) − e^(−cμ_fail) loses digits when c·(μ_fail − μ₀) is small: expm1 keeps them.
    hours = (-Math.exp(-c * friction) * Math.expm1(-c * (fail - friction))) / (growthAtAmbient * c);
  } else {
    hours = (fail - friction) / growthAtAmbient;
  }
  return Math.min(MAX_RUL_HOURS, hours);
}
