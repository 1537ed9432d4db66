import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdirSync } from 'node:fs';
import express from 'express';
import RED from 'node-red';

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
  /** Called with every log line Node-RED writes at or above the level. */
  onLog?: (level: number, message: string) => void;
  /** Node-RED's `adminAuth` setting (editor and admin API login); none: open, as in the demo. */
  adminAuth?: Record<string, unknown>;
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
    httpNodeRoot: '/api',
    telemetry: { enabled: false, updateNotification: false },
    // Plant networks are often offline: no tours, and no palette catalogue fetched from the internet.
    editorTheme: { tours: false, palette: { catalogues: [] } },
    diagnostics: { enabled: false },
    logging: logger,
    functionExternalModules: false,
    ...(options.adminAuth && { adminAuth: options.adminAuth }),
  };
  RED.init(server, settings as unknown as Parameters<typeof RED.init>[1]);
  app.use(settings.httpAdminRoot, RED.httpAdmin);
  app.use(settings.httpNodeRoot, RED.httpNode);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, '127.0.0.1', () => resolve());
  });
  await RED.start();
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
