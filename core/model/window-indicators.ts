/**
 * Condition indicators of one signal over a sliding time window, kept up to date as the window moves instead of
 * recomputed from every point of it.
 *
 * `conditionIndicators` reads every point of the window on every update, so its cost grows with the sampling rate:
 * a 60-minute window holds 60 one-minute readings but 3,600 one-second ones (measured: 12 µs against 180 µs per
 * pump-model update). Here each update reads only the points that arrived since the last one and forgets the points
 * that left the window, so an update costs about the same whatever the window holds.
 *
 * The window follows a history that only grows at its newest end and loses points at its oldest end (a twin store's
 * ring buffer). Anything else (a late reading inserted among stored ones, a replaced point, a reset) shows as a new
 * layout revision, and the window is read again from the history. Sums of powers drift by rounding as points come
 * and go; they are rebuilt from the window's own copy of its points once as many points have left as it holds, and
 * whenever rounding could matter (variance small against the offset the sums are taken about), the indicators are
 * computed exactly, in two passes, from that copy.
 */
import { conditionIndicators, type ConditionIndicators } from './condition-indicators.js';

/** The one signal's history as the window reads it. */
export interface WindowSource {
  /** Changes whenever the history changed other than by gaining newer points or losing its oldest ones. */
  layout(): number;
  /** Time of the oldest point the history still holds (any quality); +Infinity when empty. */
  oldest(): number;
  /**
   * The usable points with `from <= ts <= to` (`from < ts` when `fromIncluded` is false), oldest first, in buffers
   * valid until the next call: the first `count` entries of `ts` and `values`. Values are kept as float32, the
   * precision of a twin store's history: a source with more digits loses them here.
   */
  usable(from: number, to: number, fromIncluded: boolean): { ts: ArrayLike<number>; values: ArrayLike<number>; count: number };
  /** Time of the newest point the history let go of (-Infinity when none), when the source knows it. */
  droppedUpTo?(): number;
}

/**
 * Past this ratio of the squared offset of the mean (from the value the sums are taken about) to the variance, the
 * fourth moment from shifted sums could lose more than about ten of float64's sixteen digits (the loss grows with
 * the fourth power of offset over spread), so the indicators are computed exactly and the sums re-centred.
 */
const CONDITION_LIMIT = 1e3;
/** The same for the RMS, whose error grows only with the square: about six digits may go. */
const RMS_CONDITION_LIMIT = 1e6;

/**
 * A point that leaves the window leaves rounding of its own size in the sums (of d², d³, d⁴). One whose squared
 * offset is more than this many times the window's mean square (about the same value) would leave noticeable
 * rounding, so its leaving rebuilds the sums: a spike, a step that left, not the noise of a healthy signal.
 */
const OUTLIER_SQUARES = 100;

/** A queue of point numbers in which the values are monotonic, so the window's maximum (or minimum) is at its head. */
class MonotonicQueue {
  private items: number[] = [];
  private head = 0;

  constructor(private readonly keeps: (newer: number, older: number) => boolean) {}

  clear(): void {
    this.items.length = 0;
    this.head = 0;
  }

  /** Adds point `seq` with `value`; points it makes irrelevant (never again the extreme) leave from the back. */
  push(seq: number, value: number, valueOf: (seq: number) => number): void {
    while (this.items.length > this.head && this.keeps(value, valueOf(this.items[this.items.length - 1]!))) this.items.pop();
    this.items.push(seq);
  }

  /** Drops point `seq` if it is the head (it left the window). */
  drop(seq: number): void {
    if (this.items.length > this.head && this.items[this.head] === seq) {
      this.head++;
      // Reclaim the consumed front now and then, so the array does not grow with the points ever seen.
      if (this.head > 1024 && this.head * 2 > this.items.length) {
        this.items.splice(0, this.head);
        this.head = 0;
      }
    }
  }

  /** The point number of the extreme, or -1 when empty. */
  first(): number {
    return this.items.length > this.head ? this.items[this.head]! : -1;
  }
}

export class WindowIndicators {
  // The window's points, oldest first, at positions start..end-1 of growable buffers. Point number `seq` (counted
  // over every point ever taken) is at position seq - base, so the extreme queues survive the buffers moving.
  // Values are kept as float32, as the twin's history keeps them (so nothing is lost): 12 bytes a point, up to twice
  // that as the buffers double, plus the extreme queues (every point, for a signal that only rises or only falls).
  private ts = new Float64Array(64);
  private values = new Float32Array(64);
  private start = 0;
  private end = 0;
  private base = 0;

  private layoutSeen = NaN;
  /** Time of the newest point taken: anything the history gains later is newer (or the layout changes). */
  private newestTaken = -Infinity;
  private lastFrom = -Infinity;
  private lastTo = -Infinity;
  /**
   * Time of the oldest point the history held at the last update when it had let go of points inside the window
   * (the window was cut short: the history is shorter than the window), else undefined.
   */
  cutShortFrom: number | undefined;

  // Sums over the window of d = value - valueShift and u = ts - timeShift, shifted to keep rounding small.
  private valueShift = 0;
  private timeShift = 0;
  private s1 = 0;
  private s2 = 0;
  private s3 = 0;
  private s4 = 0;
  private st = 0;
  private stt = 0;
  private std = 0;
  private removalsSinceRebuild = 0;

  private readonly maxima = new MonotonicQueue((newer, older) => newer >= older);
  private readonly minima = new MonotonicQueue((newer, older) => newer <= older);
  private readonly valueAt = (seq: number): number => this.values[seq - this.base]!;

  /** @param timeScale plant seconds per second of telemetry time, so the slope is per plant hour */
  constructor(private readonly timeScale = 1) {}

  /** Points in the window now. */
  get size(): number {
    return this.end - this.start;
  }

  /**
   * Indicators of the usable points with `from <= ts <= to`, the same as `conditionIndicators` over that window read
   * from `source` (to rounding), or undefined for an empty window.
   */
  update(source: WindowSource, from: number, to: number): ConditionIndicators | undefined {
    const layout = source.layout();
    const oldest = source.oldest();
    // Read here, next to `oldest`, so a model asks each history once per update whether its window was cut short.
    this.cutShortFrom = source.droppedUpTo !== undefined && source.droppedUpTo() >= from ? oldest : undefined;
    if (layout !== this.layoutSeen || from < this.lastFrom || to < this.lastTo) {
      this.reload(source, from, to);
      this.layoutSeen = layout;
    } else {
      if (to > this.newestTaken) {
        // Points older than the window are never needed, however long ago the last point was taken.
        const fresh = this.newestTaken >= from ? source.usable(this.newestTaken, to, false) : source.usable(from, to, true);
        for (let i = 0; i < fresh.count; i++) this.push(fresh.ts[i]!, fresh.values[i]!);
      }
      const cut = Math.max(from, oldest);
      while (this.end > this.start && this.ts[this.start]! < cut) this.shift();
    }
    this.lastFrom = from;
    this.lastTo = to;
    return this.indicators();
  }

  private reload(source: WindowSource, from: number, to: number): void {
    this.start = this.end = 0;
    this.maxima.clear();
    this.minima.clear();
    this.newestTaken = -Infinity;
    const window = source.usable(from, to, true);
    for (let i = 0; i < window.count; i++) this.push(window.ts[i]!, window.values[i]!);
    this.rebuildSums();
  }

  private push(t: number, value: number): void {
    if (this.end === this.ts.length) this.makeRoom();
    const position = this.end++;
    this.ts[position] = t;
    this.values[position] = value;
    const v = this.values[position];
    const seq = position + this.base;
    this.maxima.push(seq, v, this.valueAt);
    this.minima.push(seq, v, this.valueAt);
    this.newestTaken = t;
    if (this.size === 1) {
      // The first point of an empty window: shift the sums about it.
      this.valueShift = v;
      this.timeShift = t;
      this.s1 = this.s2 = this.s3 = this.s4 = this.st = this.stt = this.std = 0;
      this.removalsSinceRebuild = 0;
      return;
    }
    this.addToSums(t, v, 1);
  }

  private shift(): void {
    const position = this.start++;
    const seq = position + this.base;
    this.maxima.drop(seq);
    this.minima.drop(seq);
    const d = this.values[position]! - this.valueShift;
    this.addToSums(this.ts[position]!, this.values[position]!, -1);
    this.removalsSinceRebuild++;
    // A point far out (a spike) leaves rounding in the sums of its size: rebuild once it is gone.
    if (d * d > OUTLIER_SQUARES * Math.max(0, this.s2 / Math.max(1, this.size))) this.removalsSinceRebuild = Infinity;
  }

  private addToSums(t: number, v: number, sign: 1 | -1): void {
    const d = v - this.valueShift;
    const u = t - this.timeShift;
    const d2 = d * d;
    this.s1 += sign * d;
    this.s2 += sign * d2;
    this.s3 += sign * d2 * d;
    this.s4 += sign * d2 * d2;
    this.st += sign * u;
    this.stt += sign * u * u;
    this.std += sign * u * d;
  }

  /** Moves the window to the front of its buffers, or doubles them when it fills more than half. */
  private makeRoom(): void {
    const size = this.size;
    if (size * 2 > this.ts.length) {
      const ts = new Float64Array(this.ts.length * 2);
      const values = new Float32Array(this.values.length * 2);
      ts.set(this.ts.subarray(this.start, this.end));
      values.set(this.values.subarray(this.start, this.end));
      this.ts = ts;
      this.values = values;
    } else {
      this.ts.copyWithin(0, this.start, this.end);
      this.values.copyWithin(0, this.start, this.end);
    }
    this.base += this.start;
    this.start = 0;
    this.end = size;
  }

  /**
   * Sums again from the window's points, about their mean value and the time of the oldest: a reading's own time,
   * so that the offsets of millisecond timestamps from it are exact.
   */
  private rebuildSums(): void {
    const n = this.size;
    let sumV = 0;
    for (let i = this.start; i < this.end; i++) sumV += this.values[i]!;
    this.valueShift = n > 0 ? sumV / n : 0;
    this.timeShift = n > 0 ? this.ts[this.start]! : 0;
    this.s1 = this.s2 = this.s3 = this.s4 = this.st = this.stt = this.std = 0;
    for (let i = this.start; i < this.end; i++) this.addToSums(this.ts[i]!, this.values[i]!, 1);
    this.removalsSinceRebuild = 0;
  }

  private indicators(): ConditionIndicators | undefined {
    const n = this.size;
    if (n === 0) return undefined;
    // Once as many points left as the window holds, the sums have been rewritten about once: rebuild them, so the
    // drift stays bounded at the cost of one pass per window's worth of updates.
    // A spike that left also forces a rebuild (see shift).
    if (this.removalsSinceRebuild >= Math.max(n, 16)) this.rebuildSums();
    const mean = this.s1 / n;
    const meanSquare = this.s2 / n;
    const variance = meanSquare - mean * mean;
    const c = this.valueShift;
    const squares = meanSquare + 2 * c * mean + c * c;
    const varies = this.valueAt(this.maxima.first()) > this.valueAt(this.minima.first());
    // Rounding could matter when the values the sums are taken about lie far from the window's values: against their
    // spread (variance and fourth moment lose digits) or against their size (the RMS does). Then the exact two-pass
    // answer from the window's own points, and sums about its mean from now on.
    const spreadOk = !varies || (variance > 0 && meanSquare < CONDITION_LIMIT * variance);
    const sizeOk = c * c + meanSquare <= RMS_CONDITION_LIMIT * squares;
    // The same for times: after a long gap the time the sums are taken about can lie far before the window.
    const sxx = this.stt - (this.st * this.st) / n;
    const timesOk = (this.st * this.st) / n <= CONDITION_LIMIT * sxx;
    if (!spreadOk || !sizeOk || !timesOk) {
      this.rebuildSums();
      return conditionIndicators(this.ts.subarray(this.start, this.end), this.values.subarray(this.start, this.end), this.timeScale);
    }
    const rms = Math.sqrt(Math.max(0, squares));
    const peak = Math.max(Math.abs(this.valueAt(this.maxima.first())), Math.abs(this.valueAt(this.minima.first())));
    // Fourth central moment from the shifted power sums.
    const m4 = this.s4 / n - 4 * mean * (this.s3 / n) + 6 * mean * mean * (this.s2 / n) - 3 * mean ** 4;
    const sxy = this.std - (this.st * this.s1) / n;
    const distinctTimes = this.ts[this.end - 1]! > this.ts[this.start]!;
    return {
      points: n,
      rms,
      kurtosis: varies && variance > 0 ? Math.max(0, m4) / (variance * variance) : null,
      crestFactor: rms > 0 ? peak / rms : null,
      slopePerHour: distinctTimes && sxx > 0 ? ((sxy / sxx) * 3_600_000) / this.timeScale : null,
    };
  }
}
