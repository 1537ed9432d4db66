import type { Quality } from './telemetry.js';

/**
 * Maps an OPC UA StatusCode to telemetry quality. The two top bits of the code are its severity
 * (OPC UA Part 4, 7.39): 00 Good, 01 Uncertain, 10 and 11 Bad.
 */
export function qualityFromStatusCode(code: number): Quality {
  const severity = (code >>> 30) & 0b11;
  return severity === 0 ? 'good' : severity === 1 ? 'uncertain' : 'bad';
}
