/**
 * The demo dashboard's fleet table and texts (function "fleet table and texts" of flows/demo.json), run in a real
 * Node-RED runtime on snapshots as twin-state sends them: what a plant engineer reads for remaining life and
 * maintenance, including the cases the live demo reaches only now and then (an estimate at its method's ceiling).
 */
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { collect, helper, onTab, until } from '../support/red.mts';

const require = createRequire(import.meta.url);
const functionNode = require(require.resolve('@node-red/nodes/core/function/10-function.js', { paths: [require.resolve('node-red')] })) as unknown;
const demo = JSON.parse(readFileSync(join(import.meta.dirname, '..', '..', 'flows', 'demo.json'), 'utf8')) as Array<Record<string, any>>;

/** A snapshot of a pump as twin-state sends it, with the RUL twin-rul wrote into the twin (minutes of plant time). */
function pump(assetId: string, rul: Record<string, number> | undefined, lastMaintenance?: Record<string, unknown>) {
  return {
    assetId,
    ts: Date.UTC(2026, 11, 1, 9, 0),
    updatedAt: Date.UTC(2026, 11, 1, 9, 0),
    staleCount: 0,
    signals: { speed: { value: 1480, quality: 'good' }, bearingTemp: { value: 55.2, quality: 'good' } },
    ...(rul ? { rul: { unit: 'minutes', method: 'linear', ...rul } } : {}),
    ...(lastMaintenance ? { lastMaintenance } : {}),
  };
}

describe('demo dashboard: fleet table and texts', () => {
  beforeEach(() => helper.startServer());
  afterEach(async () => {
    await helper.unload();
    await helper.stopServer();
  });

  it('shows the RUL with its interval, "more than" at the method\'s ceiling, and the last maintenance of the pump shown', async () => {
    const fleet = demo.find((n) => n.id === 'dash.fn.fleet')!;
    await helper.load(
      [functionNode],
      onTab([
        { ...fleet, z: 'tab', wires: [['table'], ['summary'], ['speed'], ['interlock'], ['maintenance']] },
        ...['table', 'summary', 'speed', 'interlock', 'maintenance'].map((id) => ({ id, type: 'helper' })),
      ]),
    );
    const table = collect(helper.getNode('table'));
    const maintenance = collect(helper.getNode('maintenance'));
    // The asset page shows pump-1 (the dashboard keeps the choice in flow context).
    (helper.getNode(fleet.id) as any).context().flow.set('asset', 'pump-1');
    const replaced = { ts: Date.UTC(2026, 11, 1, 8, 48, 16), kind: 'part-replaced', part: 'bearing', by: 'dashboard', note: 'replaced from the plant dashboard' };
    helper.getNode(fleet.id).receive({
      poll: true,
      twin: 'main',
      payload: [
        pump('pump-1', { rul: 1584, lower: 1080, upper: 2844, ceiling: 5146 }, replaced),
        pump('pump-2', { rul: 5146, lower: 5146, upper: 5146, ceiling: 5146 }),
        pump('pump-3', { rul: 3000, lower: 1000, upper: 5146, ceiling: 5146 }),
        pump('pump-4', undefined),
        // The trees' calibrated interval may reach above their cap: a real bound, shown as it is.
        { ...pump('engine-1', { rul: 100, lower: 80, upper: 140, ceiling: 125 }), rul: { rul: 100, lower: 80, upper: 140, ceiling: 125, unit: 'cycles', method: 'gbt' } },
        { ...pump('engine-2', undefined), rul: { rul: 125, lower: 110, upper: 160, ceiling: 125, unit: 'cycles', method: 'gbt' } },
      ],
    });
    await until(() => table.length === 1 && maintenance.length === 1, 5000, 'the table and the maintenance text');
    const rul = Object.fromEntries(table[0].payload.map((row: any) => [row.asset, row.rul]));
    assert.deepEqual(rul, {
      'pump-1': '26.4 h (90 %: 18.0–47.4)',
      'pump-2': 'more than 85.8 h (no wear trend yet)',
      'pump-3': '50.0 h (90 %: 16.7–more than 85.8)',
      'pump-4': 'no estimate',
      'engine-1': '100 cycles (90 %: 80–140)',
      'engine-2': 'more than 125 cycles (no wear trend yet)',
    });
    const time = new Date(replaced.ts).toLocaleTimeString('en-GB');
    assert.equal(maintenance[0].payload, `bearing replaced ${time} by dashboard: replaced from the plant dashboard`);
  });
});
