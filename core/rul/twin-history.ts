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
  // Read straight from the ring buffers: copying each signal's history into arrays first cost more than the estimate.
  const columns = store.alignedHistory(assetId, names, since);
  return since === undefined ? { columns } : { columns, since };
}
