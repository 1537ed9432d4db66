/**
 * Reusable number arrays for estimates that run on every twin update.
 *
 * An estimate from a history of a thousand cycles needs a dozen arrays of that length (scaled sensors, health
 * indicator, aligned columns). Made anew each time, they are freed a moment later: a Float64Array of more than a few
 * numbers is a separate allocation outside the JavaScript heap, and at thousands of estimates a second making and
 * collecting them cost more than the arithmetic. One estimate at a time borrows them here instead.
 */
export class EstimateBuffers {
  private readonly slots: Float64Array[] = [];

  /**
   * `n` numbers of slot `slot` (their content is whatever the last user left), valid until the slot is asked for
   * again. The buffer behind a slot only grows.
   */
  take(slot: number, n: number): Float64Array {
    let buffer = this.slots[slot];
    if (buffer === undefined || buffer.length < n) {
      buffer = new Float64Array(Math.max(n, 2 * (buffer?.length ?? 32)));
      this.slots[slot] = buffer;
    }
    return buffer.subarray(0, n);
  }
}
