/**
 * Descriptive statistics and condition indicators over a window of readings, written out so each formula can be
 * read and checked (the tests compare them with simple-statistics, an independent implementation).
 * One concept per function; every function refuses an input it cannot give a meaningful answer for.
 */

function requireValues(values: ArrayLike<number>, min: number, what: string): void {
  if (values.length < min) throw new Error(`${what} requires at least ${min} value${min === 1 ? '' : 's'}, got ${values.length}`);
}

/**
 * Arithmetic mean x̄ = Σx / n.
 * @throws when `values` is empty
 * @example mean([1, 2, 3]) // 2
 */
export function mean(values: ArrayLike<number>): number {
  requireValues(values, 1, 'mean');
  let sum = 0;
  for (let i = 0; i < values.length; i++) sum += values[i]!;
  return sum / values.length;
}

/**
 * Population variance σ² = Σ(x − x̄)² / n (the window is the whole population of interest, as for an indicator).
 * Two-pass, so a large offset (a temperature near 50 °C with millikelvin noise) loses no precision.
 * @throws when `values` is empty
 * @example variance([1, 2, 3, 4]) // 1.25
 */
export function variance(values: ArrayLike<number>): number {
  const m = mean(values);
  let sum = 0;
  for (let i = 0; i < values.length; i++) sum += (values[i]! - m) * (values[i]! - m);
  return sum / values.length;
}

/**
 * Population standard deviation σ = √variance.
 * @example standardDeviation([2, 4, 4, 4, 5, 5, 7, 9]) // 2
 */
export function standardDeviation(values: ArrayLike<number>): number {
  return Math.sqrt(variance(values));
}

/**
 * Sample standard deviation s = √(Σ(x − x̄)² / (n − 1)), with Bessel's correction for estimating the spread of a
 * population from a sample (MATLAB's `std`).
 * @throws when fewer than two values are given
 * @example sampleStandardDeviation([2, 4, 4, 4, 5, 5, 7, 9]) // ≈ 2.138
 */
export function sampleStandardDeviation(values: ArrayLike<number>): number {
  requireValues(values, 2, 'sampleStandardDeviation');
  return Math.sqrt((variance(values) * values.length) / (values.length - 1));
}

/**
 * Root mean square √(Σx² / n): the energy of a signal, e.g. vibration velocity per ISO 10816.
 * @example rootMeanSquare([3, -3, 3, -3]) // 3
 */
export function rootMeanSquare(values: ArrayLike<number>): number {
  requireValues(values, 1, 'rootMeanSquare');
  let sum = 0;
  for (let i = 0; i < values.length; i++) sum += values[i]! * values[i]!;
  return Math.sqrt(sum / values.length);
}

/**
 * Kurtosis m₄ / m₂² (population moments, not excess: a Gaussian gives 3), as MATLAB's `kurtosis` and the Predictive
 * Maintenance Toolbox's signal features define it. Impacts from a bearing defect make it rise above 3.
 * @throws when fewer than two values are given or all values are equal (the ratio is undefined)
 * @example kurtosis([1, 2, 3, 4, 5]) // 1.7
 */
export function kurtosis(values: ArrayLike<number>): number {
  requireValues(values, 2, 'kurtosis');
  const m = mean(values);
  let m2 = 0;
  let m4 = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    const d2 = (v - m) * (v - m);
    m2 += d2;
    m4 += d2 * d2;
  }
  m2 /= values.length;
  m4 /= values.length;
  if (m2 === 0) throw new Error('kurtosis is undefined when all values are equal');
  return m4 / (m2 * m2);
}

/**
 * Crest factor max|x| / RMS: how peaky a signal is (√2 for a sine, rises with impacts).
 * @throws when the RMS is zero
 * @example crestFactor([1, -1, 1, -1]) // 1
 */
export function crestFactor(values: ArrayLike<number>): number {
  const rms = rootMeanSquare(values);
  if (rms === 0) throw new Error('crestFactor is undefined for an all-zero signal');
  let peak = 0;
  for (let i = 0; i < values.length; i++) peak = Math.max(peak, Math.abs(values[i]!));
  return peak / rms;
}

/**
 * Least-squares slope of y over x: Σ(x − x̄)(y − ȳ) / Σ(x − x̄)² (units of y per unit of x).
 * @throws when the lengths differ, fewer than two points are given, or all x are equal
 * @example slope([0, 1, 2], [1, 3, 5]) // 2
 */
export function slope(x: ArrayLike<number>, y: ArrayLike<number>): number {
  if (x.length !== y.length) throw new Error(`slope needs as many x as y values, got ${x.length} and ${y.length}`);
  requireValues(x, 2, 'slope');
  const mx = mean(x);
  const my = mean(y);
  let sxy = 0;
  let sxx = 0;
  for (let i = 0; i < x.length; i++) {
    sxy += (x[i]! - mx) * (y[i]! - my);
    sxx += (x[i]! - mx) * (x[i]! - mx);
  }
  if (sxx === 0) throw new Error('slope is undefined when all x values are equal');
  return sxy / sxx;
}

/**
 * True when a series' spread is rounding noise: Σ(x − x̄)² at the level of double precision relative to its mean.
 * (A constant 518.67 K averages to 518.6700000000001, and correlating the rounding errors would give ±1.)
 */
function isFlat(sumOfSquares: number, centre: number, n: number): boolean {
  const resolution = 1e-12 * Math.max(1, Math.abs(centre));
  return sumOfSquares <= n * resolution * resolution;
}

/**
 * Pearson correlation coefficient r = Σ(x − x̄)(y − ȳ) / √(Σ(x − x̄)²·Σ(y − ȳ)²), in [−1, 1].
 * Returns 0 when either series is constant: a flat signal carries no trend, which is what the feature ranking needs.
 * @throws when the lengths differ or fewer than two points are given
 * @example correlation([1, 2, 3], [2, 4, 7]) // ≈ 0.9934
 */
export function correlation(x: ArrayLike<number>, y: ArrayLike<number>): number {
  if (x.length !== y.length) throw new Error(`correlation needs series of equal length, got ${x.length} and ${y.length}`);
  requireValues(x, 2, 'correlation');
  const mx = mean(x);
  const my = mean(y);
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (let i = 0; i < x.length; i++) {
    const dx = x[i]! - mx;
    const dy = y[i]! - my;
    sxy += dx * dy;
    sxx += dx * dx;
    syy += dy * dy;
  }
  if (isFlat(sxx, mx, x.length) || isFlat(syy, my, y.length)) return 0;
  return Math.max(-1, Math.min(1, sxy / Math.sqrt(sxx * syy)));
}

/**
 * Trailing moving average over `window` points (the first points average what is there so far). Smoothing before
 * ranking prognostic features follows the Predictive Maintenance Toolbox examples, where raw cycle data is too noisy.
 * @throws when `window` is not a whole number ≥ 1
 * @example movingAverage([1, 2, 3, 4], 2) // [1, 1.5, 2.5, 3.5]
 */
export function movingAverage(values: readonly number[], window: number): number[] {
  if (!Number.isInteger(window) || window < 1) throw new Error(`moving average window must be a whole number ≥ 1, got ${window}`);
  const out: number[] = [];
  let sum = 0;
  for (let i = 0; i < values.length; i++) {
    sum += values[i]!;
    if (i >= window) sum -= values[i - window]!;
    out.push(sum / Math.min(i + 1, window));
  }
  return out;
}

/**
 * Resamples a series to `length` points spread evenly over its span, by linear interpolation: run-to-failure
 * histories of different lengths become comparable point by point (fraction of life).
 * @throws when the series is empty or `length` < 2
 * @example resample([0, 10], 3) // [0, 5, 10]
 */
export function resample(values: readonly number[], length: number): number[] {
  requireValues(values, 1, 'resample');
  if (!Number.isInteger(length) || length < 2) throw new Error(`resample length must be a whole number ≥ 2, got ${length}`);
  if (values.length === 1) return new Array<number>(length).fill(values[0]!);
  const out: number[] = [];
  const last = values.length - 1;
  for (let i = 0; i < length; i++) {
    const position = (i * last) / (length - 1);
    const lower = Math.floor(position);
    const upper = Math.min(last, lower + 1);
    const fraction = position - lower;
    out.push(values[lower]! * (1 - fraction) + values[upper]! * fraction);
  }
  return out;
}
