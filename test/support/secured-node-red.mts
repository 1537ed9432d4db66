/**
 * A child process for admin-API permission tests: a virtual PLC and a real Node-RED (not the test helper, which
 * skips `RED.auth.needsPermission`) with `adminAuth`, running one deployed twin-opcua-endpoint with id "plc".
 * Prints one JSON line `{ url }` when ready; stops on SIGTERM.
 */
import { createRequire } from 'node:module';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const require = createRequire(import.meta.url);
const root = join(import.meta.dirname, '..', '..');
const { startPlantServer } = require('../../dist/scripts/opcua-plant-server.js') as typeof import('../../dist/scripts/opcua-plant-server.js');
const { startNodeRed } = require('../../dist/scripts/node-red-instance.js') as typeof import('../../dist/scripts/node-red-instance.js');
const bcrypt = require(require.resolve('bcryptjs', { paths: [require.resolve('node-red')] })) as { hashSync(text: string, rounds: number): string };

const userDir = process.argv[2]!;
const password = process.argv[3]!;
mkdirSync(userDir, { recursive: true });
const plc = await startPlantServer({ pkiFolder: join(userDir, 'plc-pki') });
writeFileSync(
  join(userDir, 'flows.json'),
  JSON.stringify([{ id: 'plc', type: 'twin-opcua-endpoint', endpoint: plc.endpointUrl, securityMode: 'None', authentication: 'anonymous' }]),
);
const red = await startNodeRed({
  userDir,
  flowFile: 'flows.json',
  port: 0,
  nodesDir: [root],
  logLevel: 'warn',
  adminAuth: { type: 'credentials', users: [{ username: 'viewer', password: bcrypt.hashSync(password, 4), permissions: 'read' }] },
});
console.log(JSON.stringify({ url: red.url }));
process.once('SIGTERM', () => {
  void red
    .stop()
    .then(() => plc.close())
    .then(() => process.exit(0));
});
