/**
 * A Node-RED context store that keeps data in files like the built-in `localfilesystem`, and survives a damaged file.
 *
 * Node-RED 5's `localfilesystem` refuses to start when a context file is not valid JSON (a disk fault, a hand edit):
 * the whole runtime stops. This store checks every context file before handing over to `localfilesystem`; a file
 * that cannot be read is moved aside (`<name>.json.corrupt-<time>`) with a warning, and that scope starts empty.
 * Everything else — caching, flush interval, atomic writes — is Node-RED's own `localfilesystem`.
 *
 * settings.js:
 *   contextStorage: {
 *     default: { module: "memory" },
 *     file: { module: require("@twinflow/node-red-digital-twin/context-store"), config: { flushInterval: 10 } }
 *   }
 */
import { existsSync, readFileSync, readdirSync, renameSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { nodeRedModule } from './node-red-module.js';

interface StoreConfig {
  dir?: string;
  base?: string;
  settings?: { userDir?: string };
  [key: string]: unknown;
}

interface ContextStore {
  open(): Promise<void>;
  close(): Promise<void>;
  [method: string]: unknown;
}

type StoreFactory = (config: StoreConfig) => ContextStore;

/** Where localfilesystem keeps its files for this config (the same rule as Node-RED's). */
function storageDir(config: StoreConfig): string | undefined {
  const base = config.base ?? 'context';
  if (config.dir) return join(config.dir, base);
  if (config.settings?.userDir) return join(config.settings.userDir, base);
  return undefined;
}

/** Moves every context file that is not valid JSON aside; returns the files moved. */
function quarantineCorruptFiles(dir: string, now = Date.now()): string[] {
  const moved: string[] = [];
  if (!existsSync(dir)) return moved;
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) {
      moved.push(...quarantineCorruptFiles(path, now));
      continue;
    }
    if (!name.endsWith('.json')) continue;
    const text = readFileSync(path, 'utf8');
    try {
      if (text.trim() !== '') JSON.parse(text);
    } catch {
      const aside = `${path}.corrupt-${new Date(now).toISOString().replace(/[:.]/g, '-')}`;
      renameSync(path, aside);
      moved.push(aside);
    }
  }
  return moved;
}

function safeFileStore(config: StoreConfig): ContextStore {
  const localFileSystem = nodeRedModule<StoreFactory>('@node-red/runtime/lib/nodes/context/localfilesystem');
  const inner = localFileSystem(config);
  const open = inner.open.bind(inner);
  inner.open = () => {
    const dir = storageDir(config);
    if (dir) {
      for (const aside of quarantineCorruptFiles(dir)) {
        const { log } = nodeRedModule<{ log: { warn(msg: string): void } }>('@node-red/util');
        log.warn(`[twinflow context store] a context file was not valid JSON and was moved to ${aside}; that context starts empty`);
      }
    }
    return open();
  };
  return inner;
}

safeFileStore.toString = (): string => "twinflow safe localfilesystem";
/** Exposed for tests. */
safeFileStore.quarantineCorruptFiles = quarantineCorruptFiles;

export = safeFileStore;
