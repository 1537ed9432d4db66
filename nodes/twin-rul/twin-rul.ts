import { existsSync } from 'node:fs';
import { mkdir, readFile } from 'node:fs/promises';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { Worker } from 'node:worker_threads';
import { EstimateBuffers } from '../../core/rul/buffers.js';
import { knownRuns, learnRuns } from '../../core/rul/learn.js';
import { MODELS_FOLDER, modelNameFrom } from '../../core/rul/model-file.js';
import { DEFAULT_RUL_METHOD, isRulMethod, parseRulModel, predictRul, requiredSignals, settingsOutsideTraining, type RulMethod, type RulModel, type SettingOutsideTraining } from '../../core/rul/model.js';
import { completedRuns, historyStamp, lastPartReplacement, runId, stampHolds, type CompletedRun, type RefusedRun } from '../../core/rul/twin-history.js';
import { cloneJson } from '../../core/json-clone.js';
import { readableLife } from '../../core/units.js';
import type { MaintenanceEntry, TwinStore } from '../../core/twin-store.js';
import { findDefinition } from '../shared/definition.js';
import { errorMessage, numberSetting, shortText, type DoneFn, type Node, type NodeAPI, type NodeDef, type NodeMessage, type NodeMessageInFlow, type SendFn } from '../shared/node-red.js';
import { ThrottledStatus } from '../shared/throttled-status.js';
import { registerModelRoutes, writeModelFile } from './model-route.js';
import { runLibraryOf } from './run-library.js';
import type { TrainJob, TrainMessage, TrainResult } from './train-job.js';

interface TwinRulConfig extends NodeDef {
  definition: string;
  method: string;
  /** JSON model file, absolute or relative to the Node-RED user directory; empty: the packaged C-MAPSS FD001 model. */
  modelFile: string;
  /** Horizon (in the model's unit) of the reported probability of failure. */
  horizon: string | number;
  /** Plant seconds per second of telemetry time (a simulation running faster than the plant), for the reading-rate check. */
  timeScale?: string | number;
}

/** How far an asset's reading interval may be from the model's (a share of it) before the estimate is flagged. */
const READING_INTERVAL_TOLERANCE = 0.2;
/** Spacings looked at for an asset's typical reading interval: the newest ones, enough for a median that ignores a stop. */
const SPACINGS_SAMPLED = 31;

/** The trained model shipped with the package (C-MAPSS FD001, every method). */
const PACKAGED_MODEL = join(__dirname, '..', '..', '..', 'models', 'cmapss-fd001-gbt.json');

/** What an asset's maintenance log taught: runs learned now, and failures that cannot be learned. */
interface Learned {
  added: readonly CompletedRun[];
  refused: readonly RefusedRun[];
}
/** Nothing new: one shared answer (it is the answer to almost every estimate), never changed. */
const NOTHING_LEARNED: Learned = Object.freeze({ added: Object.freeze([]), refused: Object.freeze([]) });

export = function register(RED: NodeAPI): void {
  const userDir = (): string => (RED.settings as { userDir?: string }).userDir ?? process.cwd();
  const inUserDir = (file: string): string => (isAbsolute(file) ? file : resolve(userDir(), file));
  registerModelRoutes(RED, userDir);

  function TwinRul(this: Node, config: TwinRulConfig): void {
    RED.nodes.createNode(this, config);
    const found = findDefinition(RED, config.definition);
    const definition = 'node' in found ? found.node : undefined;
    const store: TwinStore | undefined = definition?.store;
    const runs = definition && store ? runLibraryOf(definition) : undefined;
    const method: RulMethod = isRulMethod(config.method) ? config.method : DEFAULT_RUL_METHOD;
    const horizon = Math.max(0, numberSetting(config.horizon, 20));
    const timeScale = numberSetting(config.timeScale, 1) > 0 ? numberSetting(config.timeScale, 1) : 1;
    const modelPath = config.modelFile?.trim() ? inUserDir(config.modelFile.trim()) : PACKAGED_MODEL;
    let model: RulModel | undefined;
    let modelError: string | undefined;
    /** The library revision the model has taken in. */
    let appliedRevision = -1;
    let worker: Worker | undefined;
    /** Answers the message of the training in progress when the node closes. */
    let stopTraining: (() => void) | undefined;
    let closed = false;
    // Estimates run one at a time (synchronously), so one set of arrays serves every asset.
    const buffers = new EstimateBuffers();
    /** Per asset, the last estimate sent and what it was computed from (`historyStamp`) with which model. */
    const lastEstimates = new Map<string, { model: RulModel; stamp: number[]; stored: Readonly<Record<string, unknown>> }>();
    /**
     * Per asset, its maintenance log as last read: asked on every estimate, read again only when its revision
     * (`TwinStore.maintenanceRevision`) changed. `since`: where the current life starts; `searched`: its failures have
     * been turned into runs (set once the search went through: one that threw is tried again with the next estimate).
     */
    const logs = new Map<string, { revision: number; since: number | undefined; searched: boolean }>();
    const logOf = (store: TwinStore, assetId: string): { revision: number; since: number | undefined; searched: boolean } => {
      const revision = store.maintenanceRevision(assetId);
      let log = logs.get(assetId);
      if (log?.revision !== revision) {
        log = { revision, since: lastPartReplacement(store, assetId), searched: false };
        logs.set(assetId, log);
      }
      return log;
    };

    type Fill = 'green' | 'yellow' | 'red' | 'grey' | 'blue';
    const statusOf = (fill: Fill, key: string, values: Record<string, string | number>) =>
      ({ fill, shape: fill === 'green' || fill === 'blue' ? 'dot' : 'ring', text: RED._(`twin-rul.status.${key}`, values) }) as const;
    // Statuses of single estimates come once a second at most: at thousands of messages a second, a status (message
    // catalog lookup, an event to the editor) per estimate cost more than the write into the twin.
    const shown = new ThrottledStatus(this);
    const status = (fill: Fill, key: string, values: Record<string, string | number> = {}) => shown.now(statusOf(fill, key, values));
    const estimateStatus = (fill: Fill, key: string, values: Record<string, string | number>) => shown.perMessage(() => statusOf(fill, key, values));

    if ('error' in found) {
      this.error(found.error);
      status('red', 'no-definition');
    } else status('grey', 'loading');

    const readModel: Promise<void> = readFile(modelPath, 'utf8').then(
      (text) => {
        const parsed = parseRulModel(text);
        if (!parsed.ok) throw new Error(parsed.reason);
        model = parsed.value;
      },
      (err: unknown) => {
        throw new Error(`cannot read the RUL model ${modelPath}: ${errorMessage(err)}`);
      },
    );
    // `loaded` never rejects: a model that failed to load is reported by estimate() through done(err).
    const loaded: Promise<void> = Promise.all([readModel, runs?.loaded]).then(
      () => {
        takeInLearnedRuns();
        if (store) status('grey', 'ready', { method });
      },
      (err: unknown) => {
        modelError = errorMessage(err);
        if (!closed) {
          this.error(modelError);
          status('red', 'error', { reason: shortText(modelError) });
        }
      },
    );

    /**
     * Adds the twin's completed runs the model does not know yet to its similarity library and degradation prior.
     * The model is replaced by a new object, never changed in place: an estimate always sees one whole model.
     */
    const takeInLearnedRuns = (): void => {
      if (!model || !runs || appliedRevision === runs.revision) return;
      appliedRevision = runs.revision;
      const known = knownRuns(model);
      const fresh = runs.library.runs.filter((r) => !known.has(r.id));
      if (fresh.length === 0) return;
      const learned = learnRuns(model, fresh);
      model = learned.model;
      for (const r of learned.refused) this.warn(`completed run ${r.id} not learned: ${r.reason}`);
    };

    /**
     * Turns the asset's logged failures into completed runs (each once), keeps them in the twin's run library and
     * takes them into the model. @returns the runs learned now, and the failures that cannot be learned (warned once)
     */
    const learnFailures = (assetId: string): Learned => {
      if (!store || !runs) return NOTHING_LEARNED;
      // Asked on every estimate: a log searched before and unchanged since holds no new failure (and the search copies
      // the whole log, which grows with the years).
      const log = logOf(store, assetId);
      if (log.searched) return NOTHING_LEARNED;
      const found = completedRuns(store, assetId, (id) => runs.has(id) || runs.refused.has(id));
      log.searched = true;
      for (const r of found.refused) {
        runs.refused.add(r.id);
        this.warn(`the failure of ${r.assetId} (${r.id}) is not learned: ${r.reason}`);
      }
      const added = definition ? runs.add(found.runs, definition) : [];
      if (added.length > 0) {
        takeInLearnedRuns();
        const last = added[added.length - 1]!;
        status('blue', 'learned', { asset: last.assetId, cycles: last.cycles, runs: runs.library.runs.length });
      }
      return { added, refused: found.refused };
    };

    const learnedMessage = (added: readonly CompletedRun[]): NodeMessage => ({
      topic: 'learned',
      payload: {
        runs: added.map((r) => ({ id: r.id, assetId: r.assetId, cycles: r.cycles, startedAt: r.startedAt, failedAt: r.failedAt, ...(r.part ? { part: r.part } : {}) })),
        library: runs?.library.runs.length ?? 0,
        similarityLibrary: model?.similarity.library.length ?? 0,
      },
    });

    // A failure logged through twin-state is learned at once, whether or not this node is wired after it.
    const onMaintenance = (assetId: string, entry: MaintenanceEntry): void => {
      if (entry.kind !== 'failure' || closed) return;
      void loaded.then(() => {
        if (closed) return;
        const { added } = learnFailures(assetId);
        if (added.length > 0) this.send(learnedMessage(added));
      });
    };
    definition?.events.on('maintenance', onMaintenance);
    // Set before any waiting message's handler runs (the first callback on `loaded`): later messages need not wait.
    let isLoaded = false;
    // Should `loaded` fail after all, messages keep waiting on it and each gets the error through Catch.
    void loaded.then(
      () => {
        isLoaded = true;
      },
      () => undefined,
    );

    this.on('input', (msg: NodeMessageInFlow, send: SendFn, done: DoneFn) => {
      const command = typeof msg.topic === 'string' ? msg.topic.toLowerCase() : '';
      const handler = command === 'train' || command === 'retrain' ? () => train(command, msg, send, done) : command === 'learn' ? () => learn(msg, send, done) : () => estimate(msg, send, done);
      // Whatever a handler did not foresee still answers its message, with the error, instead of leaving it open.
      const unforeseen = (err: unknown): void => {
        status('red', 'error', { reason: shortText(errorMessage(err)) });
        done(new Error(errorMessage(err)));
      };
      if (!isLoaded) {
        loaded.then(handler).catch(unforeseen);
        return;
      }
      // Once the model is read, at once: no promise and no extra turn per message at thousands a second.
      try {
        handler();
      } catch (err) {
        unforeseen(err);
      }
    });

    /**
     * The estimate goes on in the incoming message, as Node-RED nodes do: its other properties (a correlation id, say)
     * stay. Its payload is a copy of the twin's stored estimate, so a flow that changes it never changes the twin.
     */
    const answer = (msg: NodeMessageInFlow, assetId: string, stored: Readonly<Record<string, unknown>>, send: SendFn): void => {
      msg.topic = assetId;
      msg.payload = { assetId, ...cloneJson(stored) };
      send(msg);
    };

    const modelName = config.modelFile?.trim() ? config.modelFile.trim() : 'packaged with this node (C-MAPSS FD001 engines)';
    /** Assets warned of already: their life is longer than the twin's history. */
    const warnedCut = new Set<string>();
    /**
     * True when a history the estimate reads let go of readings of the current life (History in the twin definition
     * is shorter than the life so far): the model then reads a younger asset than it is, and its estimate is wrong.
     * Warned once per asset, with the setting to change; the estimate carries `historyCut: true`.
     */
    const lifeCut = (store: TwinStore, assetId: string, names: readonly string[], since: number | undefined): boolean => {
      // A life starts after `since` (the replacement's time): a reading at that time belongs to the life before.
      const lifeStart = since ?? -Infinity;
      let cut = false;
      for (const name of names) if (store.historyDroppedUpTo(assetId, name) > lifeStart) cut = true;
      if (cut && !warnedCut.has(assetId)) {
        warnedCut.add(assetId);
        const { historyPoints, historyMaxAgeMs } = store.definition;
        const limit = historyMaxAgeMs === undefined ? `${historyPoints} readings` : `${historyPoints} readings and ${historyMaxAgeMs / 3_600_000} h`;
        this.warn(RED._('twin-rul.warnings.history-cut', { asset: assetId, limit }));
      }
      if (!cut) warnedCut.delete(assetId);
      return cut;
    };

    /** Assets warned of already: their readings come at another rate than the model's. */
    const warnedRate = new Set<string>();
    const spacings = new Float64Array(SPACINGS_SAMPLED);
    /**
     * The model counts readings: an asset read twice as often looks twice as old to it. When the model states its
     * reading interval, the asset's typical one (the median of its newest spacings, so a stop does not count) in plant
     * seconds must be within READING_INTERVAL_TOLERANCE of it; else warned once per asset and flagged on the estimate.
     */
    const readingRate = (assetId: string, ts: Float64Array, modelSeconds: number | undefined): { seconds: number; modelSeconds: number } | undefined => {
      if (modelSeconds === undefined || ts.length < 3) return undefined;
      const n = Math.min(SPACINGS_SAMPLED, ts.length - 1);
      for (let i = 0; i < n; i++) spacings[i] = ts[ts.length - 1 - i]! - ts[ts.length - 2 - i]!;
      const sorted = spacings.subarray(0, n).sort();
      const seconds = (sorted[n >> 1]! / 1000) * timeScale;
      const ratio = seconds / modelSeconds;
      if (Math.abs(ratio - 1) <= READING_INTERVAL_TOLERANCE) {
        warnedRate.delete(assetId);
        return undefined;
      }
      const shown = { seconds: Math.round(seconds * 100) / 100, modelSeconds };
      if (!warnedRate.has(assetId)) {
        warnedRate.add(assetId);
        this.warn(RED._('twin-rul.warnings.reading-interval', { asset: assetId, ...shown, timeScale }));
      }
      return shown;
    };

    /** Assets warned of already: they run at settings the model was not trained at. */
    const warnedOutside = new Set<string>();
    /**
     * Operating settings (the pump's speed) outside what the model learned from: warned once per asset (again after
     * it came back inside), and flagged on the estimate, whose interval does not know it extrapolates.
     */
    const trainingConditions = (assetId: string, columns: Record<string, ArrayLike<number>>): readonly SettingOutsideTraining[] | undefined => {
      const outside = settingsOutsideTraining(model!, columns);
      if (outside.length === 0) {
        warnedOutside.delete(assetId);
        return undefined;
      }
      const shown = outside.map((o) => ({ setting: o.setting, value: Math.round(o.value * 1000) / 1000, trained: Math.round(o.trained * 1000) / 1000 }));
      if (!warnedOutside.has(assetId)) {
        warnedOutside.add(assetId);
        this.warn(RED._('twin-rul.warnings.outside-training', { asset: assetId, now: shown.map((o) => `${o.setting} ${o.value}`).join(', '), trained: shown.map((o) => `${o.setting} ${o.trained}`).join(', ') }));
      }
      return shown;
    };

    const estimate = (msg: NodeMessageInFlow, send: SendFn, done: DoneFn): void => {
      try {
        if (!store) throw new Error('error' in found ? found.error : 'no twin definition');
        if (!model) throw new Error(modelError ?? 'no RUL model is loaded');
        const assetId = assetIdOf(msg);
        if (assetId === undefined) throw new Error('the message names no asset (msg.payload.assetId or msg.topic)');
        if (!store.has(assetId)) throw new Error(`unknown asset "${assetId}"`);
        const learned = learnFailures(assetId).added;
        if (learned.length > 0) send(learnedMessage(learned));
        takeInLearnedRuns();
        const names = requiredSignals(model);
        const { since } = logOf(store, assetId);
        const last = lastEstimates.get(assetId);
        if (last !== undefined && last.model === model && stampHolds(last.stamp, store, assetId, names, since)) {
          // Nothing the estimate reads has changed since the last one (snapshots of one asset arriving in a burst all
          // find the twin as the last reading left it): that estimate is this one too, already in the twin.
          answer(msg, assetId, last.stored, send);
          done();
          return;
        }
        const { columns, ts } = store.alignedHistoryView(assetId, names, since);
        if ((columns[model.pipeline.sensors[0]!]?.length ?? 0) === 0) {
          // Never "waiting" for ever: signals the model needs that the twin does not have are usually named otherwise
          // (asked only here, as the view is empty whenever one is missing).
          const missing = store.signalsWithoutHistory(assetId, names);
          if (missing.length > 0) {
            const list = missing.slice(0, 5).map((name) => JSON.stringify(name)).join(', ') + (missing.length > 5 ? ` and ${missing.length - 5} more` : '');
            throw new Error(`"${assetId}" has no readings of ${list} that the RUL model ${modelName} needs: are the twin's signals named as the model's (${names.join(', ')})?`);
          }
          // Right after a part replacement or failure (or before the first complete reading) there is nothing to estimate from.
          if (learned.length === 0) estimateStatus('grey', 'waiting', { asset: assetId });
          done();
          return;
        }
        const prediction = predictRul(model, method, columns, horizon, buffers);
        if (![prediction.rul, prediction.lower, prediction.upper].every(Number.isFinite)) {
          throw new Error(`the ${method} method gave no estimate for "${assetId}" (does the model file hold this method?)`);
        }
        const result: Record<string, unknown> & { historyCut?: true; readingIntervalMismatch?: { seconds: number; modelSeconds: number }; outsideTraining?: readonly SettingOutsideTraining[] } = {
          rul: prediction.rul,
          lower: prediction.lower,
          upper: prediction.upper,
          unit: prediction.unit,
          method: prediction.method,
          healthIndex: prediction.healthIndex,
          probabilityOfFailureWithin: prediction.probabilityOfFailureWithin,
          ceiling: prediction.ceiling,
          cycles: prediction.cycles,
        };
        // Only when they hold: no empty objects spread into every estimate.
        if (lifeCut(store, assetId, names, since)) result.historyCut = true;
        const mismatch = readingRate(assetId, ts, model.trainedOn.readingSeconds);
        if (mismatch) result.readingIntervalMismatch = mismatch;
        const outside = trainingConditions(assetId, columns);
        if (outside) result.outsideTraining = outside;
        const written = store.writeDerived(assetId, 'rul', result);
        if (!written.ok) throw new Error(written.reason);
        if (!worker) {
          const key = result.historyCut ? 'estimate-cut' : mismatch ? 'estimate-rate' : outside ? 'estimate-outside' : 'estimate';
          const flagged = result.historyCut === true || mismatch !== undefined || outside !== undefined;
          const settingsNow = outside?.map((o) => `${o.setting} ${o.value}`).join(', ') ?? '';
          estimateStatus(flagged || prediction.probabilityOfFailureWithin.p >= 0.5 ? 'yellow' : 'green', key, { asset: assetId, ...readableLife(prediction.rul, prediction.unit), ...mismatch, settings: settingsNow });
        }
        // The twin's own value is kept (the store replaces it on the next write, never changes it); the flow gets a copy.
        lastEstimates.set(assetId, { model, stamp: historyStamp(store, assetId, names, since), stored: written.value });
        answer(msg, assetId, written.value, send);
        done();
      } catch (err) {
        status('red', 'error', { reason: shortText(errorMessage(err)) });
        done(new Error(errorMessage(err)));
      }
    };

    /** `learn`: the asset has just run to failure. Logs the failure in the twin (ending the life) and learns the run. */
    const learn = (msg: NodeMessageInFlow, send: SendFn, done: DoneFn): void => {
      try {
        if (!store || !runs) throw new Error('error' in found ? found.error : 'no twin definition');
        // The topic is the command here, so the asset can only be in the payload.
        const p = (typeof msg.payload === 'object' && msg.payload !== null ? msg.payload : {}) as Record<string, unknown>;
        const assetId = typeof p.assetId === 'string' && p.assetId !== '' ? p.assetId : undefined;
        if (assetId === undefined) throw new Error('learn needs the asset that failed: msg.payload.assetId');
        const snapshot = store.snapshot(assetId);
        if (snapshot === undefined) throw new Error(`unknown asset "${assetId}"`);
        // By default the failure is at the newest reading, so the whole life up to now is the run.
        const logged = store.logMaintenance(assetId, { kind: 'failure', ts: p.ts ?? snapshot.ts, part: p.part, note: p.note, by: this.name || 'twin-rul' });
        if (!logged.ok) throw new Error(logged.reason);
        const { added, refused } = learnFailures(assetId);
        if (added.length === 0) {
          const id = runId(assetId, logged.value.ts);
          const reason = refused.find((r) => r.id === id)?.reason ?? 'a failure at that time was already learned or refused (see the log)';
          throw new Error(`the failure of "${assetId}" is logged, but its run cannot be learned: ${reason}`);
        }
        const reply = learnedMessage(added);
        msg.topic = reply.topic;
        msg.payload = reply.payload;
        send(msg);
        done();
      } catch (err) {
        status('red', 'error', { reason: shortText(errorMessage(err)) });
        done(new Error(errorMessage(err)));
      }
    };

    /**
     * `train`: a new model from a run-to-failure file. `retrain`: the boosted trees (and every other method) again
     * on the training file plus the twin's completed runs, saved as a model file. Both run in a worker thread; the
     * current model keeps serving estimates until the new one replaces it in one step.
     */
    const train = (command: 'train' | 'retrain', msg: NodeMessageInFlow, send: SendFn, done: DoneFn): void => {
      const request = trainRequest(command, msg.payload);
      if (typeof request === 'string') {
        done(new Error(request));
        return;
      }
      if (worker) {
        done(new Error('a training is already running'));
        return;
      }
      const job: TrainJob = { ...request.options };
      let savePath = request.save === undefined ? undefined : inUserDir(request.save);
      if (request.file !== undefined) job.file = inUserDir(request.file);
      if (command === 'retrain') {
        if (!model || !runs) {
          done(new Error(modelError ?? ('error' in found ? found.error : 'no RUL model is loaded')));
          return;
        }
        // Without a file given, the one the model was trained on, if it is still there.
        if (job.file === undefined && model.trainedOn.file !== undefined && existsSync(model.trainedOn.file)) job.file = model.trainedOn.file;
        const needed = requiredSignals(model);
        job.runs = runs.library.runs.filter((r) => needed.every((name) => r.columns[name] !== undefined));
        job.settings = model.pipeline.settings;
        // A pump model counts minutes up to 3,000: the retrained one must too, not C-MAPSS's 125 cycles.
        job.cap = model.cap;
        job.unit = model.unit;
        if (model.trainedOn.readingSeconds !== undefined) job.readingSeconds = model.trainedOn.readingSeconds;
        // Without a file the runs alone are learned from, on the model's own sensors (an asset may report more).
        if (job.file === undefined) job.sensors = model.pipeline.sensors;
        if (job.file === undefined && job.runs.length === 0) {
          done(new Error('retrain has nothing to learn from: no completed runs in the twin yet, and no training file (msg.payload.file)'));
          return;
        }
        savePath ??= join(userDir(), MODELS_FOLDER, `${modelNameFrom(store?.definition.name ?? 'twin')}-retrained.json`);
      }
      status('blue', command === 'train' ? 'training' : 'retraining', { done: 0, total: '…' });
      const running = new Worker(join(__dirname, 'train-worker.js'), { workerData: job });
      worker = running;
      let answered = false;
      const finish = (err?: Error): void => {
        if (answered) return;
        answered = true;
        worker = undefined;
        stopTraining = undefined;
        if (err && !closed) status('red', 'error', { reason: shortText(err.message) });
        done(err);
      };
      // A stop or redeploy ends the training: the message that asked for it is answered, not left open.
      stopTraining = () => finish(new Error(`${command === 'train' ? 'training' : 'retraining'} stopped: the flow was stopped or redeployed before it finished`));
      let received = false;
      running.on('message', (message: TrainMessage) => {
        if (message.type === 'progress') {
          if (!answered && !closed) status('blue', command === 'train' ? 'training' : 'retraining', { done: message.done, total: message.total });
          return;
        }
        received = true;
        void running.terminate();
        void finished(message.result);
      });
      const finished = async (result: TrainResult): Promise<void> => {
        if (closed) return;
        if (!result.ok) {
          finish(new Error(`${command === 'train' ? 'training' : 'retraining'} failed: ${result.reason}`));
          return;
        }
        const parsed = parseRulModel(result.model);
        if (!parsed.ok) {
          finish(new Error(parsed.reason));
          return;
        }
        if (savePath) {
          try {
            await mkdir(dirname(savePath), { recursive: true });
            await writeModelFile(savePath, result.model);
          } catch (err) {
            finish(new Error(`cannot save the model to ${savePath}: ${errorMessage(err)}`));
            return;
          }
        }
        if (closed) return;
        // The swap: one assignment, between two messages; runs learned during the training are taken in after it.
        model = parsed.value;
        modelError = undefined;
        appliedRevision = -1;
        takeInLearnedRuns();
        const report = {
          histories: result.histories,
          runs: result.runs,
          seconds: Math.round(result.seconds * 10) / 10,
          method,
          ...(savePath ? { saved: savePath } : {}),
        };
        status('green', command === 'train' ? 'trained' : 'retrained', report);
        msg.topic = command === 'train' ? 'trained' : 'retrained';
        msg.payload = report;
        send(msg);
        finish();
      };
      running.once('error', (err: Error) => finish(new Error(`training failed: ${err.message}`)));
      running.once('exit', (code) => {
        if (!closed && !received) finish(new Error(`the training worker stopped without a result (exit code ${code})`));
      });
    };

    this.on('close', (done: () => void) => {
      closed = true;
      definition?.events.off('maintenance', onMaintenance);
      lastEstimates.clear();
      logs.clear();
      shown.close();
      const running = worker;
      worker = undefined;
      stopTraining?.();
      if (running) running.terminate().then(() => done(), () => done());
      else done();
    });
  }
  RED.nodes.registerType('twin-rul', TwinRul);
};

/** The asset a message is about: a snapshot's or telemetry's `payload.assetId`, else `msg.topic`. */
function assetIdOf(msg: NodeMessageInFlow): string | undefined {
  const payload = msg.payload as { assetId?: unknown } | undefined;
  if (typeof payload === 'object' && payload !== null && typeof payload.assetId === 'string' && payload.assetId !== '') return payload.assetId;
  if (Array.isArray(msg.payload)) return undefined;
  return typeof msg.topic === 'string' && msg.topic !== '' ? msg.topic : undefined;
}

interface TrainRequest {
  file?: string;
  save?: string;
  options: Pick<TrainJob, 'trees' | 'folds' | 'seeds'>;
}

/**
 * A training request. `train`: `payload` is the file path, or `{ file, trees?, folds?, seeds?, save? }`.
 * `retrain`: `payload` may be empty, or `{ file?, trees?, folds?, seeds?, save? }`. Otherwise the reason.
 */
function trainRequest(command: 'train' | 'retrain', payload: unknown): TrainRequest | string {
  if (typeof payload === 'string' && payload.trim() !== '') return { file: payload.trim(), options: {} };
  const needsFile = command === 'train';
  if (typeof payload !== 'object' || payload === null) {
    return needsFile ? 'train needs msg.payload: the path of a run-to-failure file (C-MAPSS format) or { file }' : { options: {} };
  }
  const p = payload as Record<string, unknown>;
  const request: TrainRequest = { options: {} };
  if (p.file !== undefined || needsFile) {
    if (typeof p.file !== 'string' || p.file.trim() === '') return `${command} needs msg.payload.file: the path of a run-to-failure file (C-MAPSS format)`;
    request.file = p.file.trim();
  }
  if (p.save !== undefined) {
    if (typeof p.save !== 'string' || p.save.trim() === '') return `${command}: save must be the path of the model file to write`;
    request.save = p.save.trim();
  }
  for (const key of ['trees', 'folds', 'seeds'] as const) {
    if (p[key] === undefined) continue;
    // Only a number or its text (Number() of an object without a prototype throws).
    const value = typeof p[key] === 'number' ? p[key] : typeof p[key] === 'string' ? Number(p[key]) : NaN;
    const min = key === 'folds' ? 2 : 1;
    const max = key === 'seeds' ? 10 : 5000;
    if (!Number.isInteger(value) || value < min || value > max) return `${command}: ${key} must be a whole number from ${min} to ${max}`;
    request.options[key] = value;
  }
  return request;
}
