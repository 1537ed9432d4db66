/**
 * Watches that values keep arriving while a source is connected. OPC UA reports changes only, so silence can mean
 * "nothing changed" as well as "the PLC stopped publishing"; the timeout says how long silence is still normal.
 */
export class DataWatchdog {
  private lastHeard: number;
  private silent = false;

  /** @param timeoutMs silence longer than this is "no data"; 0 switches the watch off */
  constructor(
    readonly timeoutMs: number,
    now: number,
  ) {
    this.lastHeard = now;
  }

  /** A value arrived. Returns true when this ends a "no data" period. */
  heard(now: number): boolean {
    this.lastHeard = now;
    const wasSilent = this.silent;
    this.silent = false;
    return wasSilent;
  }

  /** Restarts the count, e.g. when a connection (re)opens: silence while disconnected is not "no data". */
  restart(now: number): void {
    this.lastHeard = now;
    this.silent = false;
  }

  /** Returns true exactly once when silence starts to exceed the timeout. */
  check(now: number): boolean {
    if (this.timeoutMs <= 0 || this.silent || now - this.lastHeard <= this.timeoutMs) return false;
    this.silent = true;
    return true;
  }

  get isSilent(): boolean {
    return this.silent;
  }

  /** Milliseconds since the last value (or the last restart). */
  silenceMs(now: number): number {
    return now - this.lastHeard;
  }
}

/**
 * The default "no data" time: three sampling intervals, plus the time within which a server must send at least a
 * keep-alive (publishing interval × max keep-alive count), so one late publish does not raise the alarm.
 */
export function defaultNoDataTimeout(samplingIntervalMs: number, keepAliveMs: number): number {
  return 3 * Math.max(samplingIntervalMs, 0) + Math.max(keepAliveMs, 0);
}
