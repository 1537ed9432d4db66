import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';

const root = join(import.meta.dirname, '..', '..');

export interface NodeRedProcess {
  url: string;
  pid: number;
  output(): string;
  /** Ctrl-C: Node-RED stops its flows and flushes its context stores. */
  stop(): Promise<number | null>;
  /** SIGKILL: nothing is flushed. */
  kill(): Promise<void>;
}

/** Starts Node-RED (this package loaded from the project root) with the given flow file and settings. */
export async function startNodeRedProcess(options: { userDir: string; flowFile: string; contextStorage?: Record<string, unknown>; logLevel?: string }): Promise<NodeRedProcess> {
  let output = '';
  const child: ChildProcess = spawn(process.execPath, [join(import.meta.dirname, 'node-red-child.mts'), JSON.stringify({ logLevel: 'info', ...options, nodesDir: [root] })], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const started = Date.now();
  while (!/READY (http\S+)/.test(output)) {
    if (child.exitCode !== null) throw new Error(`Node-RED exited early:\n${output}`);
    if (Date.now() - started > 60_000) {
      child.kill('SIGKILL');
      throw new Error(`Node-RED did not start within 60 s:\n${output}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    url: /READY (http\S+)/.exec(output)![1]!,
    pid: child.pid!,
    output: () => output,
    stop: async () => {
      if (child.exitCode === null) child.kill('SIGINT');
      return exited;
    },
    kill: async () => {
      if (child.exitCode === null) child.kill('SIGKILL');
      await exited;
    },
  };
}
