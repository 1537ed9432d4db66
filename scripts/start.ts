/**
 * `npm start`: the runnable demo. An embedded MQTT broker, Node-RED with this package loaded and the demo flow from
 * `flows/` deployed, all on 127.0.0.1. Ctrl-C stops everything cleanly.
 *
 * Environment: PORT (editor, default 1880), TWIN_DEMO_MQTT_PORT (broker, default 1883; 0 picks a free one).
 */
import { copyFileSync, existsSync, mkdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { startEmbeddedBroker } from './embedded-broker.js';
import { startNodeRed } from './node-red-instance.js';

const root = resolve(__dirname, '..', '..');
const userDir = join(root, '.node-red-demo');
const demoFlow = join(root, 'flows', 'demo.json');
const deployedFlow = join(userDir, 'flows.json');

function portFromEnv(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`${name}=${raw} is not a port number`);
  return port;
}

async function main(): Promise<void> {
  const editorPort = portFromEnv('PORT', 1880);
  const mqttPort = portFromEnv('TWIN_DEMO_MQTT_PORT', 1883);
  mkdirSync(userDir, { recursive: true });
  // The demo flow is refreshed when the repository's copy is newer, so edits made in the editor survive a restart
  // until the project ships a new demo.
  if (!existsSync(deployedFlow) || statSync(demoFlow).mtimeMs > statSync(deployedFlow).mtimeMs) {
    copyFileSync(demoFlow, deployedFlow);
  }

  const broker = await startEmbeddedBroker(mqttPort);
  process.env.TWIN_DEMO_MQTT_PORT = String(broker.port);
  process.env.TWIN_DEMO_MQTT_URL = `mqtt://127.0.0.1:${broker.port}`;

  const nodeRed = await startNodeRed({ userDir, flowFile: 'flows.json', port: editorPort, nodesDir: [root] });
  console.log('');
  console.log(`  Digital twin demo is running.`);
  console.log(`  Node-RED editor:  ${nodeRed.url}`);
  console.log(`  MQTT broker:      mqtt://127.0.0.1:${broker.port}  (twin snapshots on twin/<asset>/snapshot)`);
  console.log(`  Stop with Ctrl-C.`);
  console.log('');

  let stopping = false;
  const stop = async (signal: string): Promise<void> => {
    if (stopping) return;
    stopping = true;
    console.log(`\n  ${signal}: stopping Node-RED and the broker…`);
    const force = setTimeout(() => {
      console.error('  shutdown took longer than 10 s; exiting anyway');
      process.exit(1);
    }, 10_000);
    force.unref();
    await nodeRed.stop();
    await broker.close();
    clearTimeout(force);
    console.log('  stopped.');
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
