/**
 * First-order thermal model of an electric motor's winding: the copper loss grows with the square of the current,
 * the iron loss is constant while the motor runs, and the winding settles at T∞ = T_ambient + P_loss·R_th with time
 * constant τ = R_th·C (IEC 60034-1 thermal classes set the limits; the single-body model is the one used by
 * motor protection relays' thermal image, e.g. IEC 60255-149).
 *
 * One code path for the model, the simulator and what-if, like the pump in centrifugal-pump.ts.
 */
import { stepFirstOrder } from './first-order.js';

export interface MotorThermalParameters {
  /** Rated (nameplate) current (A). */
  ratedCurrentA: number;
  /** Copper (I²R) loss at rated current (W). */
  ratedCopperLossW: number;
  /** Iron and friction loss while running, independent of load (W). */
  ironLossW: number;
  /** Thermal resistance winding → ambient (K/W). */
  thermalResistance: number;
  /** Thermal capacity of winding and stator (J/K). */
  heatCapacity: number;
  /** Ambient (cooling air) temperature (°C), used when no ambient signal is measured. */
  ambientTempC: number;
}

/** A 30 kW-class motor: about 80 K rise at rated current (thermal class F has 105 K), τ = 40 min. */
export const DEFAULT_MOTOR: Readonly<MotorThermalParameters> = Object.freeze({
  ratedCurrentA: 55,
  ratedCopperLossW: 1200,
  ironLossW: 400,
  thermalResistance: 0.05,
  heatCapacity: 48_000,
  ambientTempC: 25,
});

/** Losses heating the winding at a current (W): P = P_iron + P_cu,rated·(I/I_rated)²; no loss when the motor stands. */
export function motorLoss(p: MotorThermalParameters, currentA: number): number {
  if (!(currentA > 0)) return 0;
  const load = currentA / p.ratedCurrentA;
  return p.ironLossW + p.ratedCopperLossW * load * load;
}

/** Winding temperature at which the motor settles if this current and ambient are held (°C). */
export function steadyWindingTemperature(p: MotorThermalParameters, currentA: number, ambientTempC = p.ambientTempC): number {
  return ambientTempC + motorLoss(p, currentA) * p.thermalResistance;
}

/** Advances the winding temperature by `dtSeconds` at a constant current and ambient (exact first-order step). */
export function stepWindingTemperature(p: MotorThermalParameters, tempC: number, currentA: number, dtSeconds: number, ambientTempC = p.ambientTempC): number {
  return stepFirstOrder(tempC, steadyWindingTemperature(p, currentA, ambientTempC), dtSeconds, p.thermalResistance * p.heatCapacity);
}
