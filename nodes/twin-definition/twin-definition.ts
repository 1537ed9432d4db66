import { EventEmitter } from 'node:events';
import { normaliseDefinition, type TwinDefinitionSpec } from '../../core/twin-definition.js';
import { TwinStore, type ReconfigureReport } from '../../core/twin-store.js';
import type { TwinDefinitionNode } from './definition-api.js';
import { TwinPersistence } from './persistence.js';
import { findTwinShareProvider } from '../../context/redis-registry.js';
import type { RedisTwinShare, SharedTwinHost } from '../../context/redis-twin-share.js';
import { validateTelemetry } from '../../core/telemetry.js';
import { errorMessage, type Node, type NodeAPI, type NodeDef } from '../shared/node-red.js';

interface TwinDefinitionConfig extends NodeDef {
  assetClass: string;
  signals: Array<Record<string, unknown>> | undefined;
  actuationPoints: Array<Record<string, unknown>> | undefined;
  historyPoints: string | number;
  historyMaxAgeH: string | number;
  acceptUndeclared: boolean;
  assetIdPattern: string;
  contextStore: string;
}

/** The editor keeps times in the units engineers think in; the core wants ms. */
function secondsToMs(raw: unknown, factor: number): number | undefined {
  if (raw === undefined || raw === null || raw === '') return undefined;
  const n = Number(raw);
  return Number.isFinite(n) ? n * factor : NaN;
}

/**
 * Stores outlive a redeploy of their definition node: a deploy that only changes wiring or another node must not
 * wipe the live twin. A store is dropped when its definition node is deleted from the flows.
 */
const stores = new Map<string, TwinStore>();

const STALENESS_CHECK_MS = 1000;

/** Definitions whose saved twin could not be read: their next deploy reads it again instead of writing over it. */
const unread = new Set<string>();

export = function register(RED: NodeAPI): void {
  function TwinDefinition(this: Node, config: TwinDefinitionConfig): void {
    RED.nodes.createNode(this, config);
    const node = this as TwinDefinitionNode;
    node.store = undefined;
    node.configError = undefined;
    node.contextStore = (config.contextStore ?? '').trim() || undefined;
    node.persistenceProblem = undefined;
    node.events = new EventEmitter();
    node.events.setMaxListeners(0);
    node.shared = undefined;
    node.handlers = new Set();
    let spec: TwinDefinitionSpec | undefined;
    try {
      spec = normaliseDefinition({
        name: config.assetClass || config.name,
        signals: Array.isArray(config.signals)
          ? config.signals.map((s: Record<string, unknown>) => ({ ...s, staleAfterMs: secondsToMs(s.staleAfterS, 1000) }))
          : config.signals,
        actuationPoints: config.actuationPoints,
        historyPoints: config.historyPoints,
        historyMaxAgeMs: secondsToMs(config.historyMaxAgeH, 3_600_000),
        acceptUndeclaredSignals: config.acceptUndeclared,
        assetIdPattern: config.assetIdPattern,
      });
    } catch (err) {
      node.configError = errorMessage(err);
      node.error(node.configError);
    }
    let persistence: TwinPersistence | undefined;
    let share: RedisTwinShare | undefined;
    if (spec !== undefined) {
      const existing = stores.get(node.id);
      const store = existing ?? new TwinStore(spec);
      if (existing) for (const line of describeChange(existing.reconfigure(spec), spec)) node.warn(line);
      else stores.set(node.id, store);
      node.store = store;
      const contextStore = (config.contextStore ?? '').trim();
      const provider = contextStore === '' ? undefined : findTwinShareProvider((RED.settings as unknown as { contextStorage?: Record<string, unknown> }).contextStorage?.[contextStore]);
      if (provider !== undefined && spec !== undefined) {
        // A Redis store: the twin is shared with the other instances, one owner per asset (context/redis-twin-share.ts).
        const attached = provider.share(spec.name);
        try {
          attached.attach(sharedHost(node, store));
          share = attached;
        } catch (err) {
          // Refused (a second definition of the same asset class): this definition is unusable, and says why.
          node.configError = errorMessage(err);
          node.store = undefined;
          node.error(node.configError);
        }
        const shareSpec = spec;
        if (share) node.shared = {
          route: (assetId, item) => attached.route(assetId, item),
          owns: (assetId) => attached.owns(assetId),
          readCopy: async (assetId) => {
            const saved = await attached.readSaved(assetId);
            if (saved === undefined) return undefined;
            const copy = new TwinStore(shareSpec);
            const imported = copy.importAsset(saved);
            if (!imported.ok) throw new Error(imported.reason);
            return copy;
          },
        };
        if (share) node.log(`sharing twin "${spec.name}" through ${provider.describe}`);
      } else if (contextStore !== '') {
        const unconfigured = unconfiguredStore(contextStore, (RED.settings as unknown as { contextStorage?: Record<string, unknown> }).contextStorage);
        if (unconfigured !== undefined) {
          node.persistenceProblem = { kind: 'unconfigured', message: unconfigured };
          node.error(unconfigured);
        }
        persistence = new TwinPersistence(store, node.context(), contextStore, node);
        // A store kept across a redeploy is already complete in memory (and is what is saved from now on); only a
        // fresh one reads the saved twin.
        // A store whose saved twin could not be read is read again (merged with what arrived live), not adopted.
        const restoring = existing && !unread.has(node.id) ? persistence.adoptStore().then((ok) => (ok ? 0 : undefined)) : persistence.restore();
        node.restored = restoring.then((count) => {
          if (count === undefined) {
            unread.add(node.id);
            node.persistenceProblem = { kind: 'unread', message: `the saved twin could not be read from context store "${contextStore}": not saved until a redeploy reads it` };
            return;
          }
          unread.delete(node.id);
          if (count > 0) {
            node.log(`restored ${count} assets from context store "${contextStore}"${savedAsOf(store)}`);
            // Saved under an older definition, perhaps: the same warnings as for a change made while running.
            for (const line of describeChange(store.reconfigure(spec), spec)) node.warn(line);
          }
          persistence?.start();
        });
      }
    }
    node.restored ??= Promise.resolve();
    // One staleness check per definition (not per twin-state node), so each change is found exactly once.
    const staleTimer = setInterval(() => {
      const changes = node.store?.checkStaleness() ?? [];
      if (changes.length > 0) node.events.emit('stale', changes);
    }, STALENESS_CHECK_MS);
    node.on('close', (removed: boolean, done: () => void) => {
      clearInterval(staleTimer);
      const finish = (): void => {
        node.events.removeAllListeners();
        if (removed) {
          stores.delete(node.id);
          unread.delete(node.id);
        }
        done();
      };
      node.shared = undefined;
      node.handlers.clear();
      if (share) void share.detach().then(finish, finish);
      else if (persistence) void persistence.close().then(finish, finish);
      else finish();
    });
  }
  RED.nodes.registerType('twin-definition', TwinDefinition);
};

/** What a changed definition did to the live twin, one warning each: none of it is undone by changing it back. */
function describeChange(report: ReconfigureReport, spec: TwinDefinitionSpec): string[] {
  const lines: string[] = [];
  const list = (items: string[]): string => (items.length > 5 ? `${items.slice(0, 5).join(', ')} and ${items.length - 5} more` : items.join(', '));
  if (report.droppedPoints > 0) {
    lines.push(`the shorter History (${spec.historyPoints} points) dropped the oldest ${report.droppedPoints} history points of ${report.shortenedSignals} signals; a longer History later does not bring them back`);
  }
  if (report.undeclared.length > 0) {
    lines.push(`signals no longer declared stay in the twin with their history until a reset: ${list(report.undeclared)}${spec.acceptUndeclaredSignals ? '' : '; they take no more readings'}`);
  }
  if (report.outsideRange.length > 0) {
    const named = report.outsideRange.map((r) => `${r.signal} of ${r.assetId} (${r.value})`);
    lines.push(`latest values outside the new range, marked bad until a newer usable reading: ${list(named)}`);
  }
  if (report.assetsNotMatching.length > 0) {
    lines.push(`assets whose id the new asset id pattern refuses take no more readings (reset them to remove them): ${list(report.assetsNotMatching)}`);
  }
  return lines;
}

/** ", as of <time>, <n> s before this start": how much a restart may have lost (the newest update saved). */
function savedAsOf(store: TwinStore): string {
  let newest = 0;
  for (const assetId of store.assetIds()) newest = Math.max(newest, store.snapshot(assetId)?.updatedAt ?? 0);
  if (newest === 0) return '';
  return `, as of ${new Date(newest).toISOString()} (${Math.max(0, Math.round((Date.now() - newest) / 1000))} s before this start)`;
}

/**
 * Why a twin will not be kept as `Keep in` says, or undefined when it will: a flow imported on a machine whose
 * settings.js lacks the store runs on, and Node-RED itself only warns once that it uses its default store instead,
 * which is memory unless configured otherwise: the twin would be gone at the next restart without anyone being told.
 */
function unconfiguredStore(name: string, configured: Record<string, unknown> | undefined): string | undefined {
  if (configured !== undefined && Object.hasOwn(configured, name)) return undefined;
  const names = configured === undefined ? 'none' : Object.keys(configured).join(', ');
  // The default store: a name of another store, or a store of its own; no settings at all means memory.
  let fallback = configured?.default;
  if (typeof fallback === 'string') fallback = configured?.[fallback];
  const module = (fallback as { module?: unknown } | undefined)?.module;
  const inMemory = fallback === undefined || module === undefined || module === 'memory';
  return `context store "${name}" (Keep in) is not configured in settings.js (contextStorage: ${names}): ${
    inMemory ? 'the twin is kept in memory only and is lost at a restart' : 'Node-RED keeps the twin in its default store instead'
  }. Add the store to settings.js, or choose one that is there`;
}

/** The definition's store as a shared twin sees it. */
function sharedHost(node: TwinDefinitionNode, store: TwinStore): SharedTwinHost {
  return {
    take(items) {
      // Through a twin-state node when there is one, so snapshots and events go out as for any reading.
      const first = node.handlers.values().next();
      if (!first.done) {
        first.value(items);
        return;
      }
      // No twin-state node takes telemetry on this instance yet: readings go straight into the store; commands wait
      // for nobody (they need a twin-state node to answer), so they are reported.
      const now = Date.now();
      for (const item of items) {
        if ('reading' in item) {
          const parsed = validateTelemetry(item.reading, now);
          if (parsed.ok) store.ingest(parsed.value.telemetry);
        } else node.warn(`a "${item.command.topic}" command handed over from another instance was dropped: no twin-state node takes telemetry here`);
      }
    },
    importAsset(saved) {
      const result = store.importAsset(saved);
      return result.ok ? undefined : result.reason;
    },
    exportAsset: (assetId) => store.exportAsset(assetId),
    version: (assetId) => store.version(assetId),
    takeDirty: () => store.takeDirty(),
    forget(assetId) {
      if (!store.has(assetId)) return;
      store.reset(assetId);
    },
    warn: (message) => node.warn(message),
  };
}
