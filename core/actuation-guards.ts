import type { ActuationPoint } from './twin-definition.js';
import { errorMessage } from './errors.js';

/**
 * The guards every command passes before anything is written to a machine, in this order:
 * 1. shape and type, 2. limits, 3. rate of change, 4. interlocks, 5. simulate before write, 6. source.
 * Pure: the node evaluates interlock expressions and runs the simulation, and hands the results in.
 * A command is refused at the first guard that fails; every guard's verdict is kept for the audit trail.
 */

export type GuardName = 'shape' | 'limits' | 'rate' | 'interlocks' | 'simulation' | 'source';

export interface GuardVerdict {
  guard: GuardName;
  passed: boolean;
  /** What the guard saw or changed, in a sentence. */
  detail: string;
}

export interface ActuationCommand {
  assetId: string;
  point: string;
  value: unknown;
  /** Who sent it: a node, a dashboard, an optimiser. */
  source?: string;
  user?: string;
  /** True for what-if scenario traffic, which never reaches a machine. */
  scenario?: boolean;
}

/** How a point treats values beyond its limits or its rate. */
export interface GuardPolicy {
  /** Beyond min/max: refuse (default) or clamp to the limit (reported in the verdict). */
  limits: 'refuse' | 'clamp';
  /** Faster than maxRatePerS: refuse (default) or ramp in one-second steps. */
  rate: 'refuse' | 'ramp';
}

export const DEFAULT_POLICY: GuardPolicy = { limits: 'refuse', rate: 'refuse' };

/** An interlock as the node evaluated it; `undefined` (an input stale, bad or missing) counts as failed. */
export interface InterlockResult {
  name: string;
  passed: boolean | undefined;
  reason?: string;
}

export interface SimulationResult {
  ok: boolean;
  /** Why the predicted trajectory is refused (which signal leaves its limits, when). */
  detail: string;
}

export interface GuardContext {
  /** The point from the twin definition; undefined: unknown point. */
  point: ActuationPoint | undefined;
  policy?: GuardPolicy;
  /** Latest reported value of the point (its reported signal), if known and usable. */
  reported?: number;
  interlocks?: readonly InterlockResult[];
  /** Runs the model with the value to write; absent: the point does not ask for simulation. */
  simulate?: (value: number) => SimulationResult;
  /**
   * Why the command's asset cannot be commanded (the twin has no such asset, or its id cannot be part of the
   * command's MQTT topic); absent: it can.
   */
  assetProblem?: string;
}

export interface GuardDecision {
  result: 'accepted' | 'refused';
  /** The first value to write (clamped or the first ramp step); undefined when refused. */
  value?: number;
  /** With a rate ramp: every value to write, one per second, ending at the target. */
  ramp?: number[];
  /** The sentence of the guard that refused. */
  reason?: string;
  verdicts: GuardVerdict[];
}

/** Steps a ramp may have at most: a command that needs more is refused rather than run for hours. */
export const MAX_RAMP_STEPS = 3600;

/**
 * The writes of a ramp from `start` (written first when it is a limit the reported value was beyond) to `target`, one
 * a second, each at most `rate` from the one before. The steps between carry no more decimals than the target and the
 * rate: a ramp from a reported 1491.3232 rpm to 1750 at 50 rpm/s writes 1541, 1591 … 1741, 1750, not 1541.3232 (a
 * setpoint a plant engineer would type), each rounded towards the write before it so no step is larger than the rate.
 */
function rampSteps(start: number, target: number, rate: number, writeStart: boolean): number[] {
  const steps = writeStart ? [start] : [];
  const direction = Math.sign(target - start);
  const scale = 10 ** Math.max(decimalsOf(target), decimalsOf(rate));
  let previous = start;
  while (Math.abs(target - previous) > rate) {
    const next = previous + direction * rate;
    const rounded = direction > 0 ? Math.floor(next * scale) / scale : Math.ceil(next * scale) / scale;
    // A rate finer than the target's resolution (rounding would stand still or step back): the exact step.
    previous = (direction > 0 ? rounded > previous : rounded < previous) ? rounded : next;
    steps.push(previous);
  }
  steps.push(target);
  return steps;
}

/** Decimals a number is written with (1750 → 0, 12.5 → 1), at most 10. */
function decimalsOf(value: number): number {
  const text = String(value);
  if (text.includes('e')) return 10;
  const dot = text.indexOf('.');
  return dot < 0 ? 0 : Math.min(10, text.length - dot - 1);
}

/** Applies the six guards to one command. Never throws: a refusal says which guard and why. */
export function checkCommand(command: ActuationCommand, context: GuardContext): GuardDecision {
  const verdicts: GuardVerdict[] = [];
  const refuse = (guard: GuardName, detail: string): GuardDecision => {
    verdicts.push({ guard, passed: false, detail });
    return { result: 'refused', reason: `${guard}: ${detail}`, verdicts };
  };
  const policy = context.policy ?? DEFAULT_POLICY;

  // 1. Shape and type.
  const point = context.point;
  if (point === undefined) return refuse('shape', `"${String(command.point).slice(0, 60)}" is not an actuation point of this twin`);
  if (context.assetProblem !== undefined) return refuse('shape', context.assetProblem);
  if (typeof command.value !== 'number' || !Number.isFinite(command.value)) {
    return refuse('shape', `value must be a finite number, got ${describe(command.value)}`);
  }
  verdicts.push({ guard: 'shape', passed: true, detail: `${point.name} = ${command.value}` });
  let value = command.value;

  // 2. Limits.
  const min = point.min ?? -Infinity;
  const max = point.max ?? Infinity;
  if (value < min || value > max) {
    const limit = value < min ? min : max;
    if (policy.limits === 'refuse') return refuse('limits', `${value} is outside ${min} … ${max}`);
    verdicts.push({ guard: 'limits', passed: true, detail: `${value} clamped to ${limit}` });
    value = limit;
  } else {
    verdicts.push({ guard: 'limits', passed: true, detail: `within ${min} … ${max}` });
  }

  // 3. Rate of change, against the last reported value.
  let ramp: number[] | undefined;
  const rate = point.maxRatePerS;
  if (rate !== undefined && rate > 0) {
    if (context.reported === undefined || !Number.isFinite(context.reported)) {
      return refuse('rate', `no usable reported value of ${point.reportedSignal ?? point.name} to limit the change against`);
    }
    const change = value - context.reported;
    if (Math.abs(change) > rate) {
      if (policy.rate === 'refuse') return refuse('rate', `a change of ${round(change)} is more than ${rate} per second`);
      // A reported value a little beyond a limit (measurement noise, overshoot) is not a setpoint the twin wrote: the
      // ramp starts at that limit, so it never writes outside the limits, and its first write is within one step of
      // the reported value. Further beyond, even writing the limit would be a bigger change than the rate allows.
      const start = Math.min(max, Math.max(min, context.reported));
      if (Math.abs(start - context.reported) > rate) {
        const beyond = context.reported > max ? `above the maximum ${max}` : `below the minimum ${min}`;
        return refuse('rate', `the reported ${context.reported} is more than ${rate} ${beyond}, so even the first write within the limits would be a change of more than ${rate} per second`);
      }
      const fromLimit = start !== context.reported;
      const steps = (fromLimit ? 1 : 0) + Math.ceil(Math.abs(value - start) / rate);
      if (steps > MAX_RAMP_STEPS) return refuse('rate', `a change of ${round(change)} at ${rate} per second needs ${steps} steps, more than ${MAX_RAMP_STEPS}`);
      ramp = rampSteps(start, value, rate, fromLimit);
      // Steps rounded to the target's decimals may be a little shorter than the rate: count again.
      if (ramp.length > MAX_RAMP_STEPS) return refuse('rate', `a change of ${round(change)} at ${rate} per second needs ${ramp.length} steps, more than ${MAX_RAMP_STEPS}`);
      verdicts.push({ guard: 'rate', passed: true, detail: `ramped in ${steps} steps of at most ${rate}${fromLimit ? `, from the limit ${start} (the reported ${context.reported} is beyond it)` : ''}` });
    } else {
      verdicts.push({ guard: 'rate', passed: true, detail: `a change of ${round(change)} is within ${rate} per second` });
    }
  } else {
    verdicts.push({ guard: 'rate', passed: true, detail: 'no rate limit' });
  }

  // 4. Interlocks: all must hold; an unknown state (stale, bad or missing input) counts as failed.
  const failed = (context.interlocks ?? []).filter((i) => i.passed !== true);
  if (failed.length > 0) {
    return refuse('interlocks', failed.map((i) => `${i.name} ${i.passed === undefined ? 'cannot be evaluated' : 'does not hold'}${i.reason ? ` (${i.reason})` : ''}`).join('; '));
  }
  verdicts.push({ guard: 'interlocks', passed: true, detail: `${(context.interlocks ?? []).length} hold` });

  // 5. Simulate before write.
  if (context.simulate) {
    let simulated: SimulationResult;
    try {
      simulated = context.simulate(value);
    } catch (err) {
      return refuse('simulation', `the model could not run: ${errorMessage(err)}`);
    }
    if (!simulated.ok) return refuse('simulation', simulated.detail);
    verdicts.push({ guard: 'simulation', passed: true, detail: simulated.detail });
  } else {
    verdicts.push({ guard: 'simulation', passed: true, detail: 'not asked for' });
  }

  // 6. Source: what-if scenarios never reach a machine.
  if (command.scenario === true) return refuse('source', 'what-if scenario traffic is never written to a machine');
  verdicts.push({ guard: 'source', passed: true, detail: command.source ? `from ${command.source}` : 'from the flow' });

  const decision: GuardDecision = { result: 'accepted', value: ramp ? ramp[0]! : value, verdicts };
  if (ramp) decision.ramp = ramp;
  return decision;
}

function round(x: number): number {
  return Math.round(x * 1e6) / 1e6;
}

function describe(value: unknown): string {
  if (typeof value === 'string') return `the string "${value.slice(0, 40)}"`;
  if (typeof value === 'number') return String(value);
  if (value === null) return 'null';
  return typeof value;
}

/** One command as the audit trail keeps it: append-only, one record per command. */
export interface AuditRecord {
  ts: number;
  assetId: string;
  point: string;
  requested: unknown;
  /** What was (or, in dry-run, would have been) written. */
  written?: number;
  source?: string;
  user?: string;
  mode: 'dry-run' | 'confirm' | 'live';
  /** `expired`: confirm mode, nobody confirmed in time, nothing was written (not a failure of the write or the machine). */
  result: 'accepted' | 'refused' | 'written' | 'confirmed' | 'failed' | 'expired';
  reason?: string;
  /** The verdicts that decided: at confirmation, in confirm mode (every guard is checked again then). */
  guards: GuardVerdict[];
  /** Confirm mode: the verdicts when the command was accepted, before it waited. */
  guardsAtAcceptance?: GuardVerdict[];
  /** Confirm mode: when the operator confirmed (ms since the epoch), and who, when the confirmation said. */
  confirmedAt?: number;
  confirmedBy?: string;
}
