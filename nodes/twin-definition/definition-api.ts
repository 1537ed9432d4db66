import type { EventEmitter } from 'node:events';
import type { TwinStore } from '../../core/twin-store.js';
import type { Node } from '../shared/node-red.js';

/** What flow nodes find when they look up their `twin-definition`. */
export interface TwinDefinitionNode extends Node {
  /** The live store of every asset of this class; undefined when the configuration is invalid. */
  store: TwinStore | undefined;
  /** Why the configuration is invalid, for the flow nodes' errors. */
  configError: string | undefined;
  /** Settles when the saved twin (if any) has been read back after a start. */
  restored: Promise<void> | undefined;
  /** Emits 'stale' with the `StalenessChange[]` found by the once-a-second staleness check. */
  events: EventEmitter;
  /**
   * Set when the twin is shared with other Node-RED instances through a Redis store: `route` says whether this
   * instance ingests a reading now (it owns the asset) or the share has taken it (handed over to the owner, or waiting
   * for a claim, ingested later through one of `ingesters`).
   */
  shared: { route(assetId: string, reading: unknown): boolean } | undefined;
  /** twin-state nodes that ingest telemetry: readings the share ingests later go through the first of them. */
  ingesters: Set<(readings: unknown[]) => void>;
}

