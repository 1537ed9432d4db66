/** Runs the built demo (`dist/scripts/start.js`, what `npm start` runs) in a child process on free ports. */
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { tempDir } from './red.mts';

const root = join(import.meta.dirname, '..', '..');

export interface RunningDemo {
  editorUrl: string;
  /** The plant dashboard (Dashboard 2.0). */
  dashboardUrl: string;
  /** Node-RED's user directory (flows, context store with the twin). */
  userDir: string;
  brokerUrl: string;
  /** The virtual PLC (OPC UA). */
  opcuaUrl: string;
  child: ChildProcess;
  output(): string;
  /** Sends SIGINT and resolves with the exit code. */
  stop(): Promise<number | null>;
  /** Kills the process if still running and removes its user directory (unless it was given). */
  dispose(): Promise<void>;
}

/**
 * With `userDir`, the demo runs in that directory and leaves it in place: a second start is a restart. The broker and
 * the virtual PLC take free ports unless `mqttPort` / `opcuaPort` are given (1883 and 4840 are what `npm start` uses).
 */
export async function startDemo(options: { userDir?: string; mqttPort?: number; opcuaPort?: number } = {}): Promise<RunningDemo> {
  const dir = options.userDir !== undefined ? { path: options.userDir, remove: () => undefined } : tempDir('twin-demo');
  let output = '';
  const child = spawn(process.execPath, [join(root, 'dist', 'scripts', 'start.js')], {
    env: { ...process.env, PORT: '0', TWIN_DEMO_MQTT_PORT: String(options.mqttPort ?? 0), TWIN_DEMO_OPCUA_PORT: String(options.opcuaPort ?? 0), TWIN_DEMO_USER_DIR: dir.path },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr.on('data', (d: Buffer) => (output += d.toString()));
  const started = Date.now();
  // The banner ends with the Ctrl-C line: every address in it has been printed by then.
  while (!/Node-RED editor:\s+http:\/\/127\.0\.0\.1:\d+\//.test(output) || !/Stop with Ctrl-C/.test(output)) {
    if (child.exitCode !== null) {
      dir.remove();
      throw new Error(`the demo exited early:\n${output}`);
    }
    if (Date.now() - started > 60_000) {
      child.kill('SIGKILL');
      dir.remove();
      throw new Error(`the demo did not start within 60 s:\n${output}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return {
    editorUrl: /Node-RED editor:\s+(http:\/\/127\.0\.0\.1:\d+\/)/.exec(output)![1]!,
    dashboardUrl: /Plant dashboard:\s+(http:\/\/127\.0\.0\.1:\d+\/dashboard)/.exec(output)![1]!,
    userDir: dir.path,
    brokerUrl: /MQTT broker:\s+(mqtt:\/\/127\.0\.0\.1:\d+)/.exec(output)![1]!,
    opcuaUrl: /Virtual PLC:\s+(opc\.tcp:\/\/\S+)/.exec(output)![1]!,
    child,
    output: () => output,
    stop: async () => {
      if (child.exitCode === null) child.kill('SIGINT');
      return exited;
    },
    dispose: async () => {
      if (child.exitCode === null) {
        child.kill('SIGKILL');
        await exited;
      }
      dir.remove();
    },
  };
}
