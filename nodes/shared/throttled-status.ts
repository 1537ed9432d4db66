import type { Node, NodeStatus } from './node-red.js';

/**
 * A node status that follows every message without costing every message: `perMessage` shows at most one status
 * per interval (the newest wins; one held back is shown when the interval ends, so the status never lags the last
 * message by more than the interval), and builds it only when it is shown, so the message catalog lookup is skipped
 * for the others. `now` shows a status at once (errors, training) and drops one held back. `close()` clears the timer.
 */
export class ThrottledStatus {
  private shownAt = -Infinity;
  private held: (() => NodeStatus) | undefined;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly node: Node,
    private readonly intervalMs = 1000,
  ) {}

  perMessage(make: () => NodeStatus): void {
    const now = Date.now();
    if (this.timer === undefined && now - this.shownAt >= this.intervalMs) {
      this.shownAt = now;
      this.node.status(make());
      return;
    }
    this.held = make;
    this.timer ??= setTimeout(() => {
      this.timer = undefined;
      const held = this.held;
      this.held = undefined;
      if (held) {
        this.shownAt = Date.now();
        this.node.status(held());
      }
    }, Math.max(0, this.shownAt + this.intervalMs - now));
  }

  now(status: NodeStatus): void {
    this.held = undefined;
    this.shownAt = Date.now();
    this.node.status(status);
  }

  close(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.held = undefined;
  }
}
