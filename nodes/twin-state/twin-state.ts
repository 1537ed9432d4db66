import { parseTimestamp, validateTelemetry, type RejectedSignal } from '../../core/telemetry.js';
import { RateMeter } from '../../core/rate-meter.js';
import type { IngestOutcome, StalenessChange, TwinStore } from '../../core/twin-store.js';
import type { TwinDefinitionNode } from '../twin-definition/definition-api.js';
import type { SharedItem } from '../../context/redis-twin-share.js';
import { findDefinition } from '../shared/definition.js';
import {
  errorMessage,
  numberSetting,
  type DoneFn,
  type Node,
  type NodeAPI,
  type NodeDef,
  type NodeMessage,
  type NodeMessageInFlow,
  type SendFn,
} from '../shared/node-red.js';
import { StatusTicker } from '../shared/status-ticker.js';
import { ZonelessTimesSetting } from '../shared/zoneless-times.js';

interface TwinStateConfig extends NodeDef {
  definition: string;
  /** At most one snapshot per asset per this many ms (0: every update). */
  throttleMs: string | number;
  includeStatistics: boolean;
  /** How times without a zone offset are read: empty (this server's zone), `UTC` or a zone name. */
  zonelessTimes?: string;
}

/** Commands on `msg.topic`; anything else is telemetry. */
const COMMANDS = new Set(['snapshot', 'reset', 'maintenance', 'desired', 'history', 'audit']);
/** Commands that only read: with a shared twin, answered from Redis for an asset another instance owns. */
const READ_COMMANDS = new Set(['snapshot', 'history', 'audit']);
/** How long the status shows the last reading the twin could not take. */
const ERROR_SHOWN_MS = 10_000;

export = function register(RED: NodeAPI): void {
  function TwinState(this: Node, config: TwinStateConfig): void {
    RED.nodes.createNode(this, config);
    const found = findDefinition(RED, config.definition);
    const definition: TwinDefinitionNode | undefined = 'node' in found ? found.node : undefined;
    const store: TwinStore | undefined = definition?.store;
    const throttleMs = Math.max(0, numberSetting(config.throttleMs, 0));
    const snapshotOptions = { statistics: config.includeStatistics === true };
    const times = ZonelessTimesSetting.of(this, config.zonelessTimes);
    const telemetryOptions = { zonelessTimes: times.ok ? times.value.zone : 'host' };
    const updates = new RateMeter(Date.now());
    let lastError: string | undefined;
    let lastErrorAt = 0;

    const ticker = new StatusTicker(this, () => {
      if (!store) return { fill: 'red', shape: 'ring', text: RED._('twin-state.status.no-definition') };
      if (!times.ok) return { fill: 'red', shape: 'ring', text: RED._('twin-state.status.bad-time-zone') };
      const now = Date.now();
      const rate = updates.rate(now);
      const stale = store.staleCount;
      const assets = store.assetCount === 1 ? RED._('twin-state.status.one-asset') : RED._('twin-state.status.assets', { n: store.assetCount });
      const text = stale > 0
        ? RED._('twin-state.status.tracking-stale', { assets, rate, stale })
        : RED._('twin-state.status.tracking', { assets, rate });
      // An error stays in view for a while, so one bad message among many good ones is seen, not flashed.
      if (lastError !== undefined && now - lastErrorAt < ERROR_SHOWN_MS) {
        return { fill: 'yellow', shape: 'ring', text: RED._('twin-state.status.error', { status: text, error: lastError.slice(0, 80) }) };
      }
      // Told at every start, not only in the log: a twin that will not survive a restart looks healthy otherwise.
      const problem = definition?.persistenceProblem;
      if (problem !== undefined) return { fill: 'yellow', shape: 'ring', text: RED._(problem.kind === 'unread' ? 'twin-state.status.not-saved-unread' : 'twin-state.status.not-kept', { status: text }) };
      if (stale > 0) return { fill: 'yellow', shape: 'ring', text };
      return { fill: store.assetCount > 0 ? 'green' : 'grey', shape: 'dot', text };
    });
    ticker.refresh();
    if ('error' in found) this.error(found.error);
    if (!times.ok) this.error(times.reason);

    // Throttling: the first update of an asset goes out at once; later ones within the window are folded into one
    // snapshot sent when the window ends, so the last state is never held back.
    const lastSent = new Map<string, number>();
    const pending = new Map<string, NodeJS.Timeout>();
    const sendLater = (assetId: string, delay: number): void => {
      if (pending.has(assetId)) return;
      pending.set(
        assetId,
        setTimeout(() => {
          pending.delete(assetId);
          lastSent.set(assetId, Date.now());
          const snapshot = store?.snapshot(assetId, snapshotOptions);
          if (snapshot) this.send([{ topic: assetId, payload: snapshot }, null]);
        }, delay),
      );
    };
    /** True when the asset's snapshot may go out now; otherwise it is scheduled. */
    const mayEmitNow = (assetId: string, now: number): boolean => {
      if (throttleMs === 0) return true;
      // A send is scheduled (perhaps due, its timer not yet run): it takes this update along. Sending now as well
      // sent the same snapshot twice.
      if (pending.has(assetId)) return false;
      const last = lastSent.get(assetId);
      if (last === undefined || now - last >= throttleMs) {
        lastSent.set(assetId, now);
        return true;
      }
      sendLater(assetId, last + throttleMs - now);
      return false;
    };

    const onStale = (changes: StalenessChange[]): void => {
      const now = Date.now();
      this.send([null, changes.map((c) => ({ topic: c.assetId, payload: { type: 'stale', assetId: c.assetId, signal: c.signal, lastUpdate: c.lastUpdate, ts: now } }))]);
      ticker.refresh();
    };
    definition?.events.on('stale', onStale);

    this.on('input', (msg: NodeMessageInFlow, send: SendFn, done: DoneFn) => {
      if (!store) {
        done(new Error('error' in found ? found.error : 'no twin definition'));
        return;
      }
      if (!times.ok) {
        done(new Error(times.reason));
        return;
      }
      // What-if results describe a future that has not happened: they must never become the twin's state.
      if ((msg as { scenario?: unknown }).scenario === true) {
        done(new Error('what-if scenario traffic (msg.scenario) is never ingested into the live twin'));
        return;
      }
      try {
        const command = typeof msg.topic === 'string' ? msg.topic.toLowerCase() : '';
        if (COMMANDS.has(command)) runCommand(store, command, msg, send, done);
        else {
          // This node takes telemetry: what a shared twin hands in later (after a hand-over or a claim) comes through it.
          definition?.handlers.add(takeLater);
          ingest(store, msg, send, done);
        }
      } catch (err) {
        // A broken invariant in the core: report it for Catch nodes, keep the runtime alive.
        done(new Error(errorMessage(err)));
      }
    });

    const ingest = (store: TwinStore, msg: NodeMessageInFlow, send: SendFn, done: DoneFn): void => {
      const batch = Array.isArray(msg.payload) ? (msg.payload as unknown[]) : [msg.payload];
      // Readings a sensor node already left out (twin-sensor, twin-mqtt-in: a text where a number belongs) are
      // readings not taken like the ones this node leaves out: errors and events here too, not only a list on msg.
      const carried = (msg as { rejected?: unknown }).rejected;
      const leftOutBySource = carried === undefined || Array.isArray(msg.payload) ? NONE_LEFT_OUT : readingsLeftOut(carried);
      if (carried !== undefined) delete (msg as { rejected?: unknown }).rejected;
      const now = Date.now();
      const events: NodeMessage[] = [];
      const failures: string[] = [];
      const changedAssets = new Set<string>();
      for (const item of batch) {
        const parsed = validateTelemetry(item, now, telemetryOptions);
        if (!parsed.ok) {
          failures.push(parsed.reason);
          continue;
        }
        const { telemetry } = parsed.value;
        if (times.ok) times.value.noteRead(parsed.value.zonelessTime, telemetry.assetId);
        const rejected = unwanted(store, leftOutBySource.length > 0 ? [...leftOutBySource, ...parsed.value.rejected] : parsed.value.rejected);
        notTaken(telemetry.assetId, rejected, failures);
        // Shared with other instances: a reading of an asset another instance owns goes to that instance instead.
        if (definition?.shared && !definition.shared.route(telemetry.assetId, { reading: telemetry })) {
          collectEvents({ assetId: telemetry.assetId, accepted: false, version: 0, changed: [], rejected: [], cameBack: [], desiredChanged: [] }, rejected, telemetry.ts, events);
          continue;
        }
        const outcome = store.ingest(telemetry);
        notTaken(telemetry.assetId, outcome.rejected, failures);
        collectEvents(outcome, rejected, telemetry.ts, events);
        if (outcome.accepted) {
          updates.add();
          changedAssets.add(telemetry.assetId);
        }
      }
      const outputs: NodeMessage[] = [];
      for (const assetId of changedAssets) {
        if (!mayEmitNow(assetId, now)) continue;
        // The incoming message carries on (keeping its properties, as Node-RED nodes do); copies for further assets.
        const out: NodeMessage = outputs.length === 0 ? msg : RED.util.cloneMessage(msg);
        out.topic = assetId;
        out.payload = store.snapshot(assetId, snapshotOptions);
        outputs.push(out);
      }
      if (outputs.length > 0 || events.length > 0) {
        send([outputs.length > 0 ? outputs : null, events.length > 0 ? events : null]);
      }
      if (failures.length > 0) {
        lastError = failures[0];
        lastErrorAt = Date.now();
        ticker.refresh();
        const more = failures.length > 1 ? ` (and ${failures.length - 1} more in this message)` : '';
        done(new Error(`${failures[0]}${more}`));
        return;
      }
      done();
    };

    /**
     * What a shared twin hands in after a hand-over or a claim: readings are ingested like one message, commands
     * carried out like commands; answers go out on this node's outputs, errors to Catch nodes.
     */
    const takeLater = (items: SharedItem[]): void => {
      if (!store) return;
      const readings: unknown[] = [];
      const commands: Array<{ topic: string; payload: unknown }> = [];
      for (const item of items) {
        if ('reading' in item) readings.push(item.reading);
        else commands.push(item.command);
      }
      const later = (msg: NodeMessageInFlow, run: (done: DoneFn) => void): void => {
        const done = (err?: Error): void => {
          if (err) this.error(err, msg);
        };
        try {
          run(done);
        } catch (err) {
          this.error(new Error(errorMessage(err)), msg);
        }
      };
      if (readings.length > 0) {
        const msg = { _msgid: RED.util.generateId(), payload: readings } as NodeMessageInFlow;
        later(msg, (done) => ingest(store, msg, (out) => this.send(out), done));
      }
      for (const command of commands) {
        const msg = { _msgid: RED.util.generateId(), topic: command.topic, payload: command.payload } as NodeMessageInFlow;
        if (COMMANDS.has(command.topic)) later(msg, (done) => runCommand(store, command.topic, msg, (out) => this.send(out), done));
      }
    };

    const runCommand = (store: TwinStore, command: string, msg: NodeMessageInFlow, send: SendFn, done: DoneFn, copy = false): void => {
      const payload = (typeof msg.payload === 'object' && msg.payload !== null ? msg.payload : {}) as Record<string, unknown>;
      const assetId = assetIdOf(msg.payload);
      const shared = definition?.shared;
      if (shared && !copy && assetId !== undefined && !shared.owns(assetId)) {
        if (READ_COMMANDS.has(command)) {
          // Another instance owns the asset: answer from what it last wrote to Redis (at most its write interval old).
          shared.readCopy(assetId).then(
            (saved) => {
              if (saved === undefined) done(new Error(`unknown asset "${assetId}"`));
              else {
                try {
                  runCommand(saved, command, msg, send, done, true);
                } catch (err) {
                  done(new Error(errorMessage(err)));
                }
              }
            },
            (err: unknown) => done(new Error(`could not read asset "${assetId}" from the shared twin: ${errorMessage(err)}`)),
          );
          return;
        }
        // A change: carried out by the owner (handed over, or after this instance claims the asset).
        if (!shared.route(assetId, { command: { topic: command, payload: msg.payload } })) {
          msg.topic = assetId;
          msg.payload = { assetId, handedOver: true };
          send([msg, null]);
          done();
          return;
        }
      }
      switch (command) {
        case 'snapshot': {
          if (assetId !== undefined) {
            // "What changed since version N": only the signals whose latest value changed after it.
            const sinceVersion = typeof payload.sinceVersion === 'number' ? payload.sinceVersion : 0;
            const snapshot = store.snapshot(assetId, { ...snapshotOptions, sinceVersion });
            if (snapshot === undefined) throw new Error(`unknown asset "${assetId}"`);
            msg.payload = snapshot;
          } else {
            msg.payload = store.assetIds().map((id) => store.snapshot(id, snapshotOptions));
          }
          send([msg, null]);
          break;
        }
        case 'reset': {
          // Forgetting every asset takes their histories, maintenance logs and audit trails with it: only when asked
          // for in so many words, never from an Inject node's default payload (a timestamp).
          const all = msg.payload === '*' || payload.all === true;
          if (assetId === undefined && !all) throw new Error('reset needs msg.payload.assetId, or msg.payload = { all: true } to forget every asset');
          if (assetId !== undefined && assetId !== '*' && !store.has(assetId)) throw new Error(`unknown asset "${assetId}"`);
          store.reset(all ? undefined : assetId);
          this.log(all ? 'reset: every asset forgotten' : `reset: asset ${assetId} forgotten`);
          break;
        }
        case 'maintenance': {
          if (assetId === undefined) throw new Error('maintenance needs msg.payload.assetId');
          const logged = store.logMaintenance(assetId, payload);
          if (!logged.ok) throw new Error(logged.reason);
          // Other nodes of the twin react whatever the wiring (twin-rul learns from a logged failure).
          definition?.events.emit('maintenance', assetId, logged.value);
          msg.topic = assetId;
          msg.payload = store.snapshot(assetId, snapshotOptions);
          send([msg, { topic: assetId, payload: { type: 'maintenance', assetId, entry: logged.value, ts: Date.now() } }]);
          break;
        }
        case 'desired': {
          if (assetId === undefined) throw new Error('desired needs msg.payload.assetId');
          const ttl = payload.ttl === undefined ? undefined : Number(payload.ttl) * 1000;
          if (ttl !== undefined && !(ttl > 0 && Number.isFinite(ttl))) throw new Error(`desired ttl must be a positive number of seconds, got ${JSON.stringify(payload.ttl)}`);
          const source = typeof payload.source === 'string' ? payload.source : this.name || this.id;
          const set = store.setDesired(assetId, typeof payload.point === 'string' ? payload.point : '', payload.value, ttl === undefined ? { source } : { ttlMs: ttl, source });
          if (!set.ok) throw new Error(set.reason);
          msg.topic = assetId;
          msg.payload = store.snapshot(assetId, snapshotOptions);
          send([msg, null]);
          break;
        }
        case 'history': {
          if (assetId === undefined || typeof payload.signal !== 'string') throw new Error('history needs msg.payload.assetId and msg.payload.signal');
          if (!store.has(assetId)) throw new Error(`unknown asset "${assetId}"`);
          // Times as telemetry takes them (ms since the epoch or an ISO date); one that is neither is an error, never
          // silently the whole history.
          const timeOf = (name: 'from' | 'to'): number | undefined => {
            if (payload[name] === undefined) return undefined;
            const parsed = parseTimestamp(payload[name], telemetryOptions.zonelessTimes);
            if (!parsed.ok) throw new Error(`history ${name}: ${parsed.reason}`);
            return parsed.value;
          };
          const from = timeOf('from');
          const to = timeOf('to');
          const maxPoints = payload.maxPoints === undefined ? undefined : Number(payload.maxPoints);
          if (maxPoints !== undefined && !(Number.isInteger(maxPoints) && maxPoints >= 4)) {
            throw new Error(`history maxPoints must be a whole number of at least 4, got ${JSON.stringify(payload.maxPoints)}`);
          }
          msg.topic = assetId;
          msg.payload = { assetId, signal: payload.signal, ...store.history(assetId, payload.signal, from, to, maxPoints) };
          send([msg, null]);
          break;
        }
        case 'audit': {
          // The actuators' audit trail kept in the twin: one asset's, or every asset's merged in time order.
          const limit = payload.limit === undefined ? undefined : Number(payload.limit);
          if (limit !== undefined && !(Number.isInteger(limit) && limit >= 1)) throw new Error(`audit limit must be a whole number of at least 1, got ${JSON.stringify(payload.limit)}`);
          if (assetId !== undefined && !store.has(assetId)) throw new Error(`unknown asset "${assetId}"`);
          const ids = assetId !== undefined ? [assetId] : store.assetIds();
          const records = ids.flatMap((id) => store.auditTrail(id)).sort((a, b) => a.ts - b.ts);
          msg.topic = assetId ?? 'audit';
          msg.payload = { ...(assetId !== undefined ? { assetId } : {}), records: limit === undefined ? records : records.slice(-limit) };
          send([msg, null]);
          break;
        }
      }
      done();
    };

    this.on('close', (done: () => void) => {
      ticker.close();
      for (const timer of pending.values()) clearTimeout(timer);
      pending.clear();
      definition?.events.off('stale', onStale);
      definition?.handlers.delete(takeLater);
      done();
    });
  }
  RED.nodes.registerType('twin-state', TwinState);
};

/** Turns what an ingest found into messages for the events output. */
function collectEvents(outcome: IngestOutcome, validationRejects: Array<{ signal: string; reason: string }>, ts: number, events: NodeMessage[]): void {
  const { assetId } = outcome;
  for (const r of validationRejects) events.push({ topic: assetId, payload: { type: 'rejected', assetId, signal: r.signal, reason: r.reason, ts } });
  for (const r of outcome.rejected) events.push({ topic: assetId, payload: { type: 'rejected', assetId, signal: r.signal, reason: r.reason, ts } });
  for (const signal of outcome.cameBack) events.push({ topic: assetId, payload: { type: 'back', assetId, signal, ts } });
  for (const d of outcome.desiredChanged) events.push({ topic: assetId, payload: { type: 'desired', assetId, point: d.point, state: d.state, ts } });
}

/**
 * Adds a reason for each reading the twin did not take (a NaN, a text, a time in the future or older than the
 * history): bad input, an error for Catch nodes. Not among them, and shown on the events output only: a reading
 * outside its declared range (what the sensor said, kept in history as `bad`), and an undeclared signal when the
 * definition does not store those (left out by that setting: sources often send more fields than the twin needs).
 */
function notTaken(assetId: string, rejected: readonly RejectedSignal[], failures: string[]): void {
  for (const r of rejected) {
    if (r.kind !== undefined) continue;
    failures.push(r.signal === '*' ? `reading of ${assetId} not taken: ${r.reason}` : `${r.signal} of ${assetId} not taken: ${r.reason}`);
  }
}

/**
 * Marks the unusable values of signals the twin would not take anyway (not declared, and the definition stores no
 * others) as `undeclared`: an event, no error. Sources send fields the twin does not need, text among them (a
 * device's `"POWER": "ON"` beside its readings), and an error per message for them would drown the real ones.
 */
function unwanted(store: TwinStore, rejected: RejectedSignal[]): RejectedSignal[] {
  if (rejected.length === 0) return rejected;
  return rejected.map((r) => (r.kind === undefined && r.signal !== '*' && !store.takesSignal(r.signal) ? { ...r, kind: 'undeclared' as const } : r));
}

const NONE_LEFT_OUT: readonly RejectedSignal[] = Object.freeze([]);

/** The `msg.rejected` of a sensor node: `[{ signal, reason }]`; anything else is no such list. */
function readingsLeftOut(value: unknown): RejectedSignal[] {
  if (!Array.isArray(value)) return [];
  return value
    .filter((r: { signal?: unknown; reason?: unknown } | null) => typeof r?.signal === 'string' && typeof r.reason === 'string')
    .map((r: { signal: string; reason: string }) => ({ signal: r.signal, reason: r.reason }));
}

/** The asset a command is about: `msg.payload` as a string, or `msg.payload.assetId`. */
function assetIdOf(payload: unknown): string | undefined {
  if (typeof payload === 'string' && payload.trim() !== '') return payload.trim();
  if (typeof payload === 'object' && payload !== null) {
    const id = (payload as Record<string, unknown>).assetId;
    if (typeof id === 'string' && id !== '') return id;
  }
  return undefined;
}
