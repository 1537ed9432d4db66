import type { TwinStore } from '../../core/twin-store.js';
import type { TwinDefinitionNode } from '../twin-definition/definition-api.js';
import type { NodeAPI } from './node-red.js';

/**
 * The store behind a flow node's `twin-definition`, or the sentence explaining why there is none.
 */
export function findStore(RED: NodeAPI, definitionId: string | undefined): { store: TwinStore } | { error: string } {
  if (!definitionId) return { error: 'no twin definition is selected' };
  const node = RED.nodes.getNode(definitionId) as TwinDefinitionNode | null;
  if (!node) return { error: 'the selected twin definition is missing or disabled' };
  if (!node.store) return { error: node.configError ?? 'the twin definition is invalid' };
  return { store: node.store };
}
