/** ThrottledStatus: per-message statuses at most once per interval, the newest one last, built only when shown. */
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const { ThrottledStatus } = require('../../dist/nodes/shared/throttled-status.js') as typeof import('../../dist/nodes/shared/throttled-status.js');
type Node = ConstructorParameters<typeof ThrottledStatus>[0];

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('ThrottledStatus', () => {
  it('shows the first status at once, holds later ones and shows the newest when the interval ends', async () => {
    const shown: string[] = [];
    const node = { status: (s: { text: string }) => shown.push(s.text) } as unknown as Node;
    const status = new ThrottledStatus(node, 100);
    let built = 0;
    for (let i = 1; i <= 50; i++) status.perMessage(() => (built++, { text: `m${i}` }));
    assert.deepEqual(shown, ['m1']);
    await sleep(150);
    assert.deepEqual(shown, ['m1', 'm50']);
    assert.equal(built, 2, 'only the statuses shown are built');
    status.close();
  });

  it('shows an immediate status at once and drops a held per-message one; close clears the timer', async () => {
    const shown: string[] = [];
    const node = { status: (s: { text: string }) => shown.push(s.text) } as unknown as Node;
    const status = new ThrottledStatus(node, 100);
    status.perMessage(() => ({ text: 'a' }));
    status.perMessage(() => ({ text: 'b' }));
    status.now({ text: 'error' });
    await sleep(150);
    assert.deepEqual(shown, ['a', 'error']);
    status.perMessage(() => ({ text: 'c' }));
    status.perMessage(() => ({ text: 'd' }));
    status.close();
    await sleep(150);
    assert.deepEqual(shown, ['a', 'error', 'c']);
  });
});
