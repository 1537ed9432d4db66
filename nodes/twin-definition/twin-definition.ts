import { EventEmitter } from 'node:events';
import { normaliseDefinition, type TwinDefinitionSpec } from '../../core/twin-definition.js';
import { TwinStore } from '../../core/twin-store.js';
import type { TwinDefinitionNode } from './definition-api.js';
import { TwinPersistence } from './persistence.js';
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

export = function register(RED: NodeAPI): void {
  function TwinDefinition(this: Node, config: TwinDefinitionConfig): void {
    RED.nodes.createNode(this, config);
    const node = this as TwinDefinitionNode;
    node.store = undefined;
    node.configError = undefined;
    node.contextStore = (config.contextStore ?? '').trim() || undefined;
    node.events = new EventEmitter();
    node.events.setMaxListeners(0);
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
    if (spec !== undefined) {
      const existing = stores.get(node.id);
      const store = existing ?? new TwinStore(spec);
      if (existing) existing.reconfigure(spec);
      else stores.set(node.id, store);
      node.store = store;
      const contextStore = (config.contextStore ?? '').trim();
      if (contextStore !== '') {
        persistence = new TwinPersistence(store, node.context(), contextStore, node);
        // A store kept across a redeploy is already complete in memory; only a fresh one reads the saved twin.
        const restoring = existing ? Promise.resolve(0) : persistence.restore();
        node.restored = restoring.then((count) => {
          if (count > 0) node.log(`restored ${count} assets from context store "${contextStore}"`);
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
        if (removed) stores.delete(node.id);
        done();
      };
      if (persistence) void persistence.close().then(finish, finish);
      else finish();
    });
  }
  RED.nodes.registerType('twin-definition', TwinDefinition);
};
