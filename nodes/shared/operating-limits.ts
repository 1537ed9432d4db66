import type { SignalDefinition } from '../../core/twin-definition.js';
import type { SignalLimit } from '../../core/what-if/pump-scenario.js';

/** One row of a node's *Operating limits* list as the editor saves it (numbers as text; empty: none). */
export interface LimitConfig {
  signal: string;
  min?: string | number;
  max?: string | number;
}

/**
 * Operating limits: the node's own list where it names a signal, else the twin definition's valid range. The valid
 * range says what a sensor can read (0–150 °C); the operating limit what the machine may reach (a bearing trips at
 * 90 °C): a prediction must be held against the second, so a node that predicts has a list of its own.
 */
export function operatingLimits(config: LimitConfig[] | undefined, signals: readonly SignalDefinition[]): SignalLimit[] {
  const own = new Map<string, SignalLimit>();
  for (const l of Array.isArray(config) ? config : []) {
    if (!l.signal) continue;
    const limit: SignalLimit = { signal: l.signal };
    if (l.min !== undefined && l.min !== '' && Number.isFinite(Number(l.min))) limit.min = Number(l.min);
    if (l.max !== undefined && l.max !== '' && Number.isFinite(Number(l.max))) limit.max = Number(l.max);
    own.set(l.signal, limit);
  }
  const fromDefinition = signals.filter((s) => !own.has(s.name)).map((s) => ({ signal: s.name, ...(s.min !== undefined ? { min: s.min } : {}), ...(s.max !== undefined ? { max: s.max } : {}) }));
  return [...own.values(), ...fromDefinition];
}
