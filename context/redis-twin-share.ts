/**
 * The Redis side of a twin shared by several Node-RED instances (see core/asset-ownership.ts for the rules).
 *
 * Keys, per asset class `<twin>` and asset `<asset>` (the asset part in braces, so a Redis Cluster would keep an
 * asset's keys together):
 *   <prefix>:<twin>:{<asset>}:lease   "<instance>:<token>", expires after the lease time unless renewed
 *   <prefix>:<twin>:{<asset>}:fence   the last fencing token handed out (never expires, only grows)
 *   <prefix>:<twin>:{<asset>}:state   the asset's saved twin, with the writer and token that wrote it
 *   <prefix>:<twin>:inbox:<instance>  a stream of readings other instances handed over to this instance
 *   <prefix>:<twin>:writes            optional write log (`writeLog: true`): asset, writer, token, version per write
 *
 * Every decision that must not race runs inside Redis as one Lua script: taking a lease (with a new token from the
 * fence counter), renewing only leases still ours, writing state only while the lease still carries our token, and
 * giving leases back at a stop. Readings handed over to an owner that then dies are not lost: they stay in its inbox
 * (the owner trims its inbox only up to what it has written), and whoever claims the asset next replays them.
 */
import { systemClock, type Clock } from '../core/clock.js';
import { AssetOwnership, renewEveryMs } from '../core/asset-ownership.js';
import { errorMessage } from '../core/errors.js';

/** The part of a node-redis client this module uses. */
export interface RedisClient {
  sendCommand<T = unknown>(args: string[]): Promise<T>;
  duplicate(): RedisClient;
  connect(): Promise<unknown>;
  destroy(): void;
}

export interface TwinShareOptions {
  prefix: string;
  instanceId: string;
  leaseMs: number;
  flushMs: number;
  writeLog: boolean;
}

/**
 * What travels between instances for an asset: a reading (telemetry), or a command that changes the asset
 * (maintenance, desired, reset), carried out by the asset's owner.
 */
export type SharedItem = { reading: unknown } | { command: { topic: string; payload: unknown } };

/** What the twin definition gives the share: its local store, seen through a few operations. */
export interface SharedTwinHost {
  /** Ingests readings and carries out commands of assets this instance owns now (and sends their snapshots on). */
  take(items: SharedItem[]): void;
  /** Loads a saved asset into the local store; a reason when the data cannot be read. */
  importAsset(saved: unknown): string | undefined;
  exportAsset(assetId: string): unknown;
  version(assetId: string): number;
  takeDirty(): string[];
  /** Drops the local copy of an asset this instance no longer owns. */
  forget(assetId: string): void;
  warn(message: string): void;
}

/** The figures a status or a test reads. */
export interface TwinShareCounts {
  owned: number;
  claims: number;
  takeovers: number;
  forwarded: number;
  replayed: number;
  writes: number;
  refusedWrites: number;
  lostLeases: number;
  dropped: number;
}

const SAVED_FORMAT = 'twinflow-shared-asset-1';

const CLAIM = `
local current = redis.call('GET', KEYS[1])
if current then
  local at = string.find(current, ':[^:]*$')
  local owner = string.sub(current, 1, at - 1)
  if owner == ARGV[1] then
    redis.call('PEXPIRE', KEYS[1], ARGV[2])
    return {2, string.sub(current, at + 1), redis.call('GET', KEYS[3]) or false}
  end
  return {0, owner, redis.call('PTTL', KEYS[1])}
end
local token = redis.call('INCR', KEYS[2])
redis.call('SET', KEYS[1], ARGV[1] .. ':' .. token, 'PX', ARGV[2])
return {1, tostring(token), redis.call('GET', KEYS[3]) or false}`;

/**
 * Renews leases still ours. A lease that ran out (Redis was paused or slow, or this instance was) is taken back only
 * if its fence counter still shows our token: nobody has claimed the asset since, so nobody else can have written it.
 * KEYS: lease1, fence1, lease2, fence2 …; ARGV: lease time, then "instance:token" per lease, then the token per lease.
 */
const RENEW = `
local lost = {}
local n = #KEYS / 2
for i = 1, n do
  local current = redis.call('GET', KEYS[2 * i - 1])
  if current == ARGV[i + 1] then
    redis.call('PEXPIRE', KEYS[2 * i - 1], ARGV[1])
  elseif (not current) and redis.call('GET', KEYS[2 * i]) == ARGV[n + i + 1] then
    redis.call('SET', KEYS[2 * i - 1], ARGV[i + 1], 'PX', ARGV[1])
  else
    table.insert(lost, i)
  end
end
return lost`;

/**
 * Writes an asset's state only under our lease (taken back like in RENEW when it ran out and nobody has claimed since).
 * KEYS: lease, state, write log, fence; ARGV: "instance:token", state, log (1/0), asset, instance, token, version, lease time.
 */
const WRITE = `
local current = redis.call('GET', KEYS[1])
if current ~= ARGV[1] then
  if current or redis.call('GET', KEYS[4]) ~= ARGV[6] then return 0 end
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[8])
end
redis.call('SET', KEYS[2], ARGV[2])
if ARGV[3] == '1' then
  redis.call('XADD', KEYS[3], 'MAXLEN', '~', '5000000', '*', 'asset', ARGV[4], 'writer', ARGV[5], 'token', ARGV[6], 'version', ARGV[7])
end
return 1`;

/** Adds an item to an owner's inbox if that owner holds the asset's lease. KEYS: lease, inbox. */
const FORWARD = `
local current = redis.call('GET', KEYS[1])
if not current or string.sub(current, 1, #ARGV[1] + 1) ~= ARGV[1] .. ':' then return 0 end
redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[4], '*', 'a', ARGV[2], 't', ARGV[3])
redis.call('PEXPIRE', KEYS[2], ARGV[5])
return 1`;

const RELEASE = `
for i, key in ipairs(KEYS) do
  if redis.call('GET', key) == ARGV[i] then redis.call('DEL', key) end
end
return 1`;

/** Readings kept per instance inbox (Redis trims beyond, roughly): a day of a slow owner must not fill Redis. */
const INBOX_MAX = 200_000;
/** An inbox nobody reads (its instance is gone and everything was replayed) disappears after an hour. */
const INBOX_EXPIRE_MS = 3_600_000;

export class RedisTwinShare {
  readonly ownership: AssetOwnership<SharedItem>;
  private host: SharedTwinHost | undefined;
  private readonly shas = new Map<string, string>();
  private timers: NodeJS.Timeout[] = [];
  private claimTimer: NodeJS.Timeout | undefined;
  private reader: RedisClient | undefined;
  private reading = false;
  /** The newest inbox entry this instance has taken in (ingested or passed on). */
  private lastInboxId = '0-0';
  /** Assets whose write failed for a reason other than a lost lease: written again next time. */
  private readonly retry = new Set<string>();
  private flushing: Promise<void> = Promise.resolve();
  private readonly troubles = new Set<string>();
  readonly counts: TwinShareCounts = { owned: 0, claims: 0, takeovers: 0, forwarded: 0, replayed: 0, writes: 0, refusedWrites: 0, lostLeases: 0, dropped: 0 };

  constructor(
    private readonly client: RedisClient,
    readonly twinName: string,
    readonly options: TwinShareOptions,
    private readonly clock: Clock = systemClock,
  ) {
    this.ownership = new AssetOwnership(options.instanceId, clock, { leaseMs: options.leaseMs, safetyMs: Math.min(500, Math.floor(options.leaseMs / 4)), foreignCacheMs: 1000 });
  }

  private key(assetId: string, part: 'lease' | 'fence' | 'state'): string {
    return `${this.options.prefix}:${this.twinName}:{${assetId}}:${part}`;
  }

  private inbox(instanceId: string): string {
    return `${this.options.prefix}:${this.twinName}:inbox:${instanceId}`;
  }

  private get writesKey(): string {
    return `${this.options.prefix}:${this.twinName}:writes`;
  }

  /** Starts sharing: the twin definition's store takes part from now on. */
  attach(host: SharedTwinHost): void {
    // One twin definition per asset class and store: two would each believe they own the same assets.
    if (this.host) throw new Error(`another twin definition already shares asset class "${this.twinName}" through this Redis store: give each definition its own asset class name`);
    this.host = host;
    this.timers.push(setInterval(() => void this.renew(), renewEveryMs(this.options.leaseMs)));
    this.timers.push(setInterval(() => void this.flush(), this.options.flushMs));
    this.reading = true;
    void this.readInbox();
  }

  /**
   * Where a reading or command goes: true means "this instance owns the asset, do it now"; false means the share took
   * it (handed over to the owner, or waiting while this instance claims the asset; done later through the host).
   */
  route(assetId: string, item: SharedItem): boolean {
    const route = this.ownership.route(assetId, item);
    switch (route.kind) {
      case 'local':
        return true;
      case 'forward':
        this.forward(route.owner, assetId, [item]);
        return false;
      case 'claim':
        this.claimTimer ??= setTimeout(() => void this.claim(), 10);
        return false;
      case 'queued':
        return false;
    }
  }

  /** Ends sharing (a stop or a redeploy): a last write of what changed, then the leases go back at once. */
  async detach(): Promise<void> {
    for (const timer of this.timers) clearInterval(timer);
    this.timers = [];
    if (this.claimTimer) clearTimeout(this.claimTimer);
    this.claimTimer = undefined;
    this.reading = false;
    this.reader?.destroy();
    this.reader = undefined;
    await this.flush();
    const leases = this.ownership.leases();
    if (leases.length > 0) {
      await this.script(RELEASE, leases.map((l) => this.key(l.assetId, 'lease')), leases.map((l) => `${this.options.instanceId}:${l.token}`)).catch((err: unknown) => {
        this.host?.warn(`could not give the leases back (they expire by themselves within ${this.options.leaseMs / 1000} s): ${errorMessage(err)}`);
      });
    }
    for (const lease of leases) this.host?.forget(lease.assetId);
    this.ownership.clear();
    this.host = undefined;
  }

  /** For the store's close: the same as detach when still attached. */
  async close(): Promise<void> {
    if (this.host) await this.detach();
  }

  /**
   * Says what went wrong once, not every half second while Redis is away; `recovered` says when it works again.
   */
  private trouble(kind: string, message: string): void {
    if (this.troubles.has(kind)) return;
    this.troubles.add(kind);
    this.host?.warn(message);
  }

  private recovered(kind: string): void {
    if (this.troubles.delete(kind)) this.host?.warn(`Redis works again (${kind})`);
  }

  /** Runs a Lua script by its hash, loading it when Redis does not know it (first use, or Redis restarted). */
  private async script<T>(source: string, keys: string[], args: string[]): Promise<T> {
    let sha = this.shas.get(source);
    if (sha === undefined) {
      sha = await this.client.sendCommand<string>(['SCRIPT', 'LOAD', source]);
      this.shas.set(source, sha);
    }
    try {
      return await this.client.sendCommand<T>(['EVALSHA', sha, String(keys.length), ...keys, ...args]);
    } catch (err) {
      if (!/NOSCRIPT/.test(errorMessage(err))) throw err;
      this.shas.delete(source);
      return this.client.sendCommand<T>(['EVAL', source, String(keys.length), ...keys, ...args]);
    }
  }

  /** True while this instance owns the asset (its answers about it are the live ones). */
  owns(assetId: string): boolean {
    return this.ownership.owns(assetId);
  }

  /** The asset's twin as last written to Redis (by whichever instance owns it), or undefined when there is none. */
  async readSaved(assetId: string): Promise<unknown> {
    const text = await this.client.sendCommand<string | null>(['GET', this.key(assetId, 'state')]);
    if (text === null) return undefined;
    const saved = JSON.parse(text) as { format?: unknown; asset?: unknown };
    if (saved.format !== SAVED_FORMAT) throw new Error(`the saved twin of ${assetId} in Redis is not in a format this version reads`);
    return saved.asset;
  }

  /**
   * Hands items over to the owner's inbox, only while that owner still holds the lease (checked in the same script):
   * after a clean stop gave the lease back, or after it ran out, nothing more goes into that inbox; the items are
   * routed again and the asset is claimed.
   */
  private forward(owner: string, assetId: string, items: SharedItem[]): void {
    if (items.length === 0) return;
    const inbox = this.inbox(owner);
    this.counts.forwarded += items.length;
    for (const item of items) {
      this.script<number>(FORWARD, [this.key(assetId, 'lease'), inbox], [owner, assetId, JSON.stringify(item), String(INBOX_MAX), String(INBOX_EXPIRE_MS)]).then(
        (added) => {
          this.recovered('handover');
          if (Number(added) === 1) return;
          this.counts.forwarded--;
          this.ownership.ownerUnknown(assetId, owner);
          if (this.host && this.route(assetId, item)) this.host.take([item]);
        },
        (err: unknown) => {
          this.counts.dropped++;
          this.trouble('handover', `readings could not be handed over to other instances (first: ${assetId} to ${owner}; they are lost): ${errorMessage(err)}`);
        },
      );
    }
  }

  /** Claims every asset that has readings waiting; one round trip for all of them (node-redis pipelines them). */
  private async claim(): Promise<void> {
    this.claimTimer = undefined;
    const host = this.host;
    if (!host) return;
    const due = this.ownership.claimsDue();
    if (due.length === 0) return;
    const sentAt = this.clock.now();
    /** Assets taken over from another instance, by that instance: its inbox may hold readings for them. */
    const takenFrom = new Map<string, Set<string>>();
    const ready: Array<{ assetId: string; waiting: SharedItem[] }> = [];
    let failure: string | undefined;
    // Each answer is taken in as it arrives, in the order Redis answered: a refusal of an older write or renewal that
    // Redis answered after this claim then finds the new token already in place (see `lose`).
    const answer = (assetId: string, [kind, ownerOrToken, extra]: [number, string, string | number | null]): void => {
      if (Number(kind) === 0) {
        this.forward(ownerOrToken, assetId, this.ownership.heldBy(assetId, ownerOrToken, Number(extra), sentAt));
        return;
      }
      this.counts.claims++;
      // Kind 2 (the lease is already ours: our trust ran out, or this instance restarted under the same id within
      // the lease time) loads the saved twin too; loadSaved keeps a local copy that is at least as new.
      if (typeof extra === 'string') {
        const previousWriter = this.loadSaved(host, assetId, extra);
        if (previousWriter !== undefined && previousWriter !== this.options.instanceId) {
          this.counts.takeovers++;
          const assets = takenFrom.get(previousWriter) ?? new Set<string>();
          assets.add(assetId);
          takenFrom.set(previousWriter, assets);
        }
      }
      ready.push({ assetId, waiting: this.ownership.claimed(assetId, Number(ownerOrToken), sentAt) });
    };
    await Promise.all(
      due.map((assetId) =>
        this.script<[number, string, string | number | null]>(CLAIM, [this.key(assetId, 'lease'), this.key(assetId, 'fence'), this.key(assetId, 'state')], [this.options.instanceId, String(this.options.leaseMs)]).then(
          (result) => answer(assetId, result),
          (err: unknown) => {
            this.ownership.claimFailed(assetId);
            failure = errorMessage(err);
          },
        ),
      ),
    );
    // Readings handed over to the previous owner that it had not written yet: they come before the waiting ones.
    for (const [previous, assets] of takenFrom) {
      try {
        const entries = await this.client.sendCommand<Array<[string, string[]]>>(['XRANGE', this.inbox(previous), '-', '+']);
        const replay: SharedItem[] = [];
        for (const [, fields] of entries) {
          const entry = inboxFields(fields);
          if (entry && assets.has(entry.assetId)) replay.push(entry.item);
        }
        this.counts.replayed += replay.length;
        if (replay.length > 0) host.take(replay);
      } catch (err) {
        host.warn(`could not replay the readings handed over to instance ${previous}: ${errorMessage(err)}`);
      }
    }
    for (const { waiting } of ready) if (waiting.length > 0) host.take(waiting);
    this.counts.owned = this.ownership.leases().length;
    this.counts.dropped = Math.max(this.counts.dropped, this.ownership.dropped);
    if (failure !== undefined) {
      this.trouble('claim', `could not claim assets in Redis (trying again every 0.5 s): ${failure}`);
      this.claimTimer ??= setTimeout(() => void this.claim(), 500);
    } else this.recovered('claim');
  }

  /** Loads a saved asset into the local store; returns who wrote it. */
  private loadSaved(host: SharedTwinHost, assetId: string, text: string): string | undefined {
    try {
      const saved = JSON.parse(text) as { format?: unknown; writer?: unknown; asset?: unknown };
      if (saved.format !== SAVED_FORMAT) {
        host.warn(`the saved twin of ${assetId} in Redis is not in a format this version reads; it starts empty`);
        return undefined;
      }
      // The newer twin wins: the saved one, unless this instance still holds a copy at least as new (it owned the
      // asset until its lease ran out and nobody has written it since).
      const savedVersion = Number((saved.asset as { version?: unknown } | undefined)?.version);
      const localVersion = host.version(assetId);
      if (!(localVersion > 0 && localVersion >= savedVersion)) host.forget(assetId);
      const problem = host.importAsset(saved.asset);
      if (problem !== undefined) host.warn(`${problem}: asset ${assetId} starts empty`);
      return typeof saved.writer === 'string' ? saved.writer : undefined;
    } catch (err) {
      host.warn(`the saved twin of ${assetId} in Redis is not valid JSON (${errorMessage(err)}); it starts empty`);
      return undefined;
    }
  }

  /** Renews every lease this instance holds; a lease Redis no longer gives us is dropped here and now. */
  private async renew(): Promise<void> {
    const leases = this.ownership.leases();
    const sentAt = this.clock.now();
    for (let i = 0; i < leases.length; i += 500) {
      const batch = leases.slice(i, i + 500);
      try {
        const lost = await this.script<number[]>(
          RENEW,
          batch.flatMap((l) => [this.key(l.assetId, 'lease'), this.key(l.assetId, 'fence')]),
          [String(this.options.leaseMs), ...batch.map((l) => `${this.options.instanceId}:${l.token}`), ...batch.map((l) => String(l.token))],
        );
        const lostLeases = lost.map((index) => batch[Number(index) - 1]!);
        const lostIds = new Set(lostLeases.map((l) => l.assetId));
        for (const l of lostLeases) this.lose(l.assetId, l.token);
        this.ownership.renewed(batch.filter((l) => !lostIds.has(l.assetId)).map((l) => l.assetId), sentAt);
      } catch (err) {
        // Not renewed: the leases stay trusted only until their time runs out locally, then writes stop by themselves.
        this.trouble('renew', `could not renew leases in Redis: ${errorMessage(err)}`);
        return;
      }
    }
    this.recovered('renew');
    this.counts.owned = this.ownership.leases().length;
  }

  /**
   * Redis refused a renewal or write made with `token`. When this instance has claimed the asset again since (a newer
   * token: the answer was to a request sent before the claim), the lease it holds now is not touched.
   */
  private lose(assetId: string, token: number): void {
    if (this.ownership.token(assetId) !== token) return;
    this.counts.lostLeases++;
    this.ownership.lost(assetId);
    this.retry.delete(assetId);
    this.host?.forget(assetId);
  }

  /** Writes every changed asset this instance owns, each only while Redis still shows our lease. */
  flush(): Promise<void> {
    // One flush at a time: a slow Redis must not let two flushes of the same asset overtake each other.
    this.flushing = this.flushing.then(() => this.flushNow());
    return this.flushing;
  }

  private async flushNow(): Promise<void> {
    const host = this.host;
    if (!host) return;
    // Everything taken in from the inbox up to here is in the states written below.
    const inboxMark = this.lastInboxId;
    const assets = new Set([...this.retry, ...host.takeDirty()]);
    this.retry.clear();
    const writes: Array<Promise<void>> = [];
    for (const assetId of assets) {
      const token = this.ownership.token(assetId);
      // Not ours (any more): its owner writes it.
      if (token === undefined) continue;
      const asset = host.exportAsset(assetId);
      if (asset === undefined) continue;
      const version = host.version(assetId);
      const lease = `${this.options.instanceId}:${token}`;
      const saved = JSON.stringify({ format: SAVED_FORMAT, writer: this.options.instanceId, token, writtenAt: this.clock.now(), asset });
      writes.push(
        this.script<number>(WRITE, [this.key(assetId, 'lease'), this.key(assetId, 'state'), this.writesKey, this.key(assetId, 'fence')], [lease, saved, this.options.writeLog ? '1' : '0', assetId, this.options.instanceId, String(token), String(version), String(this.options.leaseMs)]).then(
          (ok) => {
            if (Number(ok) === 1) this.counts.writes++;
            else {
              // Fenced off: another instance holds the lease now. Its state wins; ours is dropped.
              this.counts.refusedWrites++;
              this.lose(assetId, token);
            }
          },
          (err: unknown) => {
            this.retry.add(assetId);
            failure = errorMessage(err);
          },
        ),
      );
    }
    let failure: string | undefined;
    await Promise.all(writes);
    if (failure !== undefined) this.trouble('write', `could not write ${this.retry.size} changed assets to Redis (trying again every ${this.options.flushMs / 1000} s): ${failure}`);
    else this.recovered('write');
    if (this.retry.size === 0 && inboxMark !== '0-0') {
      // Readings up to the mark are in Redis as state now: the inbox keeps only what a successor would need.
      await this.client.sendCommand(['XTRIM', this.inbox(this.options.instanceId), 'MINID', nextStreamId(inboxMark)]).catch(() => undefined);
    }
  }

  /** Reads this instance's inbox: readings other instances handed over. Runs on its own connection (it blocks). */
  private async readInbox(): Promise<void> {
    const reader = this.client.duplicate();
    this.reader = reader;
    try {
      await reader.connect();
    } catch (err) {
      this.host?.warn(`could not open the inbox connection to Redis: ${errorMessage(err)}`);
    }
    const inbox = this.inbox(this.options.instanceId);
    while (this.reading && this.reader === reader) {
      try {
        const answer = await reader.sendCommand<Array<[string, Array<[string, string[]]>]> | null>(['XREAD', 'COUNT', '2000', 'BLOCK', '1000', 'STREAMS', inbox, this.lastInboxId]);
        this.recovered('inbox');
        if (!answer || !this.host) continue;
        const local: SharedItem[] = [];
        for (const [, entries] of answer) {
          for (const [id, fields] of entries) {
            this.lastInboxId = id;
            const entry = inboxFields(fields);
            if (entry && this.route(entry.assetId, entry.item)) local.push(entry.item);
          }
        }
        if (local.length > 0) this.host.take(local);
      } catch (err) {
        if (!this.reading) break;
        this.trouble('inbox', `reading the inbox in Redis failed (trying again): ${errorMessage(err)}`);
        await new Promise((resolve) => setTimeout(resolve, 500));
      }
    }
  }
}

/** An inbox entry's asset and item; undefined for anything else (it is skipped). */
function inboxFields(fields: string[]): { assetId: string; item: SharedItem } | undefined {
  let assetId: string | undefined;
  let text: string | undefined;
  for (let i = 0; i + 1 < fields.length; i += 2) {
    if (fields[i] === 'a') assetId = fields[i + 1];
    else if (fields[i] === 't') text = fields[i + 1];
  }
  if (assetId === undefined || text === undefined) return undefined;
  try {
    const item = JSON.parse(text) as unknown;
    if (typeof item !== 'object' || item === null || !('reading' in item || 'command' in item)) return undefined;
    return { assetId, item: item as SharedItem };
  } catch {
    return undefined;
  }
}

/** The stream id right after `id` ("ms-seq"), so XTRIM MINID removes `id` itself too. */
function nextStreamId(id: string): string {
  const [ms, seq] = id.split('-');
  return `${ms}-${Number(seq ?? 0) + 1}`;
}
