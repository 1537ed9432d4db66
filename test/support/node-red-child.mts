/**
 * A Node-RED instance in its own process, for tests that stop, kill and restart Node-RED for real.
 * argv[2]: JSON options for startNodeRed. Prints "READY <url>" when flows are running; stops cleanly on SIGINT.
 */
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const { startNodeRed } = require('../../dist/scripts/node-red-instance.js') as typeof import('../../dist/scripts/node-red-instance.js');

const options = JSON.parse(process.argv[2]!);
const instance = await startNodeRed({ ...options, port: 0 });
console.log(`READY ${instance.url}`);
process.on('SIGINT', () => {
  void instance.stop().then(() => {
    console.log('STOPPED');
    process.exit(0);
  });
});
