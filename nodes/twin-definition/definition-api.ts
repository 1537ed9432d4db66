import type { EventEmitter } from 'node:events';
import type { TwinStore } from '../../core/twin-store.js';
import type { SharedItem } from '../../context/redis-twin-share.js';
import type { Node } from '../shared/node-red.js';

/** What flow nodes find when they look up their `twin-definition`. */
export interface TwinDefinitionNode extends Node {
  /** The live store of every asset of this class; undefined when the configuration is invalid. */
  store: TwinStore | undefined;
  /** Why the configuration is invalid, for the flow nodes' errors. */
  configError: string | undefined;
  /** Settles when the saved twin (if any) has been read back after a start. */
  restored: Promise<void> | undefined;
  /**
   * Emits 'stale' with the `StalenessChange[]` found by the once-a-second staleness check, and 'maintenance' with
   * `(assetId, MaintenanceEntry)` when twin-state logs an entry.
   */
  events: EventEmitter;
  /** The Node-RED context store the twin is kept in (`Keep in`); undefined: memory only. */
  contextStore: string | undefined;
  /**
   * Set when the twin will not be kept as `Keep in` says: what the engineer must know, for the status of the
   * twin-state nodes. `unconfigured`: the store is not in settings.js; `unread`: the saved twin could not be read, so
   * nothing is saved (it would replace what is saved) until a redeploy reads it.
   */
  persistenceProblem: { kind: 'unconfigured' | 'unread'; message: string } | undefined;
  /**
   * Set when the twin is shared with other Node-RED instances through a Redis store. `route` says whether this
   * instance handles a reading or command of an asset now (it owns the asset) or the share has taken it (handed over
   * to the owner, or waiting for a claim, done later through one of `handlers`).
   */
  shared:
    | {
        route(assetId: string, item: SharedItem): boolean;
        owns(assetId: string): boolean;
        /** A read-only copy of an asset another instance owns, as last written to Redis; undefined when unknown. */
        readCopy(assetId: string): Promise<TwinStore | undefined>;
      }
    | undefined;
  /** twin-state nodes that take telemetry: what the share hands in later goes through the first of them. */
  handlers: Set<(items: SharedItem[]) => void>;
}

