import { validateTelemetry } from '../../core/telemetry.js';
import type { TwinStore } from '../../core/twin-store.js';
import { findStore } from '../shared/definition.js';
import {
  errorMessage,
  type DoneFn,
  type Node,
  type NodeAPI,
  type NodeDef,
  type NodeMessage,
  type NodeMessageInFlow,
  type SendFn,
} from '../shared/node-red.js';
import { StatusTicker } from '../shared/status-ticker.js';

interface TwinStateConfig extends NodeDef {
  definition: string;
}

/** An event on output 2: something a plant engineer wants to see besides the values. */
interface TwinEvent {
  type: 'rejected';
  assetId: string;
  signal: string;
  reason: string;
  ts: number;
}

export = function register(RED: NodeAPI): void {
  function TwinState(this: Node, config: TwinStateConfig): void {
    RED.nodes.createNode(this, config);
    const found = findStore(RED, config.definition);
    const store: TwinStore | undefined = 'store' in found ? found.store : undefined;
    let updates = 0;
    let lastTick = Date.now();
    let lastError: string | undefined;

    const ticker = new StatusTicker(this, () => {
      if (!store) return { fill: 'red', shape: 'ring', text: RED._('twin-state.status.no-definition') };
      const now = Date.now();
      const rate = Math.round((updates * 1000) / Math.max(1, now - lastTick));
      updates = 0;
      lastTick = now;
      const text = RED._('twin-state.status.tracking', { assets: store.assetCount, rate });
      if (lastError) return { fill: 'yellow', shape: 'ring', text };
      return { fill: store.assetCount > 0 ? 'green' : 'grey', shape: 'dot', text };
    });
    ticker.refresh();
    if ('error' in found) this.error(found.error);

    this.on('input', (msg: NodeMessageInFlow, send: SendFn, done: DoneFn) => {
      if (!store) {
        done(new Error('error' in found ? found.error : 'no twin definition'));
        return;
      }
      try {
        const command = typeof msg.topic === 'string' ? msg.topic.toLowerCase() : '';
        if (command === 'snapshot') {
          sendSnapshots(store, msg, send);
          done();
          return;
        }
        if (command === 'reset') {
          const assetId = assetIdOf(msg.payload);
          store.reset(assetId);
          done();
          return;
        }
        ingest(store, msg, send, done);
      } catch (err) {
        // A broken invariant in the core: report it for Catch nodes, keep the runtime alive.
        done(new Error(errorMessage(err)));
      }
    });

    const ingest = (store: TwinStore, msg: NodeMessageInFlow, send: SendFn, done: DoneFn): void => {
      const batch = Array.isArray(msg.payload) ? (msg.payload as unknown[]) : [msg.payload];
      const now = Date.now();
      const outputs: NodeMessage[] = [];
      const events: NodeMessage[] = [];
      const failures: string[] = [];
      const changedAssets = new Set<string>();
      for (const item of batch) {
        const parsed = validateTelemetry(item, now);
        if (!parsed.ok) {
          failures.push(parsed.reason);
          continue;
        }
        const { telemetry, rejected } = parsed.value;
        const outcome = store.ingest(telemetry);
        for (const r of [...rejected, ...outcome.rejected]) {
          const event: TwinEvent = { type: 'rejected', assetId: telemetry.assetId, signal: r.signal, reason: r.reason, ts: telemetry.ts };
          events.push({ topic: telemetry.assetId, payload: event });
        }
        if (outcome.accepted) {
          updates++;
          changedAssets.add(telemetry.assetId);
        }
      }
      let reuse = true;
      for (const assetId of changedAssets) {
        const snapshot = store.snapshot(assetId);
        // The incoming message carries on (keeping its properties, as Node-RED nodes do); copies for further assets.
        const out: NodeMessage = reuse ? msg : RED.util.cloneMessage(msg);
        reuse = false;
        out.topic = assetId;
        out.payload = snapshot;
        outputs.push(out);
      }
      if (outputs.length > 0 || events.length > 0) {
        send([outputs.length > 0 ? outputs : null, events.length > 0 ? events : null]);
      }
      if (failures.length > 0) {
        lastError = failures[0];
        ticker.refresh();
        const more = failures.length > 1 ? ` (and ${failures.length - 1} more in this batch)` : '';
        done(new Error(`${failures[0]}${more}`));
        return;
      }
      lastError = undefined;
      done();
    };

    const sendSnapshots = (store: TwinStore, msg: NodeMessageInFlow, send: SendFn): void => {
      const assetId = assetIdOf(msg.payload);
      if (assetId !== undefined) {
        const snapshot = store.snapshot(assetId);
        if (snapshot === undefined) throw new Error(`unknown asset "${assetId}"`);
        msg.payload = snapshot;
      } else {
        msg.payload = store.assetIds().map((id) => store.snapshot(id));
      }
      send([msg, null]);
    };

    this.on('close', (done: () => void) => {
      ticker.close();
      done();
    });
  }
  RED.nodes.registerType('twin-state', TwinState);
};

/** The asset a command is about: `msg.payload` as a string, or `msg.payload.assetId`. */
function assetIdOf(payload: unknown): string | undefined {
  if (typeof payload === 'string' && payload.trim() !== '') return payload.trim();
  if (typeof payload === 'object' && payload !== null) {
    const id = (payload as Record<string, unknown>).assetId;
    if (typeof id === 'string' && id !== '') return id;
  }
  return undefined;
}
