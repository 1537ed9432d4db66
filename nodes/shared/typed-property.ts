import type { Node, NodeAPI, NodeMessage } from './node-red.js';

/** A Node-RED typed input (msg, flow, global, env, jsonata, str, num, date …) as the editor stores it. */
export interface TypedValue {
  value: string;
  type: string;
}

export type PropertyReader = (msg: NodeMessage) => Promise<unknown>;

/**
 * Compiles a typed input once, at deploy, so a JSONata syntax error shows up as a deploy-time error rather than on
 * every message, and evaluating costs no parsing.
 * @throws Error with the expression's problem, for the node to show
 */
export function compileTypedValue(RED: NodeAPI, node: Node, typed: TypedValue): PropertyReader {
  if (typed.type === 'jsonata') {
    const expression = RED.util.prepareJSONataExpression(typed.value, node);
    return (msg) =>
      new Promise((resolve, reject) => {
        RED.util.evaluateJSONataExpression(expression, msg, (err, result: unknown) => (err ? reject(err) : resolve(result)));
      });
  }
  if (typed.type === 'date') return () => Promise.resolve(Date.now());
  if (typed.type === 'none' || (typed.value === '' && typed.type === 'msg')) return () => Promise.resolve(undefined);
  return (msg) =>
    new Promise((resolve, reject) => {
      RED.util.evaluateNodeProperty(typed.value, typed.type, node, msg, (err, result: unknown) => (err ? reject(err) : resolve(result)));
    });
}
