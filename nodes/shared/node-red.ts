/** Node-RED types used by the node wrappers, in one place. */
import type { Node, NodeAPI, NodeDef, NodeMessage, NodeMessageInFlow, NodeStatus } from 'node-red';

export type { Node, NodeAPI, NodeDef, NodeMessage, NodeMessageInFlow, NodeStatus };

export type SendFn = (msg: NodeMessage | Array<NodeMessage | NodeMessage[] | null>) => void;
export type DoneFn = (err?: Error) => void;

/** The message of any thrown value, for `done(err)` and status text (one definition, in the core). */
export { errorMessage } from '../../core/errors.js';

/** Reads a numeric editor field (the editor stores numbers as strings), with a default for empty fields. */
export function numberSetting(raw: unknown, fallback: number): number {
  if (raw === undefined || raw === null || raw === '') return fallback;
  const value = Number(raw);
  return Number.isFinite(value) ? value : fallback;
}

/** Status texts stay short (the editor truncates beyond about 20 characters). */
export function shortText(text: string, max = 30): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}
