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
  private count = 0;

  constructor(capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) {
      throw new Error(`history capacity must be a whole number of at least 1, got ${capacity}`);
    }
    this.capacity = capacity;
    this.times = new Float64Array(capacity);
    this.values = new Float32Array(capacity);
    this.qualities = new Uint8Array(capacity);
  }

  /** Bytes held by the buffers, for memory accounting. */
  static bytesPerPoint = 8 + 4 + 1;

  get length(): number {
    return this.count;
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
      return true;
    }
    // Late or duplicate point: find its place from the newest end, where late points usually land.
    let index = this.count - 1;
    while (index >= 0 && this.times[this.slot(index)]! > ts) index--;
    if (index >= 0 && this.times[this.slot(index)] === ts) {
      const s = this.slot(index);
      this.values[s] = value;
      this.qualities[s] = code;
      return true;
    }
    if (this.count === this.capacity && index < 0) return false;
    // Insert after `index`: drop the oldest if full, then shift the newer points one place towards the end.
    if (this.count === this.capacity) {
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
    return true;
  }

  private append(ts: number, value: number, code: number): void {
    let s: number;
    if (this.count < this.capacity) {
      s = this.slot(this.count);
      this.count++;
    } else {
      s = this.head;
      this.head = this.slot(1);
    }
    this.times[s] = ts;
    this.values[s] = value;
    this.qualities[s] = code;
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
    for (let i = 0; i < this.count; i++) {
      const s = this.slot(i);
      const t = this.times[s]!;
      if (t < from || t > to) continue;
      out.ts.push(t);
      out.values.push(this.values[s]!);
      out.quality.push(QUALITY_CODES[this.qualities[s]!]!);
    }
    return out;
  }

  clear(): void {
    this.head = 0;
    this.count = 0;
  }
}
