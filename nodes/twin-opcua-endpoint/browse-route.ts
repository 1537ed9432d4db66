import type { Request, Response } from 'express';
import { errorMessage, type NodeAPI } from '../shared/node-red.js';
import type { TwinOpcuaEndpointNode } from './endpoint-api.js';

/** The permission an editor user needs to browse a server (Node-RED grants `*.read` to read-only users too). */
export const BROWSE_PERMISSION = 'twin-opcua-endpoint.read';

/**
 * `GET <httpAdminRoot>/twin-opcua-endpoint/<endpoint id>/browse?nodeId=<id>` → `{ nodeId, children: BrowseEntry[] }`.
 *
 * Only deployed endpoints can be browsed, on their own session: the admin API never opens a connection to an
 * address sent by a browser (no server-side request forgery) and never needs credentials the editor holds.
 */
export function registerBrowseRoute(RED: NodeAPI): void {
  RED.httpAdmin.get('/twin-opcua-endpoint/:id/browse', RED.auth.needsPermission(BROWSE_PERMISSION), (req: Request, res: Response) => {
    const id = String(req.params.id ?? '');
    const nodeId = typeof req.query.nodeId === 'string' && req.query.nodeId.trim() !== '' ? req.query.nodeId.trim() : undefined;
    const endpoint = RED.nodes.getNode(id) as TwinOpcuaEndpointNode | null;
    if (!endpoint || typeof endpoint.browse !== 'function') {
      res.status(404).json({ error: 'this OPC UA endpoint is not deployed yet: deploy it, then browse' });
      return;
    }
    endpoint.browse(nodeId).then(
      (children) => res.json({ nodeId: nodeId ?? 'i=85', children }),
      (err: unknown) => res.status(502).json({ error: errorMessage(err) }),
    );
  });
}
