/**
 * A real Redis (Debian's redis-server) for tests: a free port on 127.0.0.1, nothing saved to disk, its own temp
 * folder; `dispose()` stops it (every test file that starts one calls it in an `after` hook).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { connect as tcpConnect } from 'node:net';
import { join } from 'node:path';
import { freePort } from './mosquitto.mts';
import { tempDir } from './red.mts';

export class RedisServer {
  readonly dir = tempDir('twin-redis');
  private child: ChildProcess | undefined;
  private exited: Promise<void> = Promise.resolve();
  private output = '';

  readonly port: number;

  private constructor(port: number) {
    this.port = port;
  }

  /** The server's process id, e.g. to pause it (SIGSTOP) and go on (SIGCONT). */
  get pid(): number {
    return this.child!.pid!;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  /** `password`: clients must log in (`requirepass`, written to a config file, not onto the command line). */
  static async start(options: { password?: string } = {}): Promise<RedisServer> {
    const server = new RedisServer(await freePort());
    const config = join(server.dir.path, 'redis.conf');
    writeFileSync(config, [`port ${server.port}`, 'bind 127.0.0.1', 'protected-mode yes', 'save ""', 'appendonly no', `dir ${server.dir.path}`, ...(options.password ? [`requirepass ${options.password}`] : [])].join('\n') + '\n');
    const child = spawn('redis-server', [config], { stdio: ['ignore', 'pipe', 'pipe'] });
    server.child = child;
    child.stdout.on('data', (d: Buffer) => (server.output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (server.output += d.toString()));
    server.exited = new Promise((resolve) => child.once('exit', () => resolve()));
    const started = Date.now();
    while (!(await listening(server.port))) {
      if (child.exitCode !== null) throw new Error(`redis-server exited early:\n${server.output}`);
      if (Date.now() - started > 10_000) {
        await server.dispose();
        throw new Error(`redis-server did not listen within 10 s:\n${server.output}`);
      }
      await new Promise((r) => setTimeout(r, 50));
    }
    return server;
  }

  async dispose(): Promise<void> {
    if (this.child && this.child.exitCode === null) this.child.kill('SIGKILL');
    await this.exited;
    this.dir.remove();
  }
}

function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = tcpConnect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}
