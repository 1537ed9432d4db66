import { normaliseDefinition, type TwinDefinitionSpec } from '../../core/twin-definition.js';
import { TwinStore } from '../../core/twin-store.js';
import type { TwinDefinitionNode } from './definition-api.js';
import { errorMessage, type Node, type NodeAPI, type NodeDef } from '../shared/node-red.js';

interface TwinDefinitionConfig extends NodeDef {
  assetClass: string;
  signals: Array<Record<string, unknown>> | undefined;
  historyPoints: string | number;
  acceptUndeclared: boolean;
  assetIdPattern: string;
}

/**
 * Stores outlive a redeploy of their definition node: a deploy that only changes wiring or another node must not
 * wipe the live twin. A store is dropped when its definition node is deleted from the flows.
 */
const stores = new Map<string, TwinStore>();

export = function register(RED: NodeAPI): void {
  function TwinDefinition(this: Node, config: TwinDefinitionConfig): void {
    RED.nodes.createNode(this, config);
    const node = this as TwinDefinitionNode;
    node.store = undefined;
    node.configError = undefined;
    let spec: TwinDefinitionSpec | undefined;
    try {
      spec = normaliseDefinition({
        name: config.assetClass || config.name,
        signals: Array.isArray(config.signals)
          ? config.signals.map((s: Record<string, unknown>) => ({ ...s, staleAfterMs: s.staleAfterS === undefined || s.staleAfterS === '' ? undefined : Number(s.staleAfterS) * 1000 }))
          : config.signals,
        historyPoints: config.historyPoints,
        acceptUndeclaredSignals: config.acceptUndeclared,
        assetIdPattern: config.assetIdPattern,
      });
    } catch (err) {
      node.configError = errorMessage(err);
      node.error(node.configError);
    }
    if (spec !== undefined) {
      const existing = stores.get(node.id);
      if (existing) {
        existing.reconfigure(spec);
        node.store = existing;
      } else {
        node.store = new TwinStore(spec);
        stores.set(node.id, node.store);
      }
    }
    node.on('close', (removed: boolean, done: () => void) => {
      if (removed) stores.delete(node.id);
      done();
    });
  }
  RED.nodes.registerType('twin-definition', TwinDefinition);
};
