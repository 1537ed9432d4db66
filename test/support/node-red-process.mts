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
  /** Active resources by type, heap after gc (start with `nodeArgs: ['--expose-gc']`) and RSS, from inside the process. */
  resources(): Promise<ProcessResources>;
}

export interface ProcessResources {
  /**
   * `process.getActiveResourcesInfo()` counted by type, e.g. TCPSocketWrap, TCPServerWrap, Timeout; on Linux also
   * `fileDescriptors` and `inotifyWatches` as the operating system counts them.
   */
  resources: Record<string, number>;
  heapUsed: number;
  rss: number;
  /** Whether the heap figure was taken after a full garbage collection. */
  gc: boolean;
}

/** Starts Node-RED (this package loaded from the project root) with the given flow file and settings. */
export async function startNodeRedProcess(options: {
  userDir: string;
  flowFile: string;
  contextStorage?: Record<string, unknown>;
  /** Node-RED's `adminAuth` (JSON: users with bcrypt hashes). */
  adminAuth?: Record<string, unknown>;
  logLevel?: string;
  /** Options for the child's Node.js, e.g. `--expose-gc` for heap measurements. */
  nodeArgs?: string[];
}): Promise<NodeRedProcess> {
  let output = '';
  const { nodeArgs = [], ...settings } = options;
  const child: ChildProcess = spawn(process.execPath, [...nodeArgs, join(import.meta.dirname, 'node-red-child.mts'), JSON.stringify({ logLevel: 'info', ...settings, nodesDir: [root] })], {
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  });
  let requests = 0;
  const pending = new Map<number, (answer: ProcessResources) => void>();
  child.on('message', (answer: ProcessResources & { id: number }) => {
    pending.get(answer.id)?.(answer);
    pending.delete(answer.id);
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
    resources: () =>
      new Promise((resolve, reject) => {
        const id = ++requests;
        const timer = setTimeout(() => reject(new Error('Node-RED did not report its resources within 10 s')), 10_000);
        pending.set(id, (answer) => {
          clearTimeout(timer);
          resolve(answer);
        });
        child.send({ id, type: 'resources' });
      }),
  };
}
