/**
 * `npm start`: the runnable demo. An embedded MQTT broker, Node-RED with this package loaded and the demo flow from
 * `flows/` deployed, all on 127.0.0.1. Ctrl-C stops everything cleanly.
 *
 * Environment: PORT (editor, default 1880), TWIN_DEMO_MQTT_PORT (broker, default 1883), TWIN_DEMO_OPCUA_PORT
 * (virtual PLC, default 4840); 0 picks a free port. TWIN_DEMO_USER_DIR (default .node-red-demo in the project).
 */
import { copyFileSync, existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { startEmbeddedBroker } from './embedded-broker.js';
import { startNodeRed } from './node-red-instance.js';
import { startPlantServer } from './opcua-plant-server.js';
import { PumpSimulator } from '../core/pump-simulator.js';

const root = resolve(__dirname, '..', '..');
const userDir = process.env.TWIN_DEMO_USER_DIR || join(root, '.node-red-demo');
const demoFlow = join(root, 'flows', 'demo.json');
const deployedFlow = join(userDir, 'flows.json');

function portFromEnv(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`${name}=${raw} is not a port number`);
  return port;
}

/**
 * Starts one of the demo's servers on its port. A port already in use (an MQTT broker on 1883 is common on a plant
 * engineer's machine) is an error that names the variable choosing another.
 */
async function onPort<T>(what: string, variable: string, port: number, start: (port: number) => Promise<T>): Promise<T> {
  try {
    return await start(port);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException | undefined)?.code;
    if (code === 'EADDRINUSE' || /EADDRINUSE/.test(String(err))) {
      throw new Error(`The demo's ${what} cannot use port ${port}: something else already listens on it (another ${what}?).\n` + `Choose another port, or 0 for any free one, e.g.:  ${variable}=0 npm start`, { cause: err });
    }
    throw err;
  }
}

async function main(): Promise<void> {
  const editorPort = portFromEnv('PORT', 1880);
  const mqttPort = portFromEnv('TWIN_DEMO_MQTT_PORT', 1883);
  mkdirSync(userDir, { recursive: true });
  // The demo flow is refreshed when the repository's copy is newer, so edits made in the editor survive a restart
  // until the project ships a new demo.
  if (!existsSync(deployedFlow) || statSync(demoFlow).mtimeMs > statSync(deployedFlow).mtimeMs) {
    if (existsSync(deployedFlow) && readFileSync(deployedFlow, 'utf8') !== readFileSync(demoFlow, 'utf8')) {
      // The editor's copy differs (edits, or an older demo): kept beside it, never silently lost.
      const kept = `${deployedFlow}.${new Date().toISOString().replace(/[:.]/g, '-')}.bak`;
      copyFileSync(deployedFlow, kept);
      console.log(`A newer demo flow replaces the one in ${userDir}; the previous one (with any edits made in the editor) is kept as ${kept}`);
    }
    copyFileSync(demoFlow, deployedFlow);
  }

  const broker = await onPort('MQTT broker', 'TWIN_DEMO_MQTT_PORT', mqttPort, startEmbeddedBroker);
  process.env.TWIN_DEMO_MQTT_PORT = String(broker.port);
  process.env.TWIN_DEMO_MQTT_URL = `mqtt://127.0.0.1:${broker.port}`;

  // A virtual PLC: an OPC UA server whose Pump1 variables follow a simulated pump, so the demo crosses OPC UA too.
  const plc = await onPort('OPC UA server', 'TWIN_DEMO_OPCUA_PORT', portFromEnv('TWIN_DEMO_OPCUA_PORT', 4840), (port) =>
    startPlantServer({ port, pkiFolder: join(userDir, 'virtual-plc-pki') }),
  );
  process.env.TWIN_DEMO_OPCUA_URL = plc.endpointUrl;
  const plcPump = new PumpSimulator({ assetId: 'pump-4', seed: 4, frictionGrowthPerHour: 0.05 });
  const plcTimer = setInterval(() => {
    const { signals } = plcPump.step(Date.now(), 60);
    // One source timestamp for the scan, as a PLC gives it: twin-rul reads only rows where every signal it needs has
    // a reading at the same time.
    plc.setMany({ Speed: signals.speed!, Flow: signals.flow!, BearingTemp: signals.bearingTemp! });
  }, 1000);
  // The demo's maintenance crew at the PLC: a bearing replaced from the dashboard is fitted to the PLC's pump here (the
  // demo flow sends it on plant/pump-4/replace-bearing; pumps 1–3 get theirs from the simulator node). The PLC reports
  // the work done on plant/pump-4/bearing-replaced, and the flow logs it in the twin from that report: logged only
  // once fitted, so no reading of the old bearing counts in the new life.
  await broker.onMessage(`plant/${plcPump.assetId}/replace-bearing`, (_topic, payload) => {
    plcPump.replaceBearing();
    console.log(`  virtual PLC: ${plcPump.assetId} fitted with a new bearing`);
    let by: unknown;
    try {
      by = (JSON.parse(payload.toString()) as { by?: unknown }).by;
    } catch {
      by = undefined;
    }
    const report = { assetId: plcPump.assetId, ts: Date.now(), ...(typeof by === 'string' ? { by } : {}) };
    broker.publish(`plant/${plcPump.assetId}/bearing-replaced`, JSON.stringify(report)).catch((err: unknown) => console.error(`  virtual PLC: ${String(err)}`));
  });
  // The pump RUL model (core/rul/pump-training.ts), read by the demo flow's twin-rul from where the package keeps it.
  process.env.TWIN_DEMO_PUMP_RUL_MODEL = join(root, 'models', 'pump-bearing-gbt.json');

  // The demo twin is kept in a file-backed context store ("file"), so it survives a restart of the demo.
  const nodeRed = await onPort('Node-RED editor', 'PORT', editorPort, (port) =>
    startNodeRed({
      userDir,
      flowFile: 'flows.json',
      port,
      nodesDir: [root],
      // HTTP-in nodes and Dashboard 2.0 at the root, beside the editor: the plant dashboard is at /dashboard.
      httpNodeRoot: '/',
      contextStorage: { default: { module: 'memory' }, file: { module: 'twinflow-file', config: { flushInterval: 10 } } },
    }),
  );
  console.log('');
  console.log(`  Digital twin demo is running.`);
  console.log(`  Node-RED editor:  ${nodeRed.url}`);
  console.log(`  Plant dashboard:  ${nodeRed.url}dashboard`);
  console.log(`  MQTT broker:      mqtt://127.0.0.1:${broker.port}  (twin snapshots on twin/<asset>/snapshot)`);
  console.log(`  Virtual PLC:      ${plc.endpointUrl}  (OPC UA, namespace urn:twinflow:virtual-plc)`);
  console.log(`  Stop with Ctrl-C.`);
  console.log('');

  let stopping = false;
  const stop = async (signal: string): Promise<void> => {
    if (stopping) return;
    stopping = true;
    console.log(`\n  ${signal}: stopping Node-RED, the virtual PLC and the broker…`);
    const force = setTimeout(() => {
      console.error('  shutdown took longer than 10 s; exiting anyway');
      process.exit(1);
    }, 10_000);
    force.unref();
    await nodeRed.stop();
    clearInterval(plcTimer);
    await plc.close();
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
