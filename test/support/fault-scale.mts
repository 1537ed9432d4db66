/**
 * The size of the fault-injection tests (test/faults). `npm run test:faults` sets TWIN_FAULT_SCALE=1 and runs the
 * counts of issue 13 (100,000 messages, 10 broker restarts, 500 deploys …); `npm test` runs them at the default
 * scale of 0.1, so CI proves the same things in a tenth of the time.
 */
const raw = Number(process.env.TWIN_FAULT_SCALE ?? '0.1');

export const FAULT_SCALE = Number.isFinite(raw) && raw > 0 ? raw : 0.1;

/** `full` at the current scale, rounded, and never below `min`. */
export function scaled(full: number, min = 1): number {
  return Math.max(min, Math.round(full * FAULT_SCALE));
}

/** One line of measured figures in the test output, for the report (and for a reader of the CI log). */
export function figures(label: string, values: Record<string, unknown>): void {
  const text = Object.entries(values)
    .map(([key, value]) => `${key} ${typeof value === 'number' && !Number.isInteger(value) ? value.toFixed(2) : String(value)}`)
    .join(', ');
  console.log(`      [figures, scale ${FAULT_SCALE}] ${label}: ${text}`);
}
