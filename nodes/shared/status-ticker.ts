import type { Node, NodeStatus } from './node-red.js';

/**
 * Sets a node's status from a function at most once per interval, and only when it changed.
 * Hot paths (thousands of messages a second) then cost nothing for status; `close()` clears the timer.
 */
export class StatusTicker {
  private timer: NodeJS.Timeout | undefined;
  private last = '';

  constructor(
    private readonly node: Node,
    private readonly compute: () => NodeStatus,
    intervalMs = 1000,
  ) {
    this.timer = setInterval(() => this.refresh(), intervalMs);
    this.timer.unref();
  }

  /** Applies the current status now (e.g. after an error or a command). */
  refresh(): void {
    const status = this.compute();
    const key = `${status.fill ?? ''}|${status.shape ?? ''}|${status.text ?? ''}`;
    if (key === this.last) return;
    this.last = key;
    this.node.status(status);
  }

  close(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }
}
