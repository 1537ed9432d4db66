import type { TwinDefinitionNode } from '../twin-definition/definition-api.js';
import type { NodeAPI } from './node-red.js';

/**
 * The `twin-definition` node a flow node selected, with a usable store, or the sentence explaining why there is none.
 */
export function findDefinition(RED: NodeAPI, definitionId: string | undefined): { node: TwinDefinitionNode } | { error: string } {
  if (!definitionId) return { error: 'no twin definition is selected' };
  const node = RED.nodes.getNode(definitionId) as TwinDefinitionNode | null;
  if (!node) return { error: 'the selected twin definition is missing or disabled' };
  if (!node.store) return { error: node.configError ?? 'the twin definition is invalid' };
  return { node };
}
