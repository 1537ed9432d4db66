import { readFile } from 'node:fs/promises';
import { isAbsolute, resolve } from 'node:path';
import { CmapssReplay, parseCmapss, parseUnitSelection, type CmapssReplayOptions as ReplayOptions } from '../../core/cmapss.js';
import { FaultInjector, parseFault, type FaultSpec } from '../../core/fault-injection.js';
import { PumpSimulator } from '../../core/pump-simulator.js';
import {
  errorMessage,
  numberSetting,
  shortText,
  type DoneFn,
  type Node,
  type NodeAPI,
  type NodeDef,
  type NodeMessage,
  type NodeMessageInFlow,
  type SendFn,
} from '../shared/node-red.js';
import { PumpFleet, ReplayFleet, type SimulatedFleet } from './fleets.js';

type Model = 'centrifugal-pump' | 'cmapss-replay';

interface TwinSimulatorConfig extends NodeDef {
  model?: string;
  assetCount: string | number;
  assetPrefix: string;
  intervalMs: string | number;
  timeScale: string | number;
  seed: string | number;
  speed: string | number;
  frictionGrowth: string | number;
  noise: string | number;
  autoStart: boolean;
  /** C-MAPSS replay (added in 0.2; absent in older saved flows). */
  file?: string;
  units?: string;
  cyclesPerTick?: string | number;
  loop?: boolean;
  /** Faults active from the start (added in 0.2). */
  faults?: unknown[];
}

/** Shortest tick: below it Node-RED spends its time on timers, not on the flow. */
const MIN_INTERVAL_MS = 10;
const MAX_ASSETS = 10_000;
/** Faults draw from their own random stream, so switching one on does not change the pumps' own noise. */
const FAULT_SEED_OFFSET = 0x5eed;

/** Reads the editor's fault list; every bad row is named. */
function configuredFaults(raw: unknown[] | undefined): { faults: FaultSpec[]; errors: string[] } {
  const faults: FaultSpec[] = [];
  const errors: string[] = [];
  (raw ?? []).forEach((entry, i) => {
    const parsed = parseFault(entry);
    if (parsed.ok) faults.push(parsed.value);
    else errors.push(`fault ${i + 1}: ${parsed.reason}`);
  });
  return { faults, errors };
}

export = function register(RED: NodeAPI): void {
  function TwinSimulator(this: Node, config: TwinSimulatorConfig): void {
    RED.nodes.createNode(this, config);
    // Flows saved before the replay existed have no model (or the pump): they keep running the pump.
    const model: Model = config.model === 'cmapss-replay' ? 'cmapss-replay' : 'centrifugal-pump';
    const prefix = config.assetPrefix || (model === 'cmapss-replay' ? 'engine-' : 'pump-');
    const intervalMs = Math.max(MIN_INTERVAL_MS, numberSetting(config.intervalMs, 1000));
    const timeScale = Math.max(0, numberSetting(config.timeScale, 1));
    const seed = Math.round(numberSetting(config.seed, 1));
    const faults = new FaultInjector({ seed: seed + FAULT_SEED_OFFSET, exempt: ['cycle'] });
    const initialFaults = configuredFaults(config.faults);

    let fleet: SimulatedFleet | undefined;
    /** Why there is no fleet: loading, or the sentence that explains the failure. */
    let notReady = RED._('twin-simulator.status.loading');
    let failed = false;
    let closed = false;
    let timer: NodeJS.Timeout | undefined;
    let simSeconds = 0;

    const showStatus = (): void => {
      if (failed) {
        this.status({ fill: 'red', shape: 'ring', text: shortText(notReady) });
      } else if (!fleet) {
        this.status({ fill: 'grey', shape: 'ring', text: notReady });
      } else if (!fleet.running) {
        this.status({ fill: 'blue', shape: 'dot', text: RED._('twin-simulator.status.finished') });
      } else if (timer) {
        const n = fleet.activeAssets;
        const assets = RED._(`twin-simulator.status.${model === 'cmapss-replay' ? 'engine' : 'pump'}${n === 1 ? '' : 's'}`, { n });
        const count = faults.active.length;
        const text =
          count > 0
            ? RED._('twin-simulator.status.running-faults', { assets, faults: RED._(count === 1 ? 'twin-simulator.status.fault' : 'twin-simulator.status.faults', { n: count }) })
            : RED._('twin-simulator.status.running', { assets });
        this.status({ fill: faults.active.length > 0 ? 'yellow' : 'green', shape: 'dot', text });
      } else {
        this.status({ fill: 'grey', shape: 'ring', text: RED._('twin-simulator.status.stopped') });
      }
    };

    // Catch nodes are wired up only once the whole flow has started: a problem found while this node is being
    // built waits for that, so a Catch node on the tab sees it. (A listener only for such nodes: one per simulator
    // would trip Node's warning about more than ten listeners.)
    let building = true;
    const onFlowsStarted = (): void => {
      if (!closed) report(notReady);
    };
    const report = (reason: string): void => {
      if (building) {
        RED.events.once('flows:started', onFlowsStarted);
        return;
      }
      this.error(reason, { topic: 'error', payload: { model, file: config.file ?? '' } });
    };

    /** A configuration or file problem: red status and an error a Catch node sees (this node may have no input). */
    const fail = (reason: string): void => {
      failed = true;
      notReady = reason;
      stop();
      report(reason);
    };

    const tick = (): void => {
      if (!fleet?.running) return;
      // The replay's hours (for drift) are replay time; the pump's run faster with the speed-up.
      const dt = (intervalMs / 1000) * (model === 'centrifugal-pump' ? timeScale : 1);
      simSeconds += dt;
      const { telemetry, events } = fleet.step(Date.now(), dt, faults, simSeconds);
      const readings: NodeMessage[] = telemetry.map((t) => ({ topic: t.assetId, payload: t }));
      const notices: NodeMessage[] = events.map((e) => ({ topic: e.type, payload: e }));
      if (readings.length > 0 || notices.length > 0) this.send([readings, notices]);
      if (!fleet.running) stop();
    };
    const start = (): void => {
      if (!timer && fleet?.running) timer = setInterval(tick, intervalMs);
      showStatus();
    };
    function stop(): void {
      if (timer) clearInterval(timer);
      timer = undefined;
      showStatus();
    }

    const ready = (built: SimulatedFleet): void => {
      for (const spec of initialFaults.faults) {
        const problem = checkTarget(built, spec);
        if (problem !== undefined) return fail(`configured fault ${spec.fault}: ${problem}`);
        faults.add(spec, 0);
      }
      fleet = built;
      if (config.autoStart === false) showStatus();
      else start();
    };

    this.on('input', (msg: NodeMessageInFlow, _send: SendFn, done: DoneFn) => {
      try {
        const problem = handleCommand(msg);
        showStatus();
        done(problem === undefined ? undefined : new Error(problem));
      } catch (err) {
        // A broken invariant in the core: report it for Catch nodes, keep the runtime alive.
        done(new Error(errorMessage(err)));
      }
    });

    /** Carries out one input message; returns the reason when it cannot. */
    const handleCommand = (msg: NodeMessageInFlow): string | undefined => {
      if (!fleet) return failed ? notReady : `not ready yet: ${notReady}`;
      const command = typeof msg.topic === 'string' ? msg.topic.toLowerCase() : '';
      const payload = msg.payload;
      const object = typeof payload === 'object' && payload !== null ? (payload as Record<string, unknown>) : undefined;
      if (command === 'start') {
        // A finished replay has nothing left to send: say so, rather than a start that silently does nothing.
        if (!fleet.running) return 'the replay has finished: send rewind, then start, to play it again from the first cycle';
        start();
      } else if (command === 'stop') stop();
      // One step on demand: for tests and for stepping through a demo by hand.
      else if (command === 'tick') tick();
      else if (command === 'rewind') return rewind(fleet);
      else if (command === 'replace-bearing') return replaceBearing(fleet, payload);
      else if (command === 'fault' || (object !== undefined && 'fault' in object)) return applyFaultCommand(fleet, payload);
      else return applySpeed(fleet, command, payload, msg);
      return undefined;
    };

    const rewind = (current: SimulatedFleet): string | undefined => {
      if (!(current instanceof ReplayFleet)) return 'rewind applies to the C-MAPSS replay only';
      current.rewind();
      return undefined;
    };

    /** Maintenance done on a simulated pump: a new bearing (topic replace-bearing, payload { assetId } or the id). */
    const replaceBearing = (current: SimulatedFleet, payload: unknown): string | undefined => {
      if (!(current instanceof PumpFleet)) return 'replace-bearing applies to the pump model only';
      const assetId = typeof payload === 'string' ? payload : typeof payload === 'object' && payload !== null ? (payload as { assetId?: unknown }).assetId : undefined;
      // One pump at a time, named: a slip must never renew every bearing of the fleet.
      if (typeof assetId !== 'string' || assetId === '') return 'replace-bearing needs the pump: payload { assetId } or the asset id as text';
      const pump = current.pumps.find((p) => p.assetId === assetId);
      if (!pump) return unknownAsset(assetId, current);
      pump.replaceBearing();
      return undefined;
    };

    const applyFaultCommand = (current: SimulatedFleet, payload: unknown): string | undefined => {
      const list = Array.isArray(payload) ? (payload as unknown[]) : [payload];
      for (const item of list) {
        const problem = applyOneFault(current, item);
        if (problem !== undefined) return problem;
      }
      return undefined;
    };

    const applyOneFault = (current: SimulatedFleet, item: unknown): string | undefined => {
      const raw = typeof item === 'object' && item !== null ? (item as Record<string, unknown>) : {};
      const unknownTarget = checkTarget(current, raw);
      if (unknownTarget !== undefined) return unknownTarget;
      if (raw.fault === 'clear') {
        const filter: { assetId?: string; signal?: string } = {};
        if (typeof raw.assetId === 'string' && raw.assetId !== '') filter.assetId = raw.assetId;
        if (typeof raw.signal === 'string' && raw.signal !== '') filter.signal = raw.signal;
        faults.clear(filter);
        return undefined;
      }
      const parsed = parseFault(item);
      if (!parsed.ok) return parsed.reason;
      faults.add(parsed.value, simSeconds);
      return undefined;
    };

    /** Says why a fault does not fit this simulator: an asset or signal it does not have, friction on a replay. */
    const checkTarget = (current: SimulatedFleet, { fault, assetId, signal }: { fault?: unknown; assetId?: unknown; signal?: unknown }): string | undefined => {
      if (fault === 'friction' && !(current instanceof PumpFleet)) return 'a friction fault applies to the pump model only';
      if (typeof assetId === 'string' && assetId !== '' && !current.assetIds.includes(assetId)) {
        return unknownAsset(assetId, current);
      }
      if (typeof signal === 'string' && signal !== '') {
        if (current.exempt.includes(signal)) return `"${signal}" is the replay's cycle counter, not a sensor: faults do not apply to it`;
        if (!current.signals.includes(signal)) return `unknown signal "${signal}": the signals are ${current.signals.join(', ')}`;
      }
      return undefined;
    };

    const applySpeed = (current: SimulatedFleet, command: string, payload: unknown, msg: NodeMessageInFlow): string | undefined => {
      // A speed setpoint: topic "speed" with a number, or { assetId?, speed } (from a dashboard or the actuator).
      let speed: unknown;
      let assetId: unknown;
      if (command === 'speed' && typeof payload === 'number') {
        speed = payload;
        assetId = msg.assetId;
      } else if (typeof payload === 'object' && payload !== null && 'speed' in payload) {
        speed = (payload as Record<string, unknown>).speed;
        assetId = (payload as Record<string, unknown>).assetId;
      } else {
        return 'expected topic start, stop or tick (or rewind, fault, replace-bearing), or a speed setpoint: topic "speed" with a number, or { assetId, speed }';
      }
      if (!(current instanceof PumpFleet)) return 'the C-MAPSS replay plays recorded engines: it takes no speed setpoint';
      if (typeof speed !== 'number' || !Number.isFinite(speed) || speed < 0) {
        return `speed setpoint must be a number of rpm ≥ 0, got ${JSON.stringify(speed)}`;
      }
      const targets = assetId === undefined ? current.pumps : current.pumps.filter((p) => p.assetId === assetId);
      if (targets.length === 0) return unknownAsset(assetId, current);
      for (const pump of targets) pump.setSpeedSetpoint(speed);
      return undefined;
    };

    this.on('close', (done: () => void) => {
      closed = true;
      RED.events.removeListener('flows:started', onFlowsStarted);
      stop();
      done();
    });

    const build = (): void => {
      if (initialFaults.errors.length > 0) return fail(initialFaults.errors.join('; '));
      if (model === 'centrifugal-pump') return ready(buildPumps(config, prefix, seed));
      const replaySettings = readReplaySettings(config, prefix, intervalMs);
      if (!replaySettings.ok) return fail(replaySettings.reason);
      showStatus();
      loadReplay(replaySettings.path, replaySettings.options);
    };

    const loadReplay = (path: string, options: ReplayOptions): void => {
      readFile(path, 'utf8').then(
        (text) => {
          if (closed) return;
          const dataset = parseCmapss(text);
          if (!dataset.ok) return fail(`C-MAPSS file ${path}: ${dataset.reason}`);
          const replay = CmapssReplay.create(dataset.value, options);
          if (!replay.ok) return fail(`C-MAPSS file ${path}: ${replay.reason}`);
          ready(new ReplayFleet(replay.value));
        },
        (err: NodeJS.ErrnoException) => {
          if (closed) return;
          const why = err.code === 'ENOENT' ? 'not found' : errorMessage(err);
          fail(`cannot read C-MAPSS file ${path}: ${why}`);
        },
      );
    };

    try {
      build();
    } finally {
      building = false;
    }
  }

  function buildPumps(config: TwinSimulatorConfig, prefix: string, seed: number): PumpFleet {
    const assetCount = Math.min(MAX_ASSETS, Math.max(1, Math.round(numberSetting(config.assetCount, 1))));
    const pumps: PumpSimulator[] = [];
    for (let i = 0; i < assetCount; i++) {
      pumps.push(
        new PumpSimulator({
          assetId: `${prefix}${i + 1}`,
          seed: seed + i,
          speedSetpointRpm: numberSetting(config.speed, 1480),
          frictionGrowthPerHour: numberSetting(config.frictionGrowth, 5) / 100,
          noise: numberSetting(config.noise, 0.5) / 100,
        }),
      );
    }
    return new PumpFleet(pumps);
  }

  type ReplaySettings = { ok: true; path: string; options: ReplayOptions } | { ok: false; reason: string };

  function readReplaySettings(config: TwinSimulatorConfig, prefix: string, intervalMs: number): ReplaySettings {
    const file = (config.file ?? '').trim();
    if (file === '') return { ok: false, reason: 'no C-MAPSS file is set (e.g. the path of train_FD001.txt)' };
    // A relative path is relative to Node-RED's user directory, where a user keeps data files beside flows.
    const path = isAbsolute(file) ? file : resolve(RED.settings.userDir ?? process.cwd(), file);
    const units = parseUnitSelection(config.units ?? '');
    if (!units.ok) return units;
    const cycles = numberSetting(config.cyclesPerTick, 1);
    if (!Number.isInteger(cycles) || cycles < 1) return { ok: false, reason: `cycles per tick must be a whole number of 1 or more, got ${String(config.cyclesPerTick)}` };
    if (cycles > intervalMs) {
      // Each cycle of an engine gets its own millisecond timestamp, ending at the tick's wall-clock time.
      return { ok: false, reason: `at most one cycle per millisecond of interval: ${cycles} cycles need an interval of ${cycles} ms or more` };
    }
    const options = { assetPrefix: prefix, cyclesPerTick: cycles, loop: config.loop === true, ...(units.value ? { units: units.value } : {}) };
    return { ok: true, path, options };
  }

  RED.nodes.registerType('twin-simulator', TwinSimulator);
};

function describeAssets(ids: readonly string[]): string {
  if (ids.length <= 3) return ids.join(', ');
  return `${ids[0]} … ${ids[ids.length - 1]} (${ids.length} assets)`;
}

/** Why a command naming an asset this simulator does not run is refused (faults, speed, replace-bearing). */
function unknownAsset(assetId: unknown, fleet: SimulatedFleet): string {
  return `unknown asset "${String(assetId)}": this simulator runs ${describeAssets(fleet.assetIds)}`;
}
