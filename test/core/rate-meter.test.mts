import assert from 'node:assert/strict';
import { RateMeter } from '../../dist/core/index.js';

describe('rate meter (twin-state status)', () => {
  it('shows a bursty source at its mean rate over 10 s, not its bursts and gaps in turn', () => {
    const meter = new RateMeter(0);
    const shown: number[] = [];
    // Six readings every 2 s, the status read every second.
    for (let second = 1; second <= 20; second++) {
      if (second % 2 === 1) meter.add(6);
      shown.push(meter.rate(second * 1000));
    }
    assert.deepEqual(shown.slice(-10), [3, 3, 3, 3, 3, 3, 3, 3, 3, 3]);
    assert.ok(!shown.includes(0), `never 0/s while data comes (${shown.join(', ')})`);
    // The source stops: the rate falls to 0 within the window.
    for (let second = 21; second <= 31; second++) shown.push(meter.rate(second * 1000));
    assert.equal(shown.at(-1), 0);
    // Fast sources show whole numbers, slow ones one decimal.
    const fast = new RateMeter(0);
    fast.add(12_345);
    assert.equal(fast.rate(1000), 12_345);
    const slow = new RateMeter(0);
    slow.add(1);
    assert.equal(slow.rate(3000), 0.3);
  });
});
