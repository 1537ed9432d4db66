/**
 * Online estimate of the bearing friction coefficient μ from bearing temperature and speed, so the twin follows a
 * bearing that wears (the seed's "increased friction in Bearing A").
 *
 * The bearing heat balance of centrifugal-pump.ts over one step of length dt, with speed held, is exactly
 *   T₊ − Tₐ = a·(T − Tₐ) + (1 − a)·R·μ·F·(d/2)·ω,     a = e^(−dt/τ)
 * which is linear in μ: y = φ·θ with
 *   y = (T₊ − Tₐ) − a·(T − Tₐ),   φ = (1 − a)·R·F·(d/2)·ω·μ_ref,   θ = μ / μ_ref.
 * Recursive least squares with forgetting estimates θ; working in μ/μ_ref keeps the numbers near 1.
 * Measurement noise of T enters y only (not φ), so the estimate has no errors-in-variables bias.
 *
 * A second, optional estimate: the hydraulic efficiency factor k = η_actual / η_curve from power, flow and pressure:
 *   η_motor·P_el − P_bearing = (Q·Δp) / (k·η_curve)  ⇒  y = η_motor·P_el − P_bearing,  φ = Q·Δp / η_curve,  θ = 1/k.
 */
import {
  bearingHeatPerFriction,
  bearingTimeConstant,
  hydraulicEfficiency,
  type PumpParameters,
} from '../centrifugal-pump.js';
import { RecursiveLeastSquares } from './recursive-least-squares.js';

export interface PumpEstimatorOptions {
  /** RLS forgetting factor λ (default 0.98: a memory of ~50 updates). */
  forgetting?: number;
  /** Simulated seconds per second of telemetry time (default 1), as for the model. */
  timeScale?: number;
}

/** What the estimator knows now. */
export interface PumpEstimates {
  /** Estimated bearing friction coefficient μ. */
  bearingFriction: number;
  /** μ / μ_reference: 1.5 means 50 % more friction than the healthy reference. */
  bearingFrictionRatio: number;
  /** Estimated hydraulic efficiency at best efficiency point, when power, flow and pressure are measured. */
  peakEfficiency?: number;
  /** Bearing friction updates taken so far. */
  samples: number;
}

/** Steps shorter than this fraction of τ carry too little heat change to tell friction from noise. */
const MIN_STEP_FRACTION = 0.005;

export class PumpParameterEstimator {
  private readonly friction: RecursiveLeastSquares;
  private readonly efficiency: RecursiveLeastSquares;
  private readonly timeScale: number;
  private previous: { ts: number; tempC: number } | undefined;
  private samples = 0;
  private efficiencySamples = 0;

  constructor(private readonly reference: Readonly<PumpParameters>, options: PumpEstimatorOptions = {}) {
    const forgetting = options.forgetting ?? 0.98;
    this.timeScale = options.timeScale ?? 1;
    if (!(this.timeScale > 0)) throw new Error(`time scale must be positive, got ${this.timeScale}`);
    this.friction = new RecursiveLeastSquares([1], forgetting, 1);
    this.efficiency = new RecursiveLeastSquares([1], forgetting, 1);
  }

  /**
   * Takes one update (telemetry time `ts` in ms and measured signals: speed, bearingTemp; power, flow and pressure
   * for the efficiency). Updates without the signals it needs are skipped.
   */
  update(ts: number, measured: Readonly<Record<string, number>>): PumpEstimates {
    this.updateFriction(ts, measured.speed, measured.bearingTemp);
    this.updateEfficiency(measured);
    return this.estimates;
  }

  get estimates(): PumpEstimates {
    const ratio = this.friction.estimate[0]!;
    const out: PumpEstimates = { bearingFriction: ratio * this.reference.bearingFriction, bearingFrictionRatio: ratio, samples: this.samples };
    if (this.efficiencySamples > 0) out.peakEfficiency = this.reference.peakEfficiency / this.efficiency.estimate[0]!;
    return out;
  }

  private updateFriction(ts: number, speedRpm: number | undefined, tempC: number | undefined): void {
    if (!Number.isFinite(speedRpm) || !Number.isFinite(tempC)) return;
    const previous = this.previous;
    this.previous = { ts, tempC: tempC! };
    if (previous === undefined) return;
    const p = this.reference;
    const dt = (Math.max(0, ts - previous.ts) / 1000) * this.timeScale;
    const tau = bearingTimeConstant(p);
    if (dt < MIN_STEP_FRACTION * tau || !(speedRpm! > 0)) return;
    const a = Math.exp(-dt / tau);
    const y = tempC! - p.ambientTempC - a * (previous.tempC - p.ambientTempC);
    const phi = (1 - a) * p.bearingThermalResistance * bearingHeatPerFriction(p, speedRpm!) * p.bearingFriction;
    this.friction.update([phi], y);
    this.samples++;
  }

  private updateEfficiency(m: Readonly<Record<string, number>>): void {
    const { speed, power, flow, pressure } = m;
    if (![speed, power, flow, pressure].every((v) => Number.isFinite(v)) || !(flow! > 0) || !(speed! > 0)) return;
    const p = this.reference;
    const hydraulicW = (flow! / 3600) * pressure! * 1e5;
    const curve = hydraulicEfficiency(p, speed!, flow!);
    const bearingW = this.friction.estimate[0]! * p.bearingFriction * bearingHeatPerFriction(p, speed!);
    // Scaled by the rated hydraulic power so θ and the covariance stay near 1.
    const scale = 1 / Math.max(1, hydraulicW);
    this.efficiency.update([(hydraulicW / curve) * scale], (p.motorEfficiency * power! * 1000 - bearingW) * scale);
    this.efficiencySamples++;
  }
}
