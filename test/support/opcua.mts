/** A node-opcua virtual PLC and a Node-RED test runtime for one describe block, with every PKI in a temp folder. */
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { helper, tempDir } from './red.mts';

const require = createRequire(import.meta.url);
export const plant = require('../../dist/scripts/opcua-plant-server.js') as typeof import('../../dist/scripts/opcua-plant-server.js');
export type PlantServer = Awaited<ReturnType<typeof plant.startPlantServer>>;

/**
 * Registers the hooks: one server for the block (starting node-opcua costs seconds), a fresh Node-RED runtime per
 * test. Call inside `describe`; use the returned getters in the tests.
 */
export function usePlantServer(prefix: string): { server: () => PlantServer; pkiPath: () => string } {
  let server: PlantServer | undefined;
  let pki: ReturnType<typeof tempDir> | undefined;
  before(async () => {
    pki = tempDir(prefix);
    server = await plant.startPlantServer({ pkiFolder: join(pki.path, 'plc'), tickMs: 100 });
  });
  after(async () => {
    await server?.close();
    pki?.remove();
  });
  beforeEach(async () => {
    helper.settings({ userDir: join(pki!.path, 'node-red') });
    await helper.startServer();
  });
  afterEach(async () => {
    await helper.unload();
    await helper.stopServer();
  });
  return { server: () => server!, pkiPath: () => pki!.path };
}
