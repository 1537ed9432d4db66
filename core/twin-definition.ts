/**
 * What one asset class looks like: its signals and how much history the twin keeps.
 * Built from the `twin-definition` config node, or from a JSON file, and checked here so a typo in the editor
 * becomes a sentence, not a crash at the first message.
 */

export interface SignalDefinition {
  name: string;
  unit?: string;
  /** Lowest plausible value; readings below are kept but marked `bad`. */
  min?: number;
  /** Highest plausible value; readings above are kept but marked `bad`. */
  max?: number;
  /** The value in normal operation, for dashboards and models. */
  nominal?: number;
  /** A signal with no update for this long is stale (0 or absent: never). */
  staleAfterMs?: number;
}

/** A point the twin can command (a setpoint), with the limits every command must respect. */
export interface ActuationPoint {
  name: string;
  unit?: string;
  min?: number;
  max?: number;
  /** Largest change per second a command may ask for (0 or absent: no limit). */
  maxRatePerS?: number;
  /** Where commands go: an MQTT topic or an OPC UA node id (used by twin-actuator). */
  binding?: string;
  /** The signal that reports the point's actual value (default: the signal with the point's name). */
  reportedSignal?: string;
  /** |reported − desired| at or below this counts as reached (default 0). */
  tolerance?: number;
  /**
   * How long the machine may take to reach a command (ms). Until then a different reported value is taken as the
   * machine still moving; after it, as someone having changed it at the machine ("device wins").
   */
  settleMs?: number;
}

export interface TwinDefinitionSpec {
  /** Asset class name, e.g. "centrifugal pump". */
  name: string;
  signals: SignalDefinition[];
  /** Points kept per signal and asset. */
  historyPoints: number;
  /** Points older than this (ms, behind the newest) are dropped too; 0 or absent: keep by count only. */
  historyMaxAgeMs?: number;
  actuationPoints?: ActuationPoint[];
  /** Weight of the newest reading in each signal's exponentially weighted moving average (0 < α ≤ 1). */
  ewmaAlpha?: number;
  /** Store signals that the definition does not declare (handy while commissioning). */
  acceptUndeclaredSignals: boolean;
  /** Regular expression an asset id must match (empty: any). */
  assetIdPattern?: string;
}

export const DEFAULT_HISTORY_POINTS = 1000;
export const MAX_HISTORY_POINTS = 1_000_000;

function optionalNumber(raw: unknown, field: string, errors: string[]): number | undefined {
  if (raw === undefined || raw === null || raw === '') return undefined;
  const value = typeof raw === 'string' ? Number(raw) : raw;
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    errors.push(`${field} must be a number, got ${JSON.stringify(raw)}`);
    return undefined;
  }
  return value;
}

/**
 * Normalises a definition as the editor or a JSON file gives it (numbers may arrive as strings).
 * @throws Error listing every problem found, so the user fixes them in one pass
 */
export function normaliseDefinition(raw: {
  name?: unknown;
  signals?: unknown;
  historyPoints?: unknown;
  historyMaxAgeMs?: unknown;
  acceptUndeclaredSignals?: unknown;
  assetIdPattern?: unknown;
  actuationPoints?: unknown;
  ewmaAlpha?: unknown;
}): TwinDefinitionSpec {
  const errors: string[] = [];
  const name = typeof raw.name === 'string' && raw.name.trim() !== '' ? raw.name.trim() : 'asset';
  const historyPoints = optionalNumber(raw.historyPoints, 'history length', errors) ?? DEFAULT_HISTORY_POINTS;
  if (!Number.isInteger(historyPoints) || historyPoints < 1 || historyPoints > MAX_HISTORY_POINTS) {
    errors.push(`history length must be a whole number from 1 to ${MAX_HISTORY_POINTS}`);
  }
  const rawSignals = raw.signals ?? [];
  if (!Array.isArray(rawSignals)) errors.push('signals must be a list');
  const signals: SignalDefinition[] = [];
  const seen = new Set<string>();
  for (const [i, entry] of (Array.isArray(rawSignals) ? rawSignals : []).entries()) {
    const s = (entry ?? {}) as Record<string, unknown>;
    const signalName = typeof s.name === 'string' ? s.name.trim() : '';
    if (signalName === '') {
      errors.push(`signal ${i + 1} has no name`);
      continue;
    }
    if (seen.has(signalName)) errors.push(`signal "${signalName}" is declared twice`);
    seen.add(signalName);
    const def: SignalDefinition = { name: signalName };
    if (typeof s.unit === 'string' && s.unit.trim() !== '') def.unit = s.unit.trim();
    const min = optionalNumber(s.min, `${signalName}: min`, errors);
    const max = optionalNumber(s.max, `${signalName}: max`, errors);
    const nominal = optionalNumber(s.nominal, `${signalName}: nominal`, errors);
    const staleAfterMs = optionalNumber(s.staleAfterMs, `${signalName}: stale after`, errors);
    if (min !== undefined) def.min = min;
    if (max !== undefined) def.max = max;
    if (min !== undefined && max !== undefined && min > max) errors.push(`${signalName}: min is above max`);
    if (nominal !== undefined) def.nominal = nominal;
    if (staleAfterMs !== undefined) {
      if (staleAfterMs < 0) errors.push(`${signalName}: stale after must not be negative`);
      else if (staleAfterMs > 0) def.staleAfterMs = staleAfterMs;
    }
    signals.push(def);
  }
  let assetIdPattern: string | undefined;
  if (typeof raw.assetIdPattern === 'string' && raw.assetIdPattern.trim() !== '') {
    assetIdPattern = raw.assetIdPattern.trim();
    try {
      new RegExp(assetIdPattern);
    } catch {
      errors.push(`asset id pattern /${assetIdPattern}/ is not a valid regular expression`);
    }
  }
  const acceptUndeclaredSignals = raw.acceptUndeclaredSignals === undefined ? true : raw.acceptUndeclaredSignals === true;
  if (!acceptUndeclaredSignals && signals.length === 0) {
    errors.push('no signals are declared and undeclared signals are refused: nothing could be stored');
  }
  const actuationPoints = normaliseActuationPoints(raw.actuationPoints, errors);
  const historyMaxAgeMs = optionalNumber(raw.historyMaxAgeMs, 'history age', errors);
  if (historyMaxAgeMs !== undefined && historyMaxAgeMs < 0) errors.push('history age must not be negative');
  const ewmaAlpha = optionalNumber(raw.ewmaAlpha, 'EWMA weight', errors) ?? DEFAULT_EWMA_ALPHA;
  if (!(ewmaAlpha > 0 && ewmaAlpha <= 1)) errors.push('EWMA weight must be above 0 and at most 1');
  if (errors.length > 0) throw new Error(`twin definition "${name}": ${errors.join('; ')}`);
  const spec: TwinDefinitionSpec = { name, signals, historyPoints, acceptUndeclaredSignals, actuationPoints, ewmaAlpha };
  if (assetIdPattern !== undefined) spec.assetIdPattern = assetIdPattern;
  if (historyMaxAgeMs !== undefined && historyMaxAgeMs > 0) spec.historyMaxAgeMs = historyMaxAgeMs;
  return spec;
}

export const DEFAULT_EWMA_ALPHA = 0.1;

function normaliseActuationPoints(raw: unknown, errors: string[]): ActuationPoint[] {
  if (raw === undefined || raw === null) return [];
  if (!Array.isArray(raw)) {
    errors.push('actuation points must be a list');
    return [];
  }
  const points: ActuationPoint[] = [];
  const seen = new Set<string>();
  for (const [i, entry] of raw.entries()) {
    const p = (entry ?? {}) as Record<string, unknown>;
    const name = typeof p.name === 'string' ? p.name.trim() : '';
    if (name === '') {
      errors.push(`actuation point ${i + 1} has no name`);
      continue;
    }
    if (seen.has(name)) errors.push(`actuation point "${name}" is declared twice`);
    seen.add(name);
    const point: ActuationPoint = { name };
    if (typeof p.unit === 'string' && p.unit.trim() !== '') point.unit = p.unit.trim();
    const min = optionalNumber(p.min, `${name}: min`, errors);
    const max = optionalNumber(p.max, `${name}: max`, errors);
    const rate = optionalNumber(p.maxRatePerS, `${name}: max rate`, errors);
    const tolerance = optionalNumber(p.tolerance, `${name}: tolerance`, errors);
    const settleS = optionalNumber(p.settleS, `${name}: settle time`, errors);
    if (settleS !== undefined) {
      if (settleS < 0) errors.push(`${name}: settle time must not be negative`);
      else point.settleMs = settleS * 1000;
    }
    if (min !== undefined) point.min = min;
    if (max !== undefined) point.max = max;
    if (min !== undefined && max !== undefined && min > max) errors.push(`${name}: min is above max`);
    if (rate !== undefined) {
      if (rate < 0) errors.push(`${name}: max rate must not be negative`);
      else if (rate > 0) point.maxRatePerS = rate;
    }
    if (tolerance !== undefined) {
      if (tolerance < 0) errors.push(`${name}: tolerance must not be negative`);
      else point.tolerance = tolerance;
    }
    if (typeof p.binding === 'string' && p.binding.trim() !== '') point.binding = p.binding.trim();
    if (typeof p.reportedSignal === 'string' && p.reportedSignal.trim() !== '') point.reportedSignal = p.reportedSignal.trim();
    points.push(point);
  }
  return points;
}
