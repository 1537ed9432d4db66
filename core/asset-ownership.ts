/**
 * Which Node-RED instance may write which asset, when several instances share one fleet.
 *
 * MQTT 5 shared subscriptions spread messages over the instances one message at a time, not one asset at a time, so
 * every instance sees readings of every asset. To keep one writer per twin, each asset has a lease in a shared
 * store (Redis): the instance holding it ingests the asset's readings and writes its state; the others hand their
 * readings of that asset over to it. A lease lasts `leaseMs` unless its owner renews it; when an owner dies, its
 * leases run out and the next instance that sees a reading of the asset claims it and carries on from the saved state.
 *
 * This module holds the decisions only (no I/O, time from an injected clock): what to do with a reading, and how long
 * this instance may still trust a lease it holds. A lease is trusted from the moment the request that took or renewed
 * it was *sent* (the store starts its timer later, never earlier), minus a safety margin for clock drift and pauses,
 * so this instance stops writing before the store can hand the asset to another one. The store checks the lease
 * again, atomically, on every write (the fencing token), so even a paused instance that wakes up late cannot
 * overwrite the new owner.
 */
import type { Clock } from './clock.js';

export interface OwnershipOptions {
  /** How long a lease lasts in the store without renewal (ms). */
  leaseMs: number;
  /** Stop trusting a lease this long before the store could expire it (ms): clock drift, pauses, round trips. */
  safetyMs: number;
  /** How long to believe "another instance owns this asset" before asking the store again (ms). */
  foreignCacheMs: number;
}

/** What to do with one reading. */
export type Route =
  /** This instance owns the asset: ingest now. */
  | { kind: 'local' }
  /** Another instance owns it: hand the reading over to that instance. */
  | { kind: 'forward'; owner: string }
  /** Nobody is known to own it: the reading waits while this instance claims the asset (`claimsDue`). */
  | { kind: 'claim' }
  /** A claim is already under way: the reading waits with the others. */
  | { kind: 'queued' };

interface OwnedLease {
  /** The fencing token the store handed out with the lease: it increases with every new owner of the asset. */
  token: number;
  /** Until when this instance may write (ms, local clock). */
  trustedUntil: number;
}

/** Checks the settings a person typed; returns the sentence that says what is wrong, or undefined. */
export function checkOwnershipOptions(options: OwnershipOptions): string | undefined {
  if (!(Number.isFinite(options.leaseMs) && options.leaseMs >= 500)) return `the lease time must be at least 0.5 s, got ${options.leaseMs / 1000} s`;
  if (!(Number.isFinite(options.safetyMs) && options.safetyMs >= 0 && options.safetyMs < options.leaseMs / 2)) {
    return 'the safety margin must be less than half the lease time';
  }
  if (!(Number.isFinite(options.foreignCacheMs) && options.foreignCacheMs >= 0)) return 'the owner cache time must be 0 or more';
  return undefined;
}

/** The defaults: a 3 s lease renewed every second; a dead instance's assets move within about 3 s. */
export const DEFAULT_OWNERSHIP: OwnershipOptions = { leaseMs: 3000, safetyMs: 500, foreignCacheMs: 1000 };

/** The renewal period for a lease time: three renewals per lease, so one lost round trip does not lose the lease. */
export function renewEveryMs(leaseMs: number): number {
  return Math.max(100, Math.floor(leaseMs / 3));
}

export class AssetOwnership<Item> {
  private readonly owned = new Map<string, OwnedLease>();
  private readonly foreign = new Map<string, { owner: string; until: number }>();
  /** Readings waiting for a claim, per asset, in arrival order. */
  private readonly waiting = new Map<string, Item[]>();
  /** Assets whose claim has been sent and not answered yet. */
  private readonly claiming = new Set<string>();

  constructor(
    readonly instanceId: string,
    private readonly clock: Clock,
    private readonly options: OwnershipOptions = DEFAULT_OWNERSHIP,
    /** Readings kept per asset while a claim is under way; beyond it the oldest are dropped (and counted). */
    private readonly maxWaiting = 10_000,
  ) {
    const problem = checkOwnershipOptions(options);
    if (problem) throw new Error(problem);
  }

  /** Readings dropped because a claim took too long (the store unreachable): they are lost, say so. */
  dropped = 0;

  /** What to do with a reading of `assetId`; `claim` and `queued` keep the reading until the claim is answered. */
  route(assetId: string, item: Item): Route {
    const now = this.clock.now();
    if (this.owns(assetId, now)) return { kind: 'local' };
    const queue = this.waiting.get(assetId);
    if (queue) {
      queue.push(item);
      if (queue.length > this.maxWaiting) {
        queue.shift();
        this.dropped++;
      }
      return { kind: 'queued' };
    }
    const known = this.foreign.get(assetId);
    if (known && known.until > now) return { kind: 'forward', owner: known.owner };
    this.foreign.delete(assetId);
    // Our own lease ran out locally (renewals failed): stop writing and ask the store again, like any other asset.
    this.owned.delete(assetId);
    this.waiting.set(assetId, [item]);
    return { kind: 'claim' };
  }

  /** True while this instance may ingest and write the asset. */
  owns(assetId: string, now = this.clock.now()): boolean {
    const lease = this.owned.get(assetId);
    return lease !== undefined && lease.trustedUntil > now;
  }

  /** The fencing token of a lease this instance holds (trusted or not yet known to be lost). */
  token(assetId: string): number | undefined {
    return this.owned.get(assetId)?.token;
  }

  /** Assets waiting for a claim that has not been sent yet; marks them as being claimed. */
  claimsDue(): string[] {
    const due: string[] = [];
    for (const assetId of this.waiting.keys()) {
      if (this.claiming.has(assetId)) continue;
      this.claiming.add(assetId);
      due.push(assetId);
    }
    return due;
  }

  /** The store gave this instance the lease (request sent at `sentAt`): the waiting readings are to be ingested. */
  claimed(assetId: string, token: number, sentAt: number): Item[] {
    this.owned.set(assetId, { token, trustedUntil: sentAt + this.options.leaseMs - this.options.safetyMs });
    this.foreign.delete(assetId);
    return this.release(assetId);
  }

  /** The store said another instance holds the lease: the waiting readings are to be handed over to it. */
  heldBy(assetId: string, owner: string, remainingMs: number, sentAt: number): Item[] {
    this.owned.delete(assetId);
    this.foreign.set(assetId, { owner, until: sentAt + Math.min(Math.max(0, remainingMs), this.options.foreignCacheMs) });
    return this.release(assetId);
  }

  /** `owner` turned out not to hold the lease any more (gave it back, or it ran out): ask the store next time. */
  ownerUnknown(assetId: string, owner: string): void {
    if (this.foreign.get(assetId)?.owner === owner) this.foreign.delete(assetId);
  }

  /** The claim could not be answered (store unreachable): the readings stay and the claim is tried again. */
  claimFailed(assetId: string): void {
    this.claiming.delete(assetId);
  }

  /** Leases the store confirmed as still ours, in a renewal sent at `sentAt`. */
  renewed(assetIds: Iterable<string>, sentAt: number): void {
    for (const assetId of assetIds) {
      const lease = this.owned.get(assetId);
      if (lease) lease.trustedUntil = Math.max(lease.trustedUntil, sentAt + this.options.leaseMs - this.options.safetyMs);
    }
  }

  /** The store refused a renewal or a write: another instance owns the asset now. */
  lost(assetId: string): void {
    this.owned.delete(assetId);
  }

  /** Every asset this instance holds a lease for, with its token (also those whose trust ran out: renewal may still confirm them). */
  leases(): Array<{ assetId: string; token: number }> {
    return [...this.owned].map(([assetId, lease]) => ({ assetId, token: lease.token }));
  }

  /** Forgets everything, e.g. after the leases were given back at a stop; returns the readings still waiting. */
  clear(): Map<string, Item[]> {
    const waiting = new Map(this.waiting);
    this.owned.clear();
    this.foreign.clear();
    this.waiting.clear();
    this.claiming.clear();
    return waiting;
  }

  private release(assetId: string): Item[] {
    const items = this.waiting.get(assetId) ?? [];
    this.waiting.delete(assetId);
    this.claiming.delete(assetId);
    return items;
  }
}

/** One entry of the write log, as the test and an operator read it back. */
export interface WriteRecord {
  assetId: string;
  writer: string;
  token: number;
  version: number;
  /** When the store accepted the write (ms, the store's clock). */
  at: number;
}

/** What a check of the write log found: assets written by two instances at once, or with a token going back. */
export interface WriterOverlap {
  assetId: string;
  reason: string;
}

/**
 * Checks a write log (in the order the store accepted the writes) for the one-writer rule: per asset, fencing tokens
 * never go back, one token belongs to one instance, and the twin's version never goes back.
 */
export function findWriterOverlaps(records: Iterable<WriteRecord>): WriterOverlap[] {
  const last = new Map<string, WriteRecord>();
  const problems: WriterOverlap[] = [];
  for (const record of records) {
    const previous = last.get(record.assetId);
    if (previous) {
      if (record.token < previous.token) problems.push({ assetId: record.assetId, reason: `token went back from ${previous.token} (${previous.writer}) to ${record.token} (${record.writer})` });
      else if (record.token === previous.token && record.writer !== previous.writer) {
        problems.push({ assetId: record.assetId, reason: `token ${record.token} used by ${previous.writer} and ${record.writer}` });
      }
      if (record.version < previous.version) problems.push({ assetId: record.assetId, reason: `version went back from ${previous.version} to ${record.version}` });
    }
    last.set(record.assetId, record);
  }
  return problems;
}
