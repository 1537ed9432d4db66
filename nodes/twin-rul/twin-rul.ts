import { readFile, writeFile } from 'node:fs/promises';
import { isAbsolute, join, resolve } from 'node:path';
import { Worker } from 'node:worker_threads';
import { DEFAULT_RUL_METHOD, isRulMethod, parseRulModel, predictRul, requiredSignals, type RulMethod, type RulModel } from '../../core/rul/model.js';
import { twinHistory } from '../../core/rul/twin-history.js';
import type { TwinStore } from '../../core/twin-store.js';
import { findDefinition } from '../shared/definition.js';
import { errorMessage, numberSetting, shortText, type DoneFn, type Node, type NodeAPI, type NodeDef, type NodeMessageInFlow, type SendFn } from '../shared/node-red.js';
import { ThrottledStatus } from '../shared/throttled-status.js';
import type { TrainJob, TrainResult } from './train-job.js';

interface TwinRulConfig extends NodeDef {
  definition: string;
  method: string;
  /** JSON model file, absolute or relative to the Node-RED user directory; empty: the packaged C-MAPSS FD001 model. */
  modelFile: string;
  /** Horizon (in the model's unit) of the reported probability of failure. */
  horizon: string | number;
}

/** The trained model shipped with the package (C-MAPSS FD001, every method). */
const PACKAGED_MODEL = join(__dirname, '..', '..', '..', 'models', 'cmapss-fd001-gbt.json');

export = function register(RED: NodeAPI): void {
  const userDir = (): string => (RED.settings as { userDir?: string }).userDir ?? process.cwd();
  const inUserDir = (file: string): string => (isAbsolute(file) ? file : resolve(userDir(), file));

  function TwinRul(this: Node, config: TwinRulConfig): void {
    RED.nodes.createNode(this, config);
    const found = findDefinition(RED, config.definition);
    const store: TwinStore | undefined = 'node' in found ? found.node.store : undefined;
    const method: RulMethod = isRulMethod(config.method) ? config.method : DEFAULT_RUL_METHOD;
    const horizon = Math.max(0, numberSetting(config.horizon, 20));
    const modelPath = config.modelFile?.trim() ? inUserDir(config.modelFile.trim()) : PACKAGED_MODEL;
    let model: RulModel | undefined;
    let modelError: string | undefined;
    let worker: Worker | undefined;
    let closed = false;

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

    const loaded: Promise<void> = readFile(modelPath, 'utf8').then(
      (text) => {
        const parsed = parseRulModel(text);
        if (!parsed.ok) throw new Error(parsed.reason);
        model = parsed.value;
        if (store) status('grey', 'ready', { method });
      },
      (err: unknown) => {
        throw new Error(`cannot read the RUL model ${modelPath}: ${errorMessage(err)}`);
      },
    ).catch((err: unknown) => {
      modelError = `${errorMessage(err)}`;
      if (!closed) {
        this.error(modelError);
        status('red', 'error', { reason: shortText(modelError) });
      }
    });

    this.on('input', (msg: NodeMessageInFlow, send: SendFn, done: DoneFn) => {
      if (typeof msg.topic === 'string' && msg.topic.toLowerCase() === 'train') {
        train(msg, send, done);
        return;
      }
      // `loaded` never rejects: a model that failed to load is reported by estimate() through done(err).
      void loaded.then(() => estimate(msg, send, done));
    });

    const estimate = (msg: NodeMessageInFlow, send: SendFn, done: DoneFn): void => {
      try {
        if (!store) throw new Error('error' in found ? found.error : 'no twin definition');
        if (!model) throw new Error(modelError ?? 'no RUL model is loaded');
        const assetId = assetIdOf(msg);
        if (assetId === undefined) throw new Error('the message names no asset (msg.payload.assetId or msg.topic)');
        if (!store.has(assetId)) throw new Error(`unknown asset "${assetId}"`);
        const { columns } = twinHistory(store, assetId, requiredSignals(model));
        if ((columns[model.pipeline.sensors[0]!]?.length ?? 0) === 0) {
          // Right after a part replacement (or before the first complete reading) there is nothing to estimate from.
          estimateStatus('grey', 'waiting', { asset: assetId });
          done();
          return;
        }
        const prediction = predictRul(model, method, columns, horizon);
        if (![prediction.rul, prediction.lower, prediction.upper].every(Number.isFinite)) {
          throw new Error(`the ${method} method gave no estimate for "${assetId}" (does the model file hold this method?)`);
        }
        const result = {
          rul: prediction.rul,
          lower: prediction.lower,
          upper: prediction.upper,
          unit: prediction.unit,
          method: prediction.method,
          healthIndex: prediction.healthIndex,
          probabilityOfFailureWithin: prediction.probabilityOfFailureWithin,
          cycles: prediction.cycles,
        };
        const written = store.setDerived(assetId, 'rul', result);
        if (!written.ok) throw new Error(written.reason);
        estimateStatus(prediction.probabilityOfFailureWithin.p >= 0.5 ? 'yellow' : 'green', 'estimate', { asset: assetId, rul: Math.round(prediction.rul), unit: prediction.unit });
        send({ topic: assetId, payload: { assetId, ...written.value } });
        done();
      } catch (err) {
        status('red', 'error', { reason: shortText(errorMessage(err)) });
        done(new Error(errorMessage(err)));
      }
    };

    const train = (msg: NodeMessageInFlow, send: SendFn, done: DoneFn): void => {
      const job = trainJob(msg.payload);
      if (typeof job === 'string') {
        done(new Error(job));
        return;
      }
      if (worker) {
        done(new Error('a training is already running'));
        return;
      }
      const savePath = typeof (msg.payload as { save?: unknown }).save === 'string' ? inUserDir((msg.payload as { save: string }).save) : undefined;
      status('blue', 'training');
      const running = new Worker(join(__dirname, 'train-worker.js'), { workerData: { ...job, file: inUserDir(job.file) } satisfies TrainJob });
      worker = running;
      let answered = false;
      const finish = (err?: Error): void => {
        if (answered) return;
        answered = true;
        worker = undefined;
        if (err) status('red', 'error', { reason: shortText(err.message) });
        done(err);
      };
      let received = false;
      running.once('message', (result: TrainResult) => {
        received = true;
        void running.terminate();
        if (!result.ok) {
          finish(new Error(`training failed: ${result.reason}`));
          return;
        }
        const parsed = parseRulModel(result.model);
        if (!parsed.ok) {
          finish(new Error(parsed.reason));
          return;
        }
        model = parsed.value;
        modelError = undefined;
        const report = { histories: result.histories, seconds: Math.round(result.seconds * 10) / 10, method, ...(savePath ? { saved: savePath } : {}) };
        const reply = (): void => {
          status('green', 'trained', report);
          msg.topic = 'trained';
          msg.payload = report;
          send(msg);
          finish();
        };
        if (savePath) writeFile(savePath, result.model).then(reply, (err: unknown) => finish(new Error(`cannot save the model to ${savePath}: ${errorMessage(err)}`)));
        else reply();
      });
      running.once('error', (err: Error) => finish(new Error(`training failed: ${err.message}`)));
      running.once('exit', (code) => {
        if (!closed && !received) finish(new Error(`the training worker stopped without a result (exit code ${code})`));
      });
    };

    this.on('close', (done: () => void) => {
      closed = true;
      shown.close();
      const running = worker;
      worker = undefined;
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

/** A training request: `payload` is the file path, or `{ file, trees?, folds?, save? }`; otherwise the reason. */
function trainJob(payload: unknown): TrainJob | string {
  if (typeof payload === 'string' && payload.trim() !== '') return { file: payload.trim() };
  if (typeof payload !== 'object' || payload === null) return 'train needs msg.payload: the path of a run-to-failure file (C-MAPSS format) or { file }';
  const p = payload as Record<string, unknown>;
  if (typeof p.file !== 'string' || p.file.trim() === '') return 'train needs msg.payload.file: the path of a run-to-failure file (C-MAPSS format)';
  const job: TrainJob = { file: p.file.trim() };
  for (const key of ['trees', 'folds'] as const) {
    if (p[key] === undefined) continue;
    const value = Number(p[key]);
    if (!Number.isInteger(value) || value < (key === 'folds' ? 2 : 1) || value > 5000) return `train: ${key} must be a whole number from ${key === 'folds' ? 2 : 1} to 5000`;
    job[key] = value;
  }
  return job;
}
