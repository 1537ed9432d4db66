/**
 * A real Redis (Debian's redis-server) for tests: a free port on 127.0.0.1, nothing saved to disk, its own temp
 * folder; `dispose()` stops it (every test file that starts one calls it in an `after` hook).
 */
import type { ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort, startServerProcess } from './server-process.mts';
import { tempDir } from './red.mts';

export class RedisServer {
  readonly dir = tempDir('twin-redis');
  private child: ChildProcess | undefined;
  private exited: Promise<void> = Promise.resolve();

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
    try {
      const started = await startServerProcess('redis-server', [config], server.port);
      server.child = started.child;
      server.exited = started.exited;
    } catch (err) {
      server.dir.remove();
      throw err;
    }
    return server;
  }

  async dispose(): Promise<void> {
    if (this.child && this.child.exitCode === null) this.child.kill('SIGKILL');
    await this.exited;
    this.dir.remove();
  }
}
