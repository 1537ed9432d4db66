import { CMAPSS_SIGNALS, type CmapssEngine } from '../cmapss.js';
import type { SignalColumns } from './features.js';

/** A C-MAPSS engine as signal columns (settings and sensors by name), the form the RUL models read. */
export function engineColumns(engine: CmapssEngine): SignalColumns {
  const columns: Record<string, number[]> = {};
  CMAPSS_SIGNALS.forEach((name, j) => {
    columns[name] = engine.rows.map((row) => row[j]!);
  });
  return columns;
}

/** The first `cycles` cycles of a history (a test engine as it was seen up to some cycle). */
export function historyPrefix(columns: SignalColumns, cycles: number): SignalColumns {
  const out: Record<string, number[]> = {};
  for (const [name, values] of Object.entries(columns)) out[name] = Array.from(values).slice(0, cycles);
  return out;
}
