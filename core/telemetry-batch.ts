import type { Quality, Telemetry } from './telemetry.js';

/** One value of one signal as a source reported it. */
export interface Reading {
  signal: string;
  value: number;
  quality: Quality;
  /** Source timestamp, ms since the epoch. */
  ts: number;
}

/**
 * Groups the readings one source delivered at once (e.g. one OPC UA publish) into as few telemetry messages as
 * honest: readings whose source timestamps lie within `toleranceMs` of the group's first one form one message
 * (one scan of the PLC), stamped with the newest of their timestamps; a signal never appears twice in one message,
 * so no reading is lost. Readings are taken oldest first, so messages leave in time order.
 *
 * @param toleranceMs how far apart readings of one scan may be stamped (e.g. half the sampling interval)
 * @example groupReadings('p1', [{signal:'a',value:1,quality:'good',ts:1000},{signal:'b',value:2,quality:'good',ts:1010}], 50)
 *   // → [{ assetId:'p1', ts:1010, signals:{a:1,b:2}, quality:{a:'good',b:'good'} }]
 */
export function groupReadings(assetId: string, readings: readonly Reading[], toleranceMs: number): Telemetry[] {
  const ordered = readings.map((r, i) => ({ r, i })).sort((a, b) => a.r.ts - b.r.ts || a.i - b.i);
  const messages: Telemetry[] = [];
  let current: { first: number; telemetry: Telemetry & { quality: Record<string, Quality> } } | undefined;
  for (const { r } of ordered) {
    if (!current || r.ts - current.first > toleranceMs || r.signal in current.telemetry.signals) {
      current = { first: r.ts, telemetry: { assetId, ts: r.ts, signals: {}, quality: {} } };
      messages.push(current.telemetry);
    }
    current.telemetry.signals[r.signal] = r.value;
    current.telemetry.quality[r.signal] = r.quality;
    current.telemetry.ts = Math.max(current.telemetry.ts, r.ts);
  }
  return messages;
}
