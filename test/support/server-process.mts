/**
 * Starting a real server program (Mosquitto, redis-server) for tests: a free port on 127.0.0.1, the process, and a
 * wait until it accepts TCP connections — the one part every such helper needs, written once.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { connect as tcpConnect, createServer } from 'node:net';

/** A free TCP port on 127.0.0.1, as the OS hands it out. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

/** True when something accepts a TCP connection on 127.0.0.1:port. */
export function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = tcpConnect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

export interface ServerProcess {
  child: ChildProcess;
  /** Resolves when the process has exited (for whatever reason). */
  exited: Promise<void>;
  /** What it wrote to stdout and stderr so far. */
  output(): string;
}

/**
 * Spawns `command` and waits until it listens on `port`. A process that exits first, or does not listen within
 * `timeoutMs`, is killed and reported with its output (and `log()`, e.g. a log file it writes).
 */
export async function startServerProcess(command: string, args: string[], port: number, options: { timeoutMs?: number; log?: () => string } = {}): Promise<ServerProcess> {
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr.on('data', (d: Buffer) => (output += d.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const deadline = Date.now() + (options.timeoutMs ?? 10_000);
  while (!(await listening(port))) {
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill('SIGKILL');
      await exited;
      throw new Error(`${command} did not start on port ${port}: ${output}${options.log?.() ?? ''}`);
    }
    await new Promise((r) => setTimeout(r, 25));
  }
  return { child, exited, output: () => output };
}
