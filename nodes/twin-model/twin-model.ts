import { readFile } from 'node:fs/promises';
import { isAbsolute, resolve } from 'node:path';
import { AssetModel, type AssetModelResult, type HistoryReader } from '../../core/model/asset-model.js';
import { fitRidgeBaselineFromColumns, parseDataTable } from '../../core/model/ridge-baseline.js';
import type { Parsed } from '../../core/telemetry.js';
import type { TwinStore } from '../../core/twin-store.js';
import type { TwinDefinitionNode } from '../twin-definition/definition-api.js';
import { findDefinition } from '../shared/definition.js';
import { errorMessage, type DoneFn, type Node, type NodeAPI, type NodeDef, type NodeMessageInFlow, type SendFn } from '../shared/node-red.js';
import { StatusTicker } from '../shared/status-ticker.js';
import { resolveSettings, type ResolvedSettings, type TwinModelSettings } from './model-config.js';
import { rankFeaturesCommand } from './rank-command.js';
import { LearnedModels } from './learned-models.js';

/** One asset's model, the time of its last snapshot, and how it reads the asset's history in the twin. */
interface AssetEntry {
  model: AssetModel;
  lastTs: number;
  history: HistoryReader;
  /** What the model learned of the healthy asset is kept (restored, or saved once learned). */
  learnedKept: boolean;
}

interface TwinModelConfig extends NodeDef, TwinModelSettings {
  definition: string;
}

/** The measured values of one snapshot (twin-state output), or why the message is not one. */
function readSnapshot(payload: unknown): Parsed<{ assetId: string; ts: number; measured: Record<string, number> }> {
  if (typeof payload !== 'object' || payload === null) return { ok: false, reason: 'twin-model takes the asset snapshots twin-state sends (payload { assetId, ts, signals })' };
  const p = payload as { assetId?: unknown; ts?: unknown; signals?: unknown };
  if (typeof p.assetId !== 'string' || p.assetId === '') return { ok: false, reason: 'the snapshot has no assetId: wire twin-model after twin-state\'s first output' };
  if (typeof p.ts !== 'number' || !Number.isFinite(p.ts)) return { ok: false, reason: `the snapshot of ${p.assetId} has no timestamp ts` };
  if (typeof p.signals !== 'object' || p.signals === null) return { ok: false, reason: `the snapshot of ${p.assetId} has no signals` };
  const measured: Record<string, number> = {};
  for (const [name, s] of Object.entries(p.signals as Record<string, unknown>)) {
    const signal = s as { value?: unknown; stale?: unknown; badSince?: unknown } | null;
    const value = signal?.value;
    // A stale signal is an old reading, and so is the last good value of a sensor the source now reports bad
    // (badSince): the model must not take either for the present.
    if (typeof value === 'number' && Number.isFinite(value) && signal!.stale !== true && signal!.badSince === undefined) measured[name] = value;
  }
  return { ok: true, value: { assetId: p.assetId, ts: p.ts, measured } };
}

export = function register(RED: NodeAPI): void {
  function TwinModel(this: Node, config: TwinModelConfig): void {
    RED.nodes.createNode(this, config);
    const found = findDefinition(RED, config.definition);
    const definition: TwinDefinitionNode | undefined = 'node' in found ? found.node : undefined;
    const store: TwinStore | undefined = definition?.store;
    const settings = resolveSettings(config);
    const assets = new Map<string, AssetEntry>();
    // What each asset's model learned of the healthy machine, kept with the twin: a restart or a redeploy with the
    // same settings monitors on (see LearnedModels). The settings as deployed, before a baseline file is read.
    const learnedModels = settings.ok && definition?.store ? new LearnedModels(definition, this.id, JSON.stringify({ ...settings.value.options, baselineFile: config.baselineFile ?? '' })) : undefined;
    // Build one model at deploy, so a parameter typo shows as a configuration error before any message.
    const probe = settings.ok ? AssetModel.create('(check)', settings.value.options) : settings;
    let configError: string | undefined = 'error' in found ? found.error : probe.ok ? undefined : probe.reason;
    let lastError: string | undefined;
    let closed = false;
    /** The last asset whose indicator window the twin's history cut short (a shorter history than the window). */
    let windowCut: { assetId: string; signal: string; minutes: number } | undefined;

    // Expressions compile once, at deploy: a syntax error is a deploy-time error, not one per message.
    const compiled: Array<{ signal: string; expression: ReturnType<typeof RED.util.prepareJSONataExpression> }> = [];
    if (settings.ok) {
      for (const row of settings.value.expressions) {
        try {
          compiled.push({ signal: row.signal, expression: RED.util.prepareJSONataExpression(row.expression, this) });
        } catch (err) {
          configError ??= `expression for ${row.signal}: ${errorMessage(err)}`;
        }
      }
    }

    // A learned baseline can be fitted at deploy on a file of healthy data recorded elsewhere (a commissioning run).
    let baselineReady: Promise<void> = Promise.resolve();
    const baselineFile = (config.baselineFile ?? '').trim();
    if (settings.ok && settings.value.options.kind === 'learned-baseline' && baselineFile !== '' && !configError) {
      const options = settings.value.options;
      const path = isAbsolute(baselineFile) ? baselineFile : resolve(RED.settings.userDir ?? process.cwd(), baselineFile);
      baselineReady = readFile(path, 'utf8')
        .then((text) => {
          const table = parseDataTable(text);
          if (!table.ok) throw new Error(table.reason);
          const fitted = fitRidgeBaselineFromColumns(table.value, { inputs: options.inputs ?? [], outputs: options.outputs ?? [], alpha: options.alpha ?? 1, degree: options.degree ?? 1 });
          if (!fitted.ok) throw new Error(fitted.reason);
          options.baseline = fitted.value;
          this.log(`baseline fitted on ${fitted.value.rows} rows of ${path}`);
        })
        .catch((err: unknown) => {
          configError = `baseline file ${path}: ${errorMessage(err)}`;
          this.error(configError);
          ticker.refresh();
        });
    }

    const ticker = new StatusTicker(this, () => {
      if (configError) return { fill: 'red', shape: 'ring', text: RED._('twin-model.status.config-error') };
      if (assets.size === 0) return { fill: 'grey', shape: 'ring', text: RED._('twin-model.status.waiting') };
      let lowest: number | undefined;
      let flagged = 0;
      for (const { model } of assets.values()) {
        const h = store?.derived(model.assetId, 'health');
        if (h && typeof h.index === 'number') lowest = lowest === undefined ? h.index : Math.min(lowest, h.index);
        if (h && typeof h.anomalies === 'object' && h.anomalies !== null && Object.values(h.anomalies).some((v) => v === true)) flagged++;
      }
      const cut = windowCut ? RED._('twin-model.status.window-cut', { minutes: Math.round(windowCut.minutes), window: windowMinutes }) : '';
      if (lowest === undefined) return { fill: 'blue', shape: 'ring', text: RED._('twin-model.status.learning', { assets: assets.size }) + cut };
      const health = lowest.toFixed(2);
      const text = flagged > 0 ? RED._('twin-model.status.health-flagged', { health, flagged }) : RED._('twin-model.status.health', { health });
      return { fill: lastError || flagged > 0 || windowCut ? 'yellow' : 'green', shape: flagged > 0 ? 'ring' : 'dot', text: text + cut };
    });
    ticker.refresh();
    if (configError) this.error(configError);

    const evaluate = (expression: (typeof compiled)[number]['expression'], context: Record<string, unknown>): Promise<unknown> =>
      new Promise((resolve, reject) => {
        RED.util.evaluateJSONataExpression(expression, context, (err, result: unknown) => (err ? reject(err) : resolve(result)));
      });

    /** Expected values of an expression model: every expression over { inputs, parameters, assetId, ts }. */
    const expressionValues = async (assetId: string, ts: number, measured: Record<string, number>, parameters: unknown): Promise<Parsed<Record<string, number>>> => {
      const context = { inputs: measured, parameters: parameters ?? {}, assetId, ts };
      const out: Record<string, number> = {};
      for (const { signal, expression } of compiled) {
        let value: unknown;
        try {
          value = await evaluate(expression, context);
        } catch (err) {
          return { ok: false, reason: `expression for ${signal}: ${errorMessage(err)}` };
        }
        // An expression over a signal this snapshot lacks gives nothing: no expected value this time.
        if (value === undefined) continue;
        if (typeof value !== 'number' || !Number.isFinite(value)) return { ok: false, reason: `expression for ${signal} gave ${JSON.stringify(value)}, not a number` };
        out[signal] = value;
      }
      return { ok: true, value: out };
    };

    const modelOf = (store: TwinStore, assetId: string): Parsed<AssetEntry> => {
      const known = assets.get(assetId);
      if (known) return { ok: true, value: known };
      if (!settings.ok) return settings;
      const { options } = settings.value;
      const kept = learnedModels?.get(assetId);
      let created = kept ? AssetModel.create(assetId, { ...options, scales: kept.scales, baseline: options.baseline ?? kept.baseline }) : AssetModel.create(assetId, options);
      if (!created.ok && kept) {
        this.warn(`what the model learned of ${assetId} before does not fit it (${created.reason}): learning again`);
        learnedModels?.forget([assetId]);
        created = AssetModel.create(assetId, options);
      }
      if (!created.ok) return created;
      const history: HistoryReader = {
        series: (signal, from, to) => store.history(assetId, signal, from, to),
        usable: (signal, from, to, fromIncluded) => store.usableWindow(assetId, signal, from, to, fromIncluded),
        layout: (signal) => store.historyLayout(assetId, signal),
        oldest: (signal) => store.oldestHistoryTs(assetId, signal),
        droppedUpTo: (signal) => store.historyDroppedUpTo(assetId, signal),
      };
      const entry = { model: created.value, lastTs: -Infinity, history, learnedKept: kept !== undefined };
      assets.set(assetId, entry);
      return { ok: true, value: entry };
    };

    interface Prepared {
      entry: AssetEntry;
      assetId: string;
      ts: number;
      measured: Record<string, number>;
    }

    /** A snapshot's model and readings, nothing (no newer data), or why the message is not a snapshot. */
    const prepare = (store: TwinStore, payload: unknown): Parsed<Prepared | undefined> => {
      const snapshot = readSnapshot(payload);
      if (!snapshot.ok) return snapshot;
      const { assetId, ts, measured } = snapshot.value;
      const entry = modelOf(store, assetId);
      if (!entry.ok) return entry;
      // A snapshot with nothing newer (asked for by a command, or repeated) adds no information to the model.
      if (ts <= entry.value.lastTs) return { ok: true, value: undefined };
      entry.value.lastTs = ts;
      return { ok: true, value: { entry: entry.value, assetId, ts, measured } };
    };

    const windowMinutes = settings.ok ? (settings.value.options.indicatorWindowSeconds ?? 0) / 60 : 0;
    /**
     * The twin's history let go of readings the indicator window would hold (History in the twin definition is
     * shorter than the window at this reading rate): said once per deploy as a warning with the length that would do,
     * and in the status while it lasts.
     */
    const noteWindowCut = (store: TwinStore, result: AssetModelResult): void => {
      const cut = result.indicatorWindowCut;
      if (cut === undefined) {
        if (windowCut?.assetId === result.assetId) windowCut = undefined;
        return;
      }
      if (windowCut === undefined) {
        const { historyPoints: points, historyMaxAgeMs } = store.definition;
        const timeScale = settings.ok ? (settings.value.options.timeScale ?? 1) : 1;
        const windowMs = (windowMinutes * 60_000) / timeScale;
        const minutes = cut.minutes.toFixed(1);
        if (historyMaxAgeMs !== undefined && historyMaxAgeMs < windowMs) {
          // The age limit cuts the window whatever the length: that is the setting to change.
          this.warn(RED._('twin-model.warnings.window-cut-age', { assetId: result.assetId, signal: cut.signal, minutes, window: windowMinutes, hours: historyMaxAgeMs / 3_600_000, needed: Math.ceil((windowMs / 3_600_000) * 100) / 100 }));
        } else {
          const needed = Math.ceil((points * windowMinutes) / Math.max(cut.minutes, 1e-9));
          this.warn(RED._('twin-model.warnings.window-cut', { assetId: result.assetId, signal: cut.signal, minutes, window: windowMinutes, points, needed }));
        }
      }
      windowCut = { assetId: result.assetId, ...cut };
    };

    /** Residuals, health, parameters and indicators from the expected values, written into the twin. */
    const complete = (store: TwinStore, p: Prepared, expected: Parsed<Record<string, number>>): Parsed<AssetModelResult> => {
      if (!expected.ok) return expected;
      const result = p.entry.model.update(p.ts, p.measured, expected.value, p.entry.history);
      if (!p.entry.learnedKept && !result.learning) {
        const learned = p.entry.model.learned;
        if (learned) {
          learnedModels?.add(p.assetId, learned);
          p.entry.learnedKept = true;
        }
      }
      noteWindowCut(store, result);
      const written = writeBack(store, result);
      return written.ok ? { ok: true, value: result } : written;
    };

    /** One snapshot through a model that computes its expected values at once (every kind but expression). */
    const runNow = (store: TwinStore, payload: unknown): Parsed<AssetModelResult | undefined> => {
      const p = prepare(store, payload);
      if (!p.ok) return p;
      if (!p.value) return { ok: true, value: undefined };
      return complete(store, p.value, p.value.entry.model.expect(p.value.ts, p.value.measured, p.value.entry.history));
    };

    /** One snapshot through the model, waiting for an expression model's JSONata. */
    const run = async (store: TwinStore, options: ResolvedSettings['options'], payload: unknown): Promise<Parsed<AssetModelResult | undefined>> => {
      if (options.kind !== 'expression') return runNow(store, payload);
      const p = prepare(store, payload);
      if (!p.ok) return p;
      if (!p.value) return { ok: true, value: undefined };
      return complete(store, p.value, await expressionValues(p.value.assetId, p.value.ts, p.value.measured, options.parameters));
    };

    /** twin-state answers a snapshot command for all assets with an array: each goes through the model. */
    const itemsOf = (msg: NodeMessageInFlow): unknown[] => (Array.isArray(msg.payload) ? (msg.payload as unknown[]) : [msg.payload]);

    const reply = (msg: NodeMessageInFlow, results: AssetModelResult[], send: SendFn, done: DoneFn): void => {
      lastError = undefined;
      results.forEach((result, i) => {
        const out = i === 0 ? msg : RED.util.cloneMessage(msg);
        out.topic = result.assetId;
        out.payload = result;
        send(out);
      });
      done();
    };

    /** A message through a model without expressions, at once: no promise per message at thousands a second. */
    const handleNow = (store: TwinStore, msg: NodeMessageInFlow, send: SendFn, done: DoneFn): void => {
      const results: AssetModelResult[] = [];
      for (const item of itemsOf(msg)) {
        const outcome = runNow(store, item);
        if (!outcome.ok) return fail(outcome.reason, done);
        if (outcome.value) results.push(outcome.value);
      }
      reply(msg, results, send, done);
    };

    const handle = async (msg: NodeMessageInFlow, send: SendFn, done: DoneFn): Promise<void> => {
      await ready;
      if (configError || !store || !settings.ok) {
        done(new Error(configError ?? 'no twin definition'));
        return;
      }
      const results: AssetModelResult[] = [];
      for (const item of itemsOf(msg)) {
        const outcome = await run(store, settings.value.options, item);
        if (closed) break;
        if (!outcome.ok) return fail(outcome.reason, done);
        if (outcome.value) results.push(outcome.value);
      }
      if (closed) {
        done();
        return;
      }
      reply(msg, results, send, done);
    };

    /** The ranking of prognostic features, sent with topic rank-features. */
    const rank = (msg: NodeMessageInFlow, send: SendFn, done: DoneFn): void => {
      if (!store) return fail(configError ?? 'no twin definition', done);
      try {
        const ranking = rankFeaturesCommand(store, msg.payload);
        if (!ranking.ok) return fail(ranking.reason, done);
        msg.payload = ranking.value;
        send(msg);
        done();
      } catch (err) {
        fail(errorMessage(err), done);
      }
    };

    /**
     * `relearn` (payload an asset id, `{ assetId }`, or nothing for every asset): forgets what the model learned of
     * the asset, which learns its healthy behaviour again from its next snapshot (after an overhaul, say). Nothing
     * else does so any more: what was learned is kept across restarts and redeploys.
     */
    const relearn = (msg: NodeMessageInFlow, done: DoneFn): void => {
      const payload = msg.payload;
      const named = typeof payload === 'string' ? payload : (payload as { assetId?: unknown } | null)?.assetId;
      if (named !== undefined && (typeof named !== 'string' || named === '')) return fail('relearn takes an asset id (or { assetId }), or nothing for every asset', done);
      // Queued like a snapshot, so a snapshot already waiting is taken by the old model and the next by the new one.
      queued++;
      queue = queue
        .then(() => {
          const ids = named === undefined ? [...new Set([...assets.keys(), ...(learnedModels?.forget() ?? [])])] : [named];
          if (named !== undefined) learnedModels?.forget(ids);
          for (const id of ids) assets.delete(id);
          this.log(`learning the healthy behaviour again from the next snapshot: ${ids.join(', ') || 'no asset known yet'}`);
          ticker.refresh();
          done();
        })
        .catch((err: unknown) => done(new Error(errorMessage(err))))
        .finally(() => {
          queued--;
        });
    };

    const fail = (reason: string, done: DoneFn): void => {
      lastError = reason;
      ticker.refresh();
      done(new Error(reason));
    };

    // One message at a time: an expression model awaits, and a model's state must see updates in order. A model
    // without expressions, its baseline file read, with no message waiting, runs each message at once instead.
    let queue: Promise<void> = Promise.resolve();
    let queued = 0;
    const immediate = settings.ok && settings.value.options.kind !== 'expression';
    // Messages wait (in the queue) until the baseline file is fitted and what the models learned before is read back.
    const ready = Promise.all([
      baselineReady,
      learnedModels?.loaded.then((said) => {
        if (said !== undefined) this.log(said);
      }),
    ]).then(() => undefined);
    let isReady = false;
    void ready.then(() => {
      isReady = true;
    });
    this.on('input', (msg: NodeMessageInFlow, send: SendFn, done: DoneFn) => {
      if (msg.topic === 'rank-features') {
        rank(msg, send, done);
        return;
      }
      if (msg.topic === 'relearn') {
        relearn(msg, done);
        return;
      }
      if (immediate && isReady && queued === 0 && !configError && store) {
        try {
          handleNow(store, msg, send, done);
        } catch (err) {
          fail(errorMessage(err), done);
        }
        return;
      }
      queued++;
      queue = queue
        .then(() => handle(msg, send, done))
        .catch((err: unknown) => done(new Error(errorMessage(err))))
        .finally(() => {
          queued--;
        });
    });

    this.on('close', (removed: boolean, done: () => void) => {
      closed = true;
      if (removed) learnedModels?.drop();
      ticker.close();
      assets.clear();
      compiled.length = 0;
      // Let a message being evaluated finish (it sees `closed` and sends nothing) before Node-RED moves on.
      void queue.finally(done);
    });
  }

  /** Health and parameters go into the twin, so snapshots, RUL and what-if see them. */
  function writeBack(store: TwinStore, r: AssetModelResult): Parsed<unknown> {
    const health = store.writeDerived(r.assetId, 'health', {
      index: r.healthIndex,
      learning: r.learning,
      model: r.model,
      anomalies: r.anomalies,
      normalisedResiduals: r.normalisedResiduals,
      ts: r.ts,
    });
    if (!health.ok) return { ok: false, reason: `writing health into the twin: ${health.reason} (is the model's twin definition the one twin-state uses?)` };
    const parameters = store.writeDerived(r.assetId, 'parameters', { ...r.parameters, model: r.model, ts: r.ts });
    if (!parameters.ok) return { ok: false, reason: `writing parameters into the twin: ${parameters.reason}` };
    return parameters;
  }

  RED.nodes.registerType('twin-model', TwinModel);
};
