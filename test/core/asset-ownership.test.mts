import assert from 'node:assert/strict';
import { AssetOwnership, ManualClock, checkOwnershipOptions, findWriterOverlaps, renewEveryMs } from '../../dist/core/index.js';

const OPTIONS = { leaseMs: 3000, safetyMs: 500, foreignCacheMs: 1000 };

function setup() {
  const clock = new ManualClock(1_000_000);
  return { clock, ownership: new AssetOwnership<string>('a', clock, OPTIONS) };
}

describe('asset ownership (one writer per asset across instances)', () => {
  it('claims an unknown asset once; readings wait for the claim and come back in order', () => {
    const { ownership } = setup();
    assert.deepEqual(ownership.route('pump-1', 'r1'), { kind: 'claim' });
    assert.deepEqual(ownership.route('pump-1', 'r2'), { kind: 'queued' });
    assert.deepEqual(ownership.claimsDue(), ['pump-1']);
    assert.deepEqual(ownership.claimsDue(), [], 'a claim under way is not sent twice');
    assert.deepEqual(ownership.claimed('pump-1', 7, 1_000_000), ['r1', 'r2']);
    assert.deepEqual(ownership.route('pump-1', 'r3'), { kind: 'local' });
    assert.equal(ownership.token('pump-1'), 7);
  });

  it('hands readings of an asset another instance owns over to it, and asks again when the cache runs out', () => {
    const { clock, ownership } = setup();
    ownership.route('pump-2', 'r1');
    ownership.claimsDue();
    assert.deepEqual(ownership.heldBy('pump-2', 'b', 2500, clock.now()), ['r1']);
    assert.deepEqual(ownership.route('pump-2', 'r2'), { kind: 'forward', owner: 'b' });
    clock.advance(999);
    assert.deepEqual(ownership.route('pump-2', 'r3'), { kind: 'forward', owner: 'b' });
    clock.advance(1);
    assert.deepEqual(ownership.route('pump-2', 'r4'), { kind: 'claim' }, 'after the cache time the store is asked again');
    // The lease was about to run out: the cache never outlives the lease.
    ownership.claimsDue();
    ownership.heldBy('pump-2', 'b', 200, clock.now());
    clock.advance(200);
    assert.deepEqual(ownership.route('pump-2', 'r5'), { kind: 'claim' });
    // The store said the owner no longer holds the lease (it gave it back): the next reading claims at once.
    ownership.claimsDue();
    ownership.heldBy('pump-2', 'b', 2500, clock.now());
    ownership.ownerUnknown('pump-2', 'c');
    assert.deepEqual(ownership.route('pump-2', 'r6'), { kind: 'forward', owner: 'b' }, 'only the owner named is forgotten');
    ownership.ownerUnknown('pump-2', 'b');
    assert.deepEqual(ownership.route('pump-2', 'r7'), { kind: 'claim' });
  });

  it('stops writing before the store can give the asset to another instance, unless the lease was renewed', () => {
    const { clock, ownership } = setup();
    ownership.route('pump-3', 'r1');
    ownership.claimsDue();
    const sentAt = clock.now();
    clock.advance(40); // the answer comes back later than the request left
    ownership.claimed('pump-3', 1, sentAt);
    clock.set(sentAt + 2499);
    assert.equal(ownership.owns('pump-3'), true);
    clock.set(sentAt + 2500);
    assert.equal(ownership.owns('pump-3'), false, 'lease 3 s − safety 0.5 s, counted from when the claim was sent');
    // A renewal sent in time keeps it.
    const { clock: c2, ownership: o2 } = setup();
    o2.route('pump-3', 'r1');
    o2.claimsDue();
    o2.claimed('pump-3', 1, c2.now());
    c2.advance(1000);
    o2.renewed(['pump-3'], c2.now());
    c2.advance(2499);
    assert.equal(o2.owns('pump-3'), true);
    assert.deepEqual(o2.route('pump-3', 'r2'), { kind: 'local' });
  });

  it('an asset whose lease ran out locally is claimed again, never ingested in the meantime', () => {
    const { clock, ownership } = setup();
    ownership.route('pump-4', 'r1');
    ownership.claimsDue();
    ownership.claimed('pump-4', 3, clock.now());
    clock.advance(3000);
    assert.deepEqual(ownership.route('pump-4', 'r2'), { kind: 'claim' });
    assert.equal(ownership.token('pump-4'), undefined);
  });

  it('a lost lease (refused renewal or write) ends ownership at once', () => {
    const { clock, ownership } = setup();
    ownership.route('pump-5', 'r1');
    ownership.claimsDue();
    ownership.claimed('pump-5', 2, clock.now());
    ownership.lost('pump-5');
    assert.equal(ownership.owns('pump-5'), false);
    assert.deepEqual(ownership.leases(), []);
  });

  it('bounds the readings kept while a claim cannot be answered, and counts what it dropped', () => {
    const clock = new ManualClock(0);
    const ownership = new AssetOwnership<number>('a', clock, OPTIONS, 3);
    for (let i = 0; i < 5; i++) ownership.route('pump-6', i);
    ownership.claimsDue();
    ownership.claimFailed('pump-6');
    assert.deepEqual(ownership.claimsDue(), ['pump-6'], 'a failed claim is tried again');
    assert.deepEqual(ownership.claimed('pump-6', 1, 0), [2, 3, 4]);
    assert.equal(ownership.dropped, 2);
  });

  it('refuses settings that would let two instances write at once', () => {
    assert.match(checkOwnershipOptions({ ...OPTIONS, leaseMs: 100 }) ?? '', /at least 0.5 s/);
    assert.match(checkOwnershipOptions({ ...OPTIONS, safetyMs: 1500 }) ?? '', /less than half/);
    assert.throws(() => new AssetOwnership('a', new ManualClock(0), { ...OPTIONS, leaseMs: Number.NaN }), /lease time/);
    assert.equal(renewEveryMs(3000), 1000);
  });

  it('finds two writers at once in a write log', () => {
    const ok = [
      { assetId: 'p', writer: 'a', token: 1, version: 1, at: 1 },
      { assetId: 'p', writer: 'a', token: 1, version: 2, at: 2 },
      { assetId: 'p', writer: 'b', token: 2, version: 3, at: 3 },
    ];
    assert.deepEqual(findWriterOverlaps(ok), []);
    const interleaved = [...ok, { assetId: 'p', writer: 'a', token: 1, version: 4, at: 4 }];
    assert.match(findWriterOverlaps(interleaved)[0]!.reason, /token went back from 2 \(b\) to 1 \(a\)/);
    const shared = [...ok, { assetId: 'p', writer: 'c', token: 2, version: 4, at: 4 }];
    assert.match(findWriterOverlaps(shared)[0]!.reason, /token 2 used by b and c/);
    const older = [...ok, { assetId: 'p', writer: 'b', token: 2, version: 2, at: 4 }];
    assert.match(findWriterOverlaps(older)[0]!.reason, /version went back/);
  });
});
