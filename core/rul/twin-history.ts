import type { TwinStore } from '../twin-store.js';
import type { SignalColumns } from './features.js';

/** Time of the asset's last `part-replaced` maintenance entry, or undefined. */
export function lastPartReplacement(store: TwinStore, assetId: string): number | undefined {
  const log = store.maintenanceLog(assetId);
  for (let i = log.length - 1; i >= 0; i--) if (log[i]!.kind === 'part-replaced') return log[i]!.ts;
  return undefined;
}

/**
 * An asset's history of the named signals as aligned columns, one row per timestamp at which every signal has a
 * usable reading, oldest first. Only readings after the last part replacement count: the replaced part starts new.
 */
export function twinHistory(store: TwinStore, assetId: string, names: readonly string[]): { columns: SignalColumns; since?: number } {
  const since = lastPartReplacement(store, assetId);
  const series = names.map((name) => store.history(assetId, name, since));
  // Rows where every signal has a usable reading at the same timestamp.
  const byTs = series.map((s) => {
    const map = new Map<number, number>();
    s.ts.forEach((ts, i) => {
      if (s.quality[i] !== 'bad' && (since === undefined || ts > since)) map.set(ts, s.values[i]!);
    });
    return map;
  });
  const first = series[0];
  const rows = first === undefined ? [] : first.ts.filter((ts) => byTs.every((m) => m.has(ts)));
  const columns: Record<string, number[]> = {};
  names.forEach((name, j) => {
    columns[name] = rows.map((ts) => byTs[j]!.get(ts)!);
  });
  return since === undefined ? { columns } : { columns, since };
}
