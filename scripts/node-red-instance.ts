import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { isAbsolute } from 'node:path';
import express from 'express';
import RED from 'node-red';
import safeFileStore from '../context/safe-file-store.js';
import redisStore from '../context/redis-store.js';

export interface NodeRedInstanceOptions {
  /** Node-RED's user directory (settings, credentials, PKI, context). */
  userDir: string;
  /** The flow file to run; relative to userDir or absolute. */
  flowFile: string;
  /** 0 picks a free port. */
  port: number;
  /** Folders scanned for node packages: this package's root loads it like an installed module. */
  nodesDir: string[];
  /** Log level: 'info' for the demo, 'warn' for tests. */
  logLevel?: string;
  /** Node-RED context stores (settings.contextStorage), e.g. a `localfilesystem` store for persistence. */
  contextStorage?: Record<string, unknown>;
  /** Called with every log line Node-RED writes at or above the level. */
  onLog?: (level: number, message: string) => void;
  /** Node-RED's `adminAuth` setting (editor and admin API login); none: open, as in the demo. */
  adminAuth?: Record<string, unknown>;
  /** Where HTTP-in nodes and Dashboard 2.0 are served (default `/api`); the demo uses `/`, so its dashboard is at /dashboard. */
  httpNodeRoot?: string;
}

/**
 * Context store modules must be functions in settings; options that travel as JSON (a child process, a test) name
 * this package's file store as "twinflow-file", its Redis store as "twinflow-redis", and any other by the absolute
 * path of its module file (a test's store that fails on purpose).
 */
function withStoreModules(storage: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, store] of Object.entries(storage)) {
    const s = store as { module?: unknown };
    if (s.module === 'twinflow-file') out[name] = { ...s, module: safeFileStore };
    else if (s.module === 'twinflow-redis') out[name] = { ...s, module: redisStore };
    else if (typeof s.module === 'string' && isAbsolute(s.module)) out[name] = { ...s, module: createRequire(__filename)(s.module) as unknown };
    else out[name] = store;
  }
  return out;
}

export interface NodeRedInstance {
  url: string;
  port: number;
  server: Server;
  stop(): Promise<void>;
}

/**
 * Starts Node-RED embedded in this process, on 127.0.0.1 only, with the settings an offline plant network needs
 * (no telemetry, no update checks, no editor tours). Shared by `npm start` and the editor tests.
 */
export async function startNodeRed(options: NodeRedInstanceOptions): Promise<NodeRedInstance> {
  mkdirSync(options.userDir, { recursive: true });
  const app = express();
  const server = createServer(app);
  const logger: Record<string, unknown> = { console: { level: options.logLevel ?? 'info', metrics: false, audit: false } };
  if (options.onLog) {
    const onLog = options.onLog;
    logger.capture = {
      level: options.logLevel ?? 'info',
      metrics: false,
      audit: false,
      handler: () => (entry: { level: number; msg: unknown }) => onLog(entry.level, String(entry.msg)),
    };
  }
  const settings = {
    userDir: options.userDir,
    flowFile: options.flowFile,
    nodesDir: options.nodesDir,
    uiHost: '127.0.0.1',
    httpAdminRoot: '/',
    httpNodeRoot: options.httpNodeRoot ?? '/api',
    telemetry: { enabled: false, updateNotification: false },
    // Plant networks are often offline: no tours, and no palette catalogue fetched from the internet.
    editorTheme: { tours: false, palette: { catalogues: [] } },
    diagnostics: { enabled: false },
    logging: logger,
    functionExternalModules: false,
    ...(options.contextStorage ? { contextStorage: withStoreModules(options.contextStorage) } : {}),
    ...(options.adminAuth && { adminAuth: options.adminAuth }),
  };
  RED.init(server, settings as unknown as Parameters<typeof RED.init>[1]);
  app.use(settings.httpAdminRoot, RED.httpAdmin);
  app.use(settings.httpNodeRoot, RED.httpNode);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, '127.0.0.1', () => resolve());
  });
  // RED.start() can resolve before the flows run; callers (and the demo banner) want them running.
  const flowsStarted = new Promise<void>((resolve) => RED.events.once('flows:started', () => resolve()));
  await RED.start();
  await Promise.race([flowsStarted, new Promise((resolve) => setTimeout(resolve, 30_000).unref())]);
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}/`,
    port,
    server,
    stop: async () => {
      await RED.stop();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
