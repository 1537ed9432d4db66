import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { DEFAULT_UNCERTAINTY, type WhatIfSettings } from '../../core/what-if/pump-scenario.js';
import { operatingLimits, type LimitConfig } from '../shared/operating-limits.js';
import { parseOptimisation, type OptimisationOutcome } from '../../core/what-if/optimise.js';
import { parseDuration, parseScenarios, type Scenario } from '../../core/what-if/scenario.js';
import { forkPump, promoteScenario, tableRow, type WhatIfOutcome } from '../../core/what-if/what-if.js';
import type { TwinStore } from '../../core/twin-store.js';
import { findDefinition } from '../shared/definition.js';
import { errorMessage, numberSetting, shortText, type DoneFn, type Node, type NodeAPI, type NodeDef, type NodeMessageInFlow, type SendFn } from '../shared/node-red.js';
import type { WhatIfAnswer, WhatIfJob } from './what-if-job.js';

interface TwinWhatIfConfig extends NodeDef {
  definition: string;
  model: string;
  horizon: string;
  step: string;
  runs: string | number;
  seed: string | number;
  maxPoints: string | number;
  wearPerHourPct: string | number;
  wearDoublingK: string | number;
  bearingLimitC: string | number;
  rampRpmPerS: string | number;
  limits: LimitConfig[];
  frictionUncertaintyPct: string | number;
  wearUncertaintyPct: string | number;
}

/** Scenarios kept for promotion: the latest run of each name, at most this many names. */
const REMEMBERED_SCENARIOS = 50;

/** A job waiting for, or being run by, the worker. */
interface Pending {
  job: WhatIfJob;
  msg: NodeMessageInFlow;
  send: SendFn;
  done: DoneFn;
}

export = function register(RED: NodeAPI): void {
  function TwinWhatIf(this: Node, config: TwinWhatIfConfig): void {
    RED.nodes.createNode(this, config);
    const found = findDefinition(RED, config.definition);
    const store: TwinStore | undefined = 'node' in found ? found.node.store : undefined;
    let configError = 'error' in found ? found.error : undefined;
    if ((config.model || 'centrifugal-pump') !== 'centrifugal-pump') configError ??= `unknown model "${config.model}"`;
    const horizon = parseDuration(config.horizon || '2 h', 'horizon');
    const step = parseDuration(config.step || '10 s', 'step');
    if (!horizon.ok) configError ??= horizon.reason;
    if (!step.ok) configError ??= step.reason;
    const defaults = {
      horizonS: horizon.ok ? horizon.value : 7200,
      stepS: step.ok ? step.value : 10,
      runs: Math.max(1, Math.round(numberSetting(config.runs, 1))),
      seed: Math.round(numberSetting(config.seed, 1)),
    };
    const forkOptions = {
      growthPerHour: Math.max(0, numberSetting(config.wearPerHourPct, 5)) / 100,
      doublingK: numberSetting(config.wearDoublingK, 15) > 0 ? numberSetting(config.wearDoublingK, 15) : Infinity,
      rampRpmPerS: Math.max(1, numberSetting(config.rampRpmPerS, 100)),
    };
    /**
     * Where the bearing's life ends: Bearing trips at, else the node's own bearingTemp operating limit, else 90 °C (the
     * simulated pump's trip). Never the twin definition's valid range: a sensor that reads up to 150 °C says nothing
     * of where the bearing trips, and taking it made every life far too long.
     */
    const bearingTrip = ((): number => {
      const own = numberSetting(config.bearingLimitC, NaN);
      return Number.isFinite(own) ? own : (operatingLimits(config.limits, []).find((l) => l.signal === 'bearingTemp')?.max ?? 90);
    })();
    const maxPoints = Math.min(5000, Math.max(2, Math.round(numberSetting(config.maxPoints, 200))));
    const uncertainty = {
      ...DEFAULT_UNCERTAINTY,
      friction: Math.max(0, numberSetting(config.frictionUncertaintyPct, DEFAULT_UNCERTAINTY.friction * 100)) / 100,
      wear: Math.max(0, numberSetting(config.wearUncertaintyPct, DEFAULT_UNCERTAINTY.wear * 100)) / 100,
    };

    /** Scenarios run here, by asset and name: a name alone may be one scenario for each pump ("optimum"). */
    const remembered = new Map<string, Scenario>();
    const rememberedKey = (assetId: string, name: string): string => `${assetId}\0${name}`;
    /** The latest optimisation's best setting, for `topic: "apply"`. */
    let latestOptimum: Scenario | undefined;
    const queue: Pending[] = [];
    let running: Pending | undefined;
    let worker: Worker | undefined;
    let nextId = 1;
    let closed = false;

    const setStatus = (fill: 'grey' | 'blue' | 'green' | 'red' | 'yellow', text: string, shape: 'dot' | 'ring' = 'dot'): void => this.status({ fill, shape, text: shortText(text) });
    if (configError) {
      this.error(configError);
      setStatus('red', RED._('twin-what-if.status.config'), 'ring');
    } else setStatus('grey', RED._('twin-what-if.status.ready'), 'ring');

    /** Every job still waiting gets its answer: an error for Catch nodes, so no message is left without done(). */
    const failAll = (reason: string): void => {
      const jobs = running ? [running, ...queue] : [...queue];
      running = undefined;
      queue.length = 0;
      for (const p of jobs) p.done(new Error(reason));
    };

    const remember = (scenario: Scenario): void => {
      const key = rememberedKey(scenario.assetId, scenario.name);
      remembered.delete(key);
      remembered.set(key, scenario);
      while (remembered.size > REMEMBERED_SCENARIOS) remembered.delete(remembered.keys().next().value!);
    };

    /** Sends a result, marked as what-if traffic so twin-actuator refuses it and twin-state never ingests it. */
    const sendResult = (pending: Pending, assetId: string, payload: Record<string, unknown>, table: unknown[]): void => {
      const msg = pending.msg;
      msg.scenario = true;
      msg.topic = assetId;
      msg.payload = payload;
      pending.send([msg, { topic: assetId, scenario: true, payload: table }, null]);
      pending.done();
    };

    const deliverScenarios = (pending: Pending, outcome: WhatIfOutcome, seconds: number): void => {
      for (const scenario of pending.job.kind === 'scenarios' ? pending.job.scenarios : []) remember(scenario);
      sendResult(pending, outcome.assetId, { kind: 'scenarios', ...outcome, seconds }, outcome.table);
      setStatus('green', RED._('twin-what-if.status.done', { count: String(outcome.scenarios.length), seconds: seconds.toFixed(2) }));
    };

    const deliverOptimum = (pending: Pending, outcome: OptimisationOutcome, seconds: number): void => {
      // An optimisation that found no safe setting leaves nothing to apply: never the optimum of an earlier one.
      latestOptimum = outcome.scenario ?? undefined;
      if (outcome.scenario) remember(outcome.scenario);
      const table = outcome.best ? [tableRow(outcome.baseline), { ...tableRow(outcome.best), scenario: `${outcome.name} (best)` }] : [tableRow(outcome.baseline)];
      sendResult(pending, outcome.assetId, { kind: 'optimisation', ...outcome, seconds }, table);
      if (outcome.best) {
        const values = Object.entries(outcome.best.values).map(([path, v]) => `${path.split('.').pop()} ${v}`).join(', ');
        setStatus('green', RED._('twin-what-if.status.optimum', { values }));
      } else setStatus('yellow', RED._('twin-what-if.status.infeasible'), 'ring');
    };

    const startWorker = (): Worker => {
      const w = new Worker(join(__dirname, 'what-if-worker.js'));
      w.on('message', (answer: WhatIfAnswer) => {
        const pending = running;
        if (!pending || pending.job.id !== answer.id) return;
        if ('progress' in answer) {
          const { done, total } = answer.progress;
          setStatus('blue', RED._('twin-what-if.status.optimising', { done: String(done), total: String(total) }));
          pending.send([{ topic: pending.job.fork.assetId, scenario: true, payload: { kind: 'progress', done, total } }, null, null]);
          return;
        }
        running = undefined;
        if (answer.ok && answer.kind === 'scenarios') deliverScenarios(pending, answer.value, answer.seconds);
        else if (answer.ok) deliverOptimum(pending, answer.value, answer.seconds);
        else {
          setStatus('red', RED._('twin-what-if.status.error', { reason: answer.reason }));
          pending.done(new Error(answer.reason));
        }
        next();
      });
      w.on('error', (err) => {
        if (worker !== w) return;
        worker = undefined;
        setStatus('red', RED._('twin-what-if.status.error', { reason: errorMessage(err) }));
        failAll(`the what-if worker failed: ${errorMessage(err)}`);
      });
      w.on('exit', (code) => {
        if (worker !== w) return;
        worker = undefined;
        if (!closed && running) failAll(`the what-if worker stopped (exit code ${code})`);
      });
      return w;
    };

    const next = (): void => {
      if (running || closed) return;
      const pending = queue.shift();
      if (!pending) return;
      running = pending;
      // From the start of a new optimisation until its answer, "apply" has no optimum (it could only be the old one).
      if (pending.job.kind === 'optimise') latestOptimum = undefined;
      worker ??= startWorker();
      setStatus('blue', pending.job.kind === 'scenarios' ? RED._('twin-what-if.status.running', { count: String(pending.job.scenarios.length) }) : RED._('twin-what-if.status.optimising', { done: '0', total: '…' }));
      worker.postMessage(pending.job);
    };

    /**
     * The scenario a promote or apply names. With `assetId`, only that pump's: a dashboard showing another pump than
     * the last run must never send the last run's setpoint to the pump on screen. Without it, the name must be unique.
     */
    const scenarioToPromote = (payload: Record<string, unknown> | string | undefined, apply: boolean): { scenario: Scenario } | { reason: string } => {
      const name = typeof payload === 'string' ? payload : typeof payload?.name === 'string' ? payload.name : '';
      const given = typeof payload === 'object' && payload !== null ? payload.assetId : undefined;
      if (given !== undefined && typeof given !== 'string') return { reason: `assetId must be a pump's id (text), got ${JSON.stringify(given)}` };
      const assetId = given;
      if (apply) {
        if (!latestOptimum) return { reason: 'the latest optimisation found no safe setting (or none has finished here yet): nothing to apply' };
        if (assetId !== undefined && latestOptimum.assetId !== assetId) return { reason: `the latest optimisation was for ${latestOptimum.assetId}, not ${assetId}: optimise ${assetId} first` };
        return { scenario: latestOptimum };
      }
      if (name === '') return { reason: `no scenario named: run one${assetId === undefined ? '' : ` for ${assetId}`} first, then promote it by its name` };
      if (assetId !== undefined) {
        const scenario = remembered.get(rememberedKey(assetId, name));
        return scenario ? { scenario } : { reason: `no scenario named ${JSON.stringify(name)} has been run for ${assetId} here; run it first, then promote it` };
      }
      const named = [...remembered.values()].filter((s) => s.name === name);
      if (named.length === 0) return { reason: `no scenario named ${JSON.stringify(name)} has been run here; run it first, then promote it` };
      if (named.length > 1) return { reason: `scenario ${JSON.stringify(name)} has been run for ${named.map((s) => s.assetId).join(', ')}: say which with payload.assetId` };
      return { scenario: named[0]! };
    };

    const promote = (msg: NodeMessageInFlow, send: SendFn, done: DoneFn, apply: boolean): void => {
      const payload = msg.payload as Record<string, unknown> | string | undefined;
      const found = scenarioToPromote(payload, apply);
      if ('reason' in found) {
        done(new Error(found.reason));
        return;
      }
      const { scenario } = found;
      const commands = promoteScenario(scenario);
      if (!commands.ok) {
        done(new Error(commands.reason));
        return;
      }
      const user = typeof payload === 'object' && typeof payload.user === 'string' ? { user: payload.user } : {};
      // Fresh messages without the scenario mark: real commands, for twin-actuator's guards (and its confirmation).
      send([null, null, commands.value.map((c) => ({ topic: c.assetId, payload: { ...c, ...user } }))]);
      setStatus('green', RED._('twin-what-if.status.promoted', { name: scenario.name }));
      done();
    };

    this.on('input', (msg: NodeMessageInFlow, send: SendFn, done: DoneFn) => {
      if (configError || !store) {
        done(new Error(configError ?? 'no twin definition'));
        return;
      }
      try {
        const topic = typeof msg.topic === 'string' ? msg.topic.toLowerCase() : '';
        if (topic === 'promote' || topic === 'apply') {
          promote(msg, send, done, topic === 'apply');
          return;
        }
        if (topic === 'cancel') {
          const w = worker;
          worker = undefined;
          failAll('cancelled');
          void w?.terminate();
          setStatus('yellow', RED._('twin-what-if.status.cancelled'), 'ring');
          done();
          return;
        }
        const optimise = topic === 'optimise' || topic === 'optimize';
        const optimisation = optimise ? parseOptimisation(msg.payload, defaults) : undefined;
        const scenarios = optimise ? undefined : parseScenarios(msg.payload, defaults);
        if (optimisation && !optimisation.ok) throw new Error(optimisation.reason);
        if (scenarios && !scenarios.ok) throw new Error(scenarios.reason);
        const assetId = optimisation?.ok ? optimisation.value.assetId : scenarios?.ok ? scenarios.value[0]!.assetId : '';
        if (!store.has(assetId)) throw new Error(`unknown asset "${assetId}": the twin has no such asset`);
        const limits = operatingLimits(config.limits, store.definition.signals);
        // The fork reads a snapshot (a copy): nothing a scenario does can reach the live twin. Its statistics give the
        // mean speed, the baseline's setpoint when no command set one.
        const fork = forkPump(store.snapshot(assetId, { statistics: true }), { ...forkOptions, limitC: bearingTrip });
        if (!fork.ok) throw new Error(fork.reason);
        const settings: WhatIfSettings = { limits, maxPoints, uncertainty };
        const id = nextId++;
        const job: WhatIfJob = optimisation?.ok ? { id, kind: 'optimise', fork: fork.value, optimisation: optimisation.value, settings } : { id, kind: 'scenarios', fork: fork.value, scenarios: scenarios!.ok ? scenarios!.value : [], settings };
        queue.push({ job, msg, send, done });
        next();
      } catch (err) {
        setStatus('red', RED._('twin-what-if.status.error', { reason: errorMessage(err) }));
        done(new Error(errorMessage(err)));
      }
    });

    this.on('close', (done: () => void) => {
      closed = true;
      const w = worker;
      worker = undefined;
      failAll('the what-if node was stopped before the scenario finished');
      if (w) void w.terminate().then(() => done(), () => done());
      else done();
    });
  }
  RED.nodes.registerType('twin-what-if', TwinWhatIf);
};
