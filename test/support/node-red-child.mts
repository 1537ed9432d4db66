/**
 * A Node-RED instance in its own process, for tests that stop, kill and restart Node-RED for real.
 * argv[2]: JSON options for startNodeRed. Prints "READY <url>" when flows are running; stops cleanly on SIGINT.
 */
import fs, { existsSync, readFileSync, readdirSync } from 'node:fs';
import { createRequire, syncBuiltinESMExports } from 'node:module';

const require = createRequire(import.meta.url);

// File watchers (fs.watch) open right now: Node lists an unref'd watcher nowhere, so count them at the source,
// before anything (chokidar under node-opcua's PKI) takes its own reference to fs.watch.
let fileWatchers = 0;
const watch = fs.watch;
fs.watch = ((...args: Parameters<typeof fs.watch>) => {
  const watcher = watch(...args);
  fileWatchers++;
  watcher.once('close', () => fileWatchers--);
  return watcher;
}) as typeof fs.watch;
syncBuiltinESMExports();
const { startNodeRed } = require('../../dist/scripts/node-red-instance.js') as typeof import('../../dist/scripts/node-red-instance.js');

const options = JSON.parse(process.argv[2]!);
const instance = await startNodeRed({ ...options, port: 0 });
console.log(`READY ${instance.url}`);
// Resource figures for leak tests, asked for over the IPC channel: active handles and timers by type, and the heap
// after a full collection (when started with --expose-gc). Idle HTTP keep-alive connections of the test's own
// requests are closed first, so only what the flows hold is counted.
process.on('message', (message: { id: number; type: string }) => {
  if (message.type !== 'resources') return;
  instance.server.closeIdleConnections();
  setTimeout(() => {
    const gc = (globalThis as { gc?: () => void }).gc;
    // Several collections: V8 drops the bytecode of functions unused for a few of them, which would otherwise show
    // as heap that comes and goes between samples.
    for (let i = 0; i < 6; i++) gc?.();
    const resources: Record<string, number> = {};
    for (const type of process.getActiveResourcesInfo()) resources[type] = (resources[type] ?? 0) + 1;
    resources.fileWatchers = fileWatchers;
    // What the operating system sees (Linux): open file descriptors, and inotify watches (fs.watch), which Node does
    // not list among active resources once they are unref'd.
    if (existsSync('/proc/self/fd')) {
      const fds = readdirSync('/proc/self/fd');
      resources.fileDescriptors = fds.length;
      resources.inotifyWatches = 0;
      for (const fd of fds) {
        try {
          resources.inotifyWatches += readFileSync(`/proc/self/fdinfo/${fd}`, 'utf8').split('\n').filter((line) => line.startsWith('inotify')).length;
        } catch {
          // closed meanwhile (the descriptor readdir itself used)
        }
      }
    }
    const memory = process.memoryUsage();
    process.send?.({ id: message.id, resources, heapUsed: memory.heapUsed, rss: memory.rss, gc: gc !== undefined });
  }, 100);
});
process.on('SIGINT', () => {
  void instance.stop().then(() => {
    console.log('STOPPED');
    process.exit(0);
  });
});
