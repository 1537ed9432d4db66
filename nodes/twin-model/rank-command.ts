/**
 * The `rank-features` command of twin-model: which signals carry degradation, by the prognostic-feature metrics, over
 * run-to-failure histories given in the message or taken from the twin (each asset's history is one member).
 */
import { rankPrognosticFeatures, type FeatureRanking } from '../../core/model/prognostic-features.js';
import type { Parsed } from '../../core/telemetry.js';
import type { TwinStore } from '../../core/twin-store.js';

function isNumberSeries(v: unknown): v is number[] {
  return Array.isArray(v) && v.every((x) => typeof x === 'number' && Number.isFinite(x));
}

/**
 * `payload = { features: { name: [[…], […]] } }` (histories given), or `{ signals?: [...], assetIds?: [...] }` (from
 * the twin: every asset, every signal of the first asset, when not named); `smoothingWindow` (default 1) either way.
 */
export function rankFeaturesCommand(store: TwinStore, payload: unknown): Parsed<FeatureRanking[]> {
  const p = (typeof payload === 'object' && payload !== null ? payload : {}) as Record<string, unknown>;
  const smoothingWindow = p.smoothingWindow === undefined ? 1 : p.smoothingWindow;
  if (typeof smoothingWindow !== 'number' || !Number.isInteger(smoothingWindow) || smoothingWindow < 1) {
    return { ok: false, reason: `smoothingWindow must be a whole number ≥ 1, got ${JSON.stringify(smoothingWindow)}` };
  }
  let features: Record<string, number[][]>;
  if (p.features !== undefined) {
    if (typeof p.features !== 'object' || p.features === null) return { ok: false, reason: 'features must be an object: { signal: [history of member 1, history of member 2, …] }' };
    features = {};
    for (const [name, histories] of Object.entries(p.features as Record<string, unknown>)) {
      if (!Array.isArray(histories) || !histories.every(isNumberSeries)) return { ok: false, reason: `features.${name} must be a list of number lists (one run-to-failure history per member)` };
      features[name] = histories;
    }
  } else {
    const assetIds = Array.isArray(p.assetIds) ? p.assetIds.filter((a): a is string => typeof a === 'string') : store.assetIds();
    const first = assetIds[0] === undefined ? undefined : store.snapshot(assetIds[0]);
    const signals = Array.isArray(p.signals) ? p.signals.filter((s): s is string => typeof s === 'string') : Object.keys(first?.signals ?? {});
    features = {};
    for (const signal of signals) {
      features[signal] = assetIds.map((id) => store.history(id, signal)).map((h) => h.values.filter((_, i) => h.quality[i] !== 'bad')).filter((v) => v.length >= 2);
    }
  }
  const thin = Object.entries(features).filter(([, h]) => h.length < 2 || h.some((x) => x.length < 2));
  if (Object.keys(features).length === 0) return { ok: false, reason: 'no features to rank: name signals, or send features' };
  if (thin.length > 0) return { ok: false, reason: `ranking needs at least 2 histories of 2 or more points per feature; not so for ${thin.map(([n]) => n).join(', ')}` };
  return { ok: true, value: rankPrognosticFeatures(features, { smoothingWindow }) };
}
