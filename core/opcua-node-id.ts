import type { Parsed } from './telemetry.js';

/** A numeric identifier (`i=`) must be a whole number of at most 32 bits: `ns=2;i=abc` would fail deep in the client. */
function numericIdentifier(text: string, identifier: string): { ok: false; reason: string } | undefined {
  if (!identifier.startsWith('i=')) return undefined;
  const digits = identifier.slice(2);
  if (/^\d+$/.test(digits) && Number(digits) <= 0xffffffff) return undefined;
  return { ok: false, reason: `node id "${text}": a numeric identifier (i=) must be a whole number from 0 to 4294967295, got "${digits}"` };
}

/**
 * Node ids as users write them: `ns=2;s=Pump1.Speed`, `i=2258`, or `nsu=urn:plant:plc;s=Pump1.Speed`.
 * The `nsu=` form names the namespace by its URI, which stays the same when a server restarts and renumbers its
 * namespaces; it is turned into an `ns=` id against the server's namespace array of the current session.
 */
export function resolveNodeId(nodeId: string, namespaceArray: readonly string[]): Parsed<string> {
  const text = nodeId.trim();
  if (text === '') return { ok: false, reason: 'node id is empty' };
  if (!text.startsWith('nsu=')) {
    if (!/^(ns=\d+;)?[isgb]=.+$/.test(text)) {
      return { ok: false, reason: `node id "${text}" is not of the form ns=<index>;s=<name> (or i=, g=, b=)` };
    }
    const numeric = numericIdentifier(text, text.slice(text.indexOf(';') + 1));
    return numeric ?? { ok: true, value: text };
  }
  const separator = text.indexOf(';');
  if (separator < 0) return { ok: false, reason: `node id "${text}" has a namespace URI but no identifier` };
  const uri = text.slice(4, separator);
  const identifier = text.slice(separator + 1);
  if (!/^[isgb]=.+$/.test(identifier)) return { ok: false, reason: `node id "${text}" has no identifier after the URI` };
  const numeric = numericIdentifier(text, identifier);
  if (numeric) return numeric;
  const index = namespaceArray.indexOf(uri);
  if (index < 0) return { ok: false, reason: `the server has no namespace "${uri}"` };
  return { ok: true, value: `ns=${index};${identifier}` };
}

/**
 * The other way round: writes a node id as the server reports it (`ns=2;s=Pump1.Speed`) with its namespace URI
 * (`nsu=urn:plant:plc;s=Pump1.Speed`), the form users should save. Namespace 0 (the OPC UA standard) stays `i=85`.
 */
export function toNamespaceUriForm(nodeId: string, namespaceArray: readonly string[]): string {
  const match = /^ns=(\d+);(.+)$/.exec(nodeId);
  if (!match) return nodeId;
  const index = Number(match[1]);
  if (index === 0) return match[2]!;
  const uri = namespaceArray[index];
  return uri ? `nsu=${uri};${match[2]!}` : nodeId;
}
