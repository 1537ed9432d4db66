/**
 * Events per second over a sliding window, for a node's status: read at each status tick, so a source that sends in
 * bursts (6 readings every 2 s) shows its mean rate (3/s) instead of 6/s and 0/s in turn, which reads as the data
 * stopping. Time is given by the caller.
 */
export class RateMeter {
  private pending = 0;
  /** Counts taken at each reading of the rate; the first entry only marks where the window starts. */
  private readonly counted: Array<{ at: number; count: number }>;

  constructor(
    now: number,
    private readonly windowMs = 10_000,
  ) {
    this.counted = [{ at: now, count: 0 }];
  }

  add(count = 1): void {
    this.pending += count;
  }

  /** Events per second over the last window (or since the start, when younger), rounded for a status. */
  rate(now: number): number {
    this.counted.push({ at: now, count: this.pending });
    this.pending = 0;
    while (this.counted.length > 2 && now - this.counted[1]!.at >= this.windowMs) this.counted.shift();
    let sum = 0;
    for (let i = 1; i < this.counted.length; i++) sum += this.counted[i]!.count;
    const perSecond = (sum * 1000) / Math.max(1, now - this.counted[0]!.at);
    return perSecond >= 10 ? Math.round(perSecond) : Math.round(perSecond * 10) / 10;
  }
}
