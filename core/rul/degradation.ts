/**
 * Degradation models on the health indicator, with Bayesian updating of their parameters (as MATLAB's
 * linearDegradationModel / exponentialDegradationModel do).
 *
 * The degradation signal is D = 1 − health. The linear model says D(t) = a + b·t + noise; the exponential model
 * says D(t) = φ + exp(a + b·t + noise), i.e. log(D − φ) is linear in t. Either way the unknowns (a, b) get a Gaussian
 * prior from the fleet (one least-squares fit per run-to-failure history: their mean and covariance), and each
 * asset's own history updates them by conjugate Bayesian linear regression. The asset fails when D crosses the
 * fleet's failure threshold (the mean D at failure); the remaining life's distribution comes from samples of the
 * posterior (a seeded generator: the same history always gives the same estimate).
 */
import { SeededRandom } from '../random.js';
import { estimateFromSamples, type RulEstimate } from './distribution.js';

export type DegradationShape = 'linear' | 'exponential';

export interface DegradationModel {
  shape: DegradationShape;
  /** Offset φ of the exponential model: the healthy baseline of D (0 for linear). */
  offset: number;
  /** D at which the degrading phase starts (fleet mean); an asset's readings below it do not update the model. */
  onset: number;
  /** Failure threshold on D: the fleet's mean D at failure, and its spread from engine to engine. */
  threshold: number;
  thresholdSpread: number;
  /** Prior mean and covariance of (a, b). */
  priorMean: [number, number];
  priorCovariance: [number, number, number];
  /** Variance of the noise around the model, from the fleet's residuals. */
  noiseVariance: number;
  /** Longest remaining life the model reports (a flat trend would otherwise mean "never"). */
  maxRul: number;
}

const SAMPLES = 400;
const SEED = 20081;

/** The value the model is linear in. */
function transform(shape: DegradationShape, offset: number, d: number): number {
  return shape === 'linear' ? d : Math.log(Math.max(1e-4, d - offset));
}

interface LineFit {
  a: number;
  b: number;
  residualVariance: number;
}

/** Least-squares line through the points (t[i], y[i]). */
function fitLine(t: ArrayLike<number>, y: ArrayLike<number>): LineFit {
  const n = y.length;
  let st = 0;
  let sy = 0;
  let stt = 0;
  let sty = 0;
  for (let i = 0; i < n; i++) {
    st += t[i]!;
    sy += y[i]!;
    stt += t[i]! * t[i]!;
    sty += t[i]! * y[i]!;
  }
  const denominator = n * stt - st * st;
  const b = denominator > 0 ? (n * sty - st * sy) / denominator : 0;
  const a = (sy - b * st) / Math.max(1, n);
  let r = 0;
  for (let i = 0; i < n; i++) r += (y[i]! - a - b * t[i]!) ** 2;
  return { a, b, residualVariance: r / Math.max(1, n - 2) };
}

function meanAndSpread(values: number[]): [number, number] {
  const mean = values.reduce((s, v) => s + v, 0) / Math.max(1, values.length);
  const variance = values.reduce((s, v) => s + (v - mean) ** 2, 0) / Math.max(1, values.length - 1);
  return [mean, Math.sqrt(variance)];
}

/**
 * Fits the prior, noise, onset and threshold from the health trajectories of run-to-failure histories.
 * Cycles more than `phase` cycles before failure are the healthy baseline; the degrading phase starts where D
 * rises three standard deviations above it, and only readings past that onset inform the lines (the flat healthy
 * stretch says nothing about how fast an asset wears out once it has started to). `phase` is the learning target cap
 * of the model (the health indicator is 1 before the last `phase` cycles).
 */
export function fitDegradation(shape: DegradationShape, trajectories: ArrayLike<number>[], phase = 125): DegradationModel {
  const degradation = trajectories.map((h) => Array.from(h, (v) => 1 - v));
  const healthy = degradation.flatMap((d) => d.slice(0, Math.max(0, d.length - phase)));
  const [baseline, noise] = meanAndSpread(healthy.length > 1 ? healthy : degradation.map((d) => d[0]!));
  const offset = shape === 'linear' ? 0 : baseline;
  const onset = baseline + 3 * noise;
  const [threshold, thresholdSpread] = meanAndSpread(degradation.map((d) => d[d.length - 1]!));
  const fits: LineFit[] = [];
  for (const d of degradation) {
    const t: number[] = [];
    const y: number[] = [];
    d.forEach((v, i) => {
      if (v >= onset) {
        t.push(i + 1);
        y.push(transform(shape, offset, v));
      }
    });
    if (y.length >= 3) fits.push(fitLine(t, y));
  }
  if (fits.length < 2) throw new Error('too few histories degrade beyond their healthy level to fit a degradation model');
  const meanA = fits.reduce((s, f) => s + f.a, 0) / fits.length;
  const meanB = fits.reduce((s, f) => s + f.b, 0) / fits.length;
  const cov = (x: (f: LineFit) => number, mx: number, y: (f: LineFit) => number, my: number) =>
    fits.reduce((s, f) => s + (x(f) - mx) * (y(f) - my), 0) / Math.max(1, fits.length - 1);
  const longest = Math.max(...degradation.map((d) => d.length));
  return {
    shape,
    offset,
    onset,
    threshold,
    thresholdSpread,
    priorMean: [meanA, meanB],
    priorCovariance: [cov((f) => f.a, meanA, (f) => f.a, meanA), cov((f) => f.a, meanA, (f) => f.b, meanB), cov((f) => f.b, meanB, (f) => f.b, meanB)],
    // Neighbouring readings of a smoothed indicator are far from independent: counting each as new evidence would
    // let a few noisy cycles overrule the fleet. About one independent reading per ten cycles.
    noiseVariance: (10 * fits.reduce((s, f) => s + f.residualVariance, 0)) / fits.length,
    maxRul: 2 * longest,
  };
}

/** Posterior mean and covariance [aa, ab, bb] of (a, b) after seeing an asset's health trajectory. */
export function posterior(model: DegradationModel, health: ArrayLike<number>): { mean: [number, number]; covariance: [number, number, number] } {
  const [paa, pab, pbb] = invert2(model.priorCovariance);
  let xx00 = 0;
  let xx01 = 0;
  let xx11 = 0;
  let xy0 = 0;
  let xy1 = 0;
  for (let i = 0; i < health.length; i++) {
    const d = 1 - health[i]!;
    if (d < model.onset) continue;
    const t = i + 1;
    const y = transform(model.shape, model.offset, d);
    xx00 += 1;
    xx01 += t;
    xx11 += t * t;
    xy0 += y;
    xy1 += t * y;
  }
  const s2 = model.noiseVariance;
  const precision: [number, number, number] = [paa + xx00 / s2, pab + xx01 / s2, pbb + xx11 / s2];
  const covariance = invert2(precision);
  const r0 = paa * model.priorMean[0] + pab * model.priorMean[1] + xy0 / s2;
  const r1 = pab * model.priorMean[0] + pbb * model.priorMean[1] + xy1 / s2;
  return { mean: [covariance[0] * r0 + covariance[1] * r1, covariance[1] * r0 + covariance[2] * r1], covariance };
}

function invert2([a, b, d]: [number, number, number]): [number, number, number] {
  const det = a * d - b * b;
  const safe = Math.abs(det) < 1e-300 ? 1e-300 : det;
  return [d / safe, -b / safe, a / safe];
}

/** Remaining life of an asset whose health trajectory (one value per cycle since new) is given. */
export function predictDegradation(model: DegradationModel, health: ArrayLike<number>, horizon: number): RulEstimate {
  const { mean, covariance } = posterior(model, health);
  // Cholesky of the 2×2 covariance, to draw correlated (a, b).
  const l00 = Math.sqrt(Math.max(0, covariance[0]));
  const l10 = l00 > 0 ? covariance[1] / l00 : 0;
  const l11 = Math.sqrt(Math.max(0, covariance[2] - l10 * l10));
  const now = health.length;
  const random = new SeededRandom(SEED);
  const samples: number[] = [];
  for (let k = 0; k < SAMPLES; k++) {
    const g0 = random.gaussian();
    const g1 = random.gaussian();
    const a = mean[0] + l00 * g0;
    const b = mean[1] + l10 * g0 + l11 * g1;
    // Engines fail at different levels of D: the threshold is drawn too.
    const limit = transform(model.shape, model.offset, Math.max(model.onset, model.threshold + model.thresholdSpread * random.gaussian()));
    const crossing = b > 0 ? (limit - a) / b : Infinity;
    samples.push(Math.min(model.maxRul, Math.max(0, crossing - now)));
  }
  return estimateFromSamples(samples, horizon, model.maxRul);
}
