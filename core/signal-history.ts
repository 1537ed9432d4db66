import { newRevision } from './revision.js';
import type { Quality } from './telemetry.js';

const QUALITY_CODES: readonly Quality[] = ['good', 'uncertain', 'bad'];

function qualityCode(quality: Quality): number {
  return quality === 'good' ? 0 : quality === 'uncertain' ? 1 : 2;
}

export interface HistoryPoint {
  ts: number;
  value: number;
  quality: Quality;
}

/** History of one signal as parallel arrays, oldest first: the shape charts and statistics want. */
export interface HistorySeries {
  ts: number[];
  values: number[];
  quality: Quality[];
}

/** Points of a window in reused buffers: the first `count` entries of `ts` and `values` (the arrays may be longer). */
export interface UsableWindow {
  ts: Float64Array;
  values: Float64Array;
  count: number;
}

/** Statistics over the usable (not `bad`) points of a history window. */
export interface WindowStatistics {
  /** Usable points in the window. */
  count: number;
  mean: number;
  /** Sample standard deviation (n − 1); 0 with fewer than two points. */
  std: number;
  min: number;
  max: number;
  /** Least-squares slope of value over time, in units per second; 0 with fewer than two points. */
  slopePerSecond: number;
}

const BAD = 2;

/**
 * A bounded, time-ordered history of one signal in typed-array ring buffers.
 *
 * Each point costs 13 bytes: the source timestamp as a float64 (ms), the value as a float32 (about 7 significant
 * digits, more than any field sensor resolves) and the quality as one byte. The latest value of a signal is kept
 * at full float64 precision by the store; only the history is narrowed.
 *
 * Points are kept in timestamp order. A late point (older than the newest one) is inserted at its place, which
 * shifts at most the newer points; a point with the same timestamp as a stored one replaces it, so a duplicate
 * delivery never grows the history.
 */
export class SignalHistory {
  readonly capacity: number;
  private readonly times: Float64Array;
  private readonly values: Float32Array;
  private readonly qualities: Uint8Array;
  /** Index of the oldest point. */
  private head = 0;
  private currentRevision = newRevision();
  private currentLayout = newRevision();
  private count = 0;
  /** Time of the newest point the history had to let go (full, or too old): windows reaching back past it are cut. */
  private dropped = -Infinity;

  // Running sums over the usable points, so mean, std and slope cost O(1) as the window slides. Time enters as
  // seconds since the first point ever stored, which keeps t² far from the limits of float64 precision.
  private origin = NaN;
  /** Values enter the sums relative to the first value, which avoids cancellation in Σv² − n·mean². */
  private valueOrigin = NaN;
  private n = 0;
  private sumT = 0;
  private sumV = 0;
  private sumVV = 0;
  private sumTT = 0;
  private sumTV = 0;
  /** Min and max are recomputed lazily when the point that held them leaves the window. */
  private extremesValid = true;
  private minValue = Infinity;
  private maxValue = -Infinity;
  /** Sliding sums drift by rounding; they are recomputed from the buffer after this many removals. */
  private removalsSinceRecompute = 0;

  constructor(capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) {
      throw new Error(`history capacity must be a whole number of at least 1, got ${capacity}`);
    }
    this.capacity = capacity;
    this.times = new Float64Array(capacity);
    this.values = new Float32Array(capacity);
    this.qualities = new Uint8Array(capacity);
  }

  /** Bytes held by the buffers per point, for memory accounting. */
  static readonly bytesPerPoint = 8 + 4 + 1;

  get length(): number {
    return this.count;
  }

  /**
   * Changes with every change of the points held, to a number no history had before: the same revision means the
   * same points, so a result computed from them (a RUL estimate) still holds.
   */
  get revision(): number {
    return this.currentRevision;
  }

  /**
   * Changes, to a number no history had before, whenever the points held changed other than by a newer point
   * appended or the oldest ones dropped (a late point inserted, a point replaced, the history cleared). While it
   * stays the same, a reader that follows the history as a sliding window needs only its newest points.
   */
  get layout(): number {
    return this.currentLayout;
  }

  /**
   * Time of the newest point this history let go of to stay within its length or age (-Infinity: none yet). A window
   * that starts before it lacks readings the history no longer holds.
   */
  get droppedUpTo(): number {
    return this.dropped;
  }

  /** Timestamp of the newest point, or -Infinity when empty. */
  get newestTs(): number {
    return this.count === 0 ? -Infinity : this.times[this.slot(this.count - 1)]!;
  }

  /** Timestamp of the oldest point, or +Infinity when empty. */
  get oldestTs(): number {
    return this.count === 0 ? Infinity : this.times[this.head]!;
  }

  private slot(index: number): number {
    const i = this.head + index;
    return i >= this.capacity ? i - this.capacity : i;
  }

  /**
   * Adds a point in timestamp order.
   * @returns false when the point is older than everything kept in a full buffer (it would be evicted at once).
   */
  add(ts: number, value: number, quality: Quality = 'good'): boolean {
    const code = qualityCode(quality);
    const newest = this.newestTs;
    if (ts > newest) {
      this.append(ts, value, code);
      this.currentRevision = newRevision();
      return true;
    }
    // Late or duplicate point: find its place from the newest end, where late points usually land.
    let index = this.count - 1;
    while (index >= 0 && this.times[this.slot(index)]! > ts) index--;
    if (index >= 0 && this.times[this.slot(index)] === ts) {
      const s = this.slot(index);
      this.forget(ts, this.values[s]!, this.qualities[s]!);
      this.values[s] = value;
      this.qualities[s] = code;
      this.remember(ts, this.values[s], code);
      this.currentRevision = newRevision();
      this.currentLayout = newRevision();
      return true;
    }
    if (this.count === this.capacity && index < 0) return false;
    // Insert after `index`: drop the oldest if full, then shift the newer points one place towards the end.
    if (this.count === this.capacity) {
      this.dropped = Math.max(this.dropped, this.times[this.head]!);
      this.forget(this.times[this.head]!, this.values[this.head]!, this.qualities[this.head]!);
      this.head = this.slot(1);
      this.count--;
      index--;
    }
    for (let i = this.count; i > index + 1; i--) {
      const to = this.slot(i);
      const from = this.slot(i - 1);
      this.times[to] = this.times[from]!;
      this.values[to] = this.values[from]!;
      this.qualities[to] = this.qualities[from]!;
    }
    const s = this.slot(index + 1);
    this.times[s] = ts;
    this.values[s] = value;
    this.qualities[s] = code;
    this.count++;
    this.remember(ts, this.values[s], code);
    this.currentRevision = newRevision();
    this.currentLayout = newRevision();
    return true;
  }

  private append(ts: number, value: number, code: number): void {
    let s: number;
    if (this.count < this.capacity) {
      s = this.slot(this.count);
      this.count++;
    } else {
      s = this.head;
      this.dropped = Math.max(this.dropped, this.times[s]!);
      this.forget(this.times[s]!, this.values[s]!, this.qualities[s]!);
      this.head = this.slot(1);
    }
    this.times[s] = ts;
    this.values[s] = value;
    this.qualities[s] = code;
    // The stored (float32) value enters the sums, so they always describe exactly what the window holds.
    this.remember(ts, this.values[s]!, code);
  }

  /** Drops every point older than `ts`; returns how many were dropped. For time-bounded histories. */
  dropOlderThan(ts: number): number {
    let dropped = 0;
    while (this.count > 0 && this.times[this.head]! < ts) {
      this.dropped = Math.max(this.dropped, this.times[this.head]!);
      this.forget(this.times[this.head]!, this.values[this.head]!, this.qualities[this.head]!);
      this.head = this.slot(1);
      this.count--;
      dropped++;
    }
    if (dropped > 0) this.currentRevision = newRevision();
    return dropped;
  }

  private remember(ts: number, value: number, code: number): void {
    if (code === BAD) return;
    if (Number.isNaN(this.origin)) {
      this.origin = ts;
      this.valueOrigin = value;
    }
    const t = (ts - this.origin) / 1000;
    const v = value - this.valueOrigin;
    this.n++;
    this.sumT += t;
    this.sumV += v;
    this.sumVV += v * v;
    this.sumTT += t * t;
    this.sumTV += t * v;
    if (this.extremesValid) {
      if (value < this.minValue) this.minValue = value;
      if (value > this.maxValue) this.maxValue = value;
    }
  }

  private forget(ts: number, value: number, code: number): void {
    if (code === BAD) return;
    const t = (ts - this.origin) / 1000;
    const v = value - this.valueOrigin;
    this.n--;
    this.sumT -= t;
    this.sumV -= v;
    this.sumVV -= v * v;
    this.sumTT -= t * t;
    this.sumTV -= t * v;
    if (value <= this.minValue || value >= this.maxValue) this.extremesValid = false;
    this.removalsSinceRecompute++;
    if (this.removalsSinceRecompute >= this.capacity) this.needsRecompute = true;
  }

  private needsRecompute = false;

  /** Rebuilds the sums and extremes from the buffer (bounded rounding drift; lazy min and max). */
  private recompute(): void {
    this.n = 0;
    this.sumT = this.sumV = this.sumVV = this.sumTT = this.sumTV = 0;
    this.minValue = Infinity;
    this.maxValue = -Infinity;
    this.extremesValid = true;
    for (let i = 0; i < this.count; i++) {
      const s = this.slot(i);
      this.remember(this.times[s]!, this.values[s]!, this.qualities[s]!);
    }
    this.removalsSinceRecompute = 0;
    this.needsRecompute = false;
  }

  /**
   * Mean, sample standard deviation, min, max and least-squares slope of the usable points in the window.
   * O(1) while the window slides; min and max cost one pass after the point holding them left the window.
   */
  statistics(): WindowStatistics {
    if (this.needsRecompute) this.recompute();
    else if (!this.extremesValid) this.recomputeExtremes();
    const n = this.n;
    if (n === 0) return { count: 0, mean: NaN, std: NaN, min: NaN, max: NaN, slopePerSecond: 0 };
    const shiftedMean = this.sumV / n;
    // Sample variance from the running sums: (Σv² − n·mean²)/(n − 1), clamped at 0 against rounding.
    const variance = n > 1 ? Math.max(0, (this.sumVV - n * shiftedMean * shiftedMean) / (n - 1)) : 0;
    const mean = this.valueOrigin + shiftedMean;
    const sxx = this.sumTT - (this.sumT * this.sumT) / n;
    const sxy = this.sumTV - (this.sumT * this.sumV) / n;
    return {
      count: n,
      mean,
      std: Math.sqrt(variance),
      min: this.minValue,
      max: this.maxValue,
      slopePerSecond: n > 1 && sxx > 0 ? sxy / sxx : 0,
    };
  }

  private recomputeExtremes(): void {
    this.minValue = Infinity;
    this.maxValue = -Infinity;
    for (let i = 0; i < this.count; i++) {
      const s = this.slot(i);
      if (this.qualities[s] === BAD) continue;
      const v = this.values[s]!;
      if (v < this.minValue) this.minValue = v;
      if (v > this.maxValue) this.maxValue = v;
    }
    this.extremesValid = true;
  }

  /**
   * True when the history holds exactly this point: the same timestamp, the same value as stored (float32) and the
   * same quality. Lets the store recognise a reading delivered twice however late the copy comes (MQTT QoS 1
   * delivers at least once: after a reconnect the broker sends unacknowledged messages again, behind newer ones).
   * Binary search: O(log n).
   */
  holds(ts: number, value: number, quality: Quality = 'good'): boolean {
    if (this.count === 0 || ts > this.newestTs || ts < this.oldestTs) return false;
    let low = 0;
    let high = this.count - 1;
    while (low <= high) {
      const mid = (low + high) >> 1;
      const s = this.slot(mid);
      const t = this.times[s]!;
      if (t < ts) low = mid + 1;
      else if (t > ts) high = mid - 1;
      else return this.values[s] === Math.fround(value) && this.qualities[s] === qualityCode(quality);
    }
    return false;
  }

  /**
   * Copies the usable (not `bad`) points with `from <= ts <= to` (`from < ts` when `fromIncluded` is false), oldest
   * first, into `ts` and `values` from index 0; both must hold `length` points. A tight loop over the ring buffers:
   * the aligned histories the RUL estimate reads and the windows of the condition indicators start here.
   * @returns how many points were copied
   */
  copyUsableFrom(from: number, to: number, ts: Float64Array, values: Float64Array, fromIncluded = true): number {
    // Points are in time order: find the first one in the window by binary search, then copy until past `to`.
    let low = 0;
    let high = this.count;
    while (low < high) {
      const mid = (low + high) >> 1;
      const t = this.times[this.slot(mid)]!;
      if (fromIncluded ? t < from : t <= from) low = mid + 1;
      else high = mid;
    }
    if (this.n === this.count) {
      // No bad point stored (the usual case): the window is one or two runs of the ring buffer, copied whole.
      let end = this.count;
      if (to < this.newestTs) {
        let high = this.count;
        end = low;
        while (end < high) {
          const mid = (end + high) >> 1;
          if (this.times[this.slot(mid)]! <= to) end = mid + 1;
          else high = mid;
        }
      }
      const n = Math.max(0, end - low);
      // Element by element, not `set(subarray(...))`: windows are mostly a few dozen points, where the four typed-array
      // views a set needs cost more (and leave more garbage, on every model update) than the copy itself.
      const start = this.slot(low);
      const firstRun = Math.min(n, this.capacity - start);
      for (let i = 0; i < firstRun; i++) {
        ts[i] = this.times[start + i]!;
        values[i] = this.values[start + i]!;
      }
      for (let i = firstRun; i < n; i++) {
        ts[i] = this.times[i - firstRun]!;
        values[i] = this.values[i - firstRun]!;
      }
      return n;
    }
    let n = 0;
    for (let i = low; i < this.count; i++) {
      const s = this.slot(i);
      const t = this.times[s]!;
      if (t > to) break;
      if (this.qualities[s] === BAD) continue;
      ts[n] = t;
      values[n] = this.values[s]!;
      n++;
    }
    return n;
  }

  /** The i-th point, oldest first. */
  at(index: number): HistoryPoint | undefined {
    if (index < 0 || index >= this.count) return undefined;
    const s = this.slot(index);
    return { ts: this.times[s]!, value: this.values[s]!, quality: QUALITY_CODES[this.qualities[s]!]! };
  }

  /** Points with `from <= ts <= to`, oldest first. */
  series(from = -Infinity, to = Infinity): HistorySeries {
    const out: HistorySeries = { ts: [], values: [], quality: [] };
    // Points are in time order: start at the first one at or after `from` (binary search) and stop after `to`, so a
    // short window of a long history (twin-model's condition indicators, every update) costs the window, not the history.
    let low = 0;
    let high = this.count;
    while (low < high) {
      const mid = (low + high) >> 1;
      if (this.times[this.slot(mid)]! < from) low = mid + 1;
      else high = mid;
    }
    for (let i = low; i < this.count; i++) {
      const s = this.slot(i);
      const t = this.times[s]!;
      if (t > to) break;
      out.ts.push(t);
      out.values.push(this.values[s]!);
      out.quality.push(QUALITY_CODES[this.qualities[s]!]!);
    }
    return out;
  }

  clear(): void {
    this.head = 0;
    this.count = 0;
    this.dropped = -Infinity;
    this.currentRevision = newRevision();
    this.currentLayout = newRevision();
    this.origin = NaN;
    this.recompute();
  }
}

/**
 * Thins a history for a chart with M4 aggregation (Jugel, Jerzak, Hackenbroich, Markl: "M4: A Visualization-Oriented
 * Time Series Data Aggregation", PVLDB 7(10), 2014): the time span is cut into ⌊maxPoints / 4⌋ buckets of equal
 * width, and each bucket keeps its first, last, smallest and largest point, in time order. A line drawn through
 * what is kept has the same extremes as the full series, so a short spike or dip never disappears (averaging or
 * taking every n-th point would hide it), and the newest point is always kept.
 *
 * Quality: within a bucket the four points are chosen among the usable (good or uncertain) points; a bucket that
 * holds only `bad` points keeps its first and last, still marked `bad`, so a faulty period stays visible as such.
 * Empty buckets (a gap in the data, e.g. while the machine or Node-RED was down) give nothing.
 *
 * @param series points in time order, as `SignalHistory.series()` returns them
 * @param maxPoints at most this many points come back; a series no longer than that comes back unchanged (a copy)
 * @throws when maxPoints is not a whole number of at least 4 (four points per bucket)
 * @example
 * // 12 points, at most 8: two buckets (t 0–5 and 6–11), each giving first, max, min and last
 * decimateSeries({ ts: [0,1,2,3,4,5,6,7,8,9,10,11], values: [3,7,1,4,6,2,5,5,9,0,8,4], quality: Array(12).fill('good') }, 8)
 * // → ts [0,1,2,5, 6,8,9,11], values [3,7,1,2, 5,9,0,4]
 */
export function decimateSeries(series: HistorySeries, maxPoints: number): HistorySeries {
  if (!Number.isInteger(maxPoints) || maxPoints < 4) {
    throw new Error(`maxPoints must be a whole number of at least 4 (each bucket keeps up to four points), got ${maxPoints}`);
  }
  const n = series.ts.length;
  if (n <= maxPoints) return { ts: series.ts.slice(), values: series.values.slice(), quality: series.quality.slice() };
  const buckets = Math.floor(maxPoints / 4);
  const t0 = series.ts[0]!;
  const span = series.ts[n - 1]! - t0;
  // Bucket b holds t0 + b·span/B ≤ ts < t0 + (b+1)·span/B; the newest point closes the last bucket.
  const bucketOf = (k: number): number => (span > 0 ? Math.min(buckets - 1, Math.floor(((series.ts[k]! - t0) * buckets) / span)) : 0);
  const out: HistorySeries = { ts: [], values: [], quality: [] };
  let i = 0;
  while (i < n) {
    // The run of points that share point i's bucket (the series is in time order).
    const bucket = bucketOf(i);
    let end = i + 1;
    while (end < n && bucketOf(end) === bucket) end++;
    let first = -1;
    let last = -1;
    let min = -1;
    let max = -1;
    for (let k = i; k < end; k++) {
      if (series.quality[k] === 'bad') continue;
      if (first < 0) first = k;
      last = k;
      if (min < 0 || series.values[k]! < series.values[min]!) min = k;
      if (max < 0 || series.values[k]! > series.values[max]!) max = k;
    }
    const keep = first < 0 ? [i, end - 1] : [first, min, max, last];
    // Indices in time order, each once (the first point may also be the minimum, and so on).
    for (const k of [...new Set(keep)].sort((a, b) => a - b)) {
      out.ts.push(series.ts[k]!);
      out.values.push(series.values[k]!);
      out.quality.push(series.quality[k]!);
    }
    i = end;
  }
  return out;
}
