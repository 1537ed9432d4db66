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
function pump(assetId: string, rul: Record<string, unknown> | undefined, lastMaintenance?: Record<string, unknown>) {
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

/** The fleet function in a runtime, its five outputs collected; the table (output 1) is returned. */
async function loadFleet() {
  const fleet = demo.find((n) => n.id === 'dash.fn.fleet')!;
  await helper.load(
    [functionNode],
    onTab([
      { ...fleet, z: 'tab', wires: [['table'], ['summary'], ['speed'], ['interlock'], ['maintenance']] },
      ...['table', 'summary', 'speed', 'interlock', 'maintenance'].map((id) => ({ id, type: 'helper' })),
    ]),
  );
  return { fleet, table: collect(helper.getNode('table')) };
}

describe('demo dashboard: fleet table and texts', () => {
  beforeEach(() => helper.startServer());
  afterEach(async () => {
    await helper.unload();
    await helper.stopServer();
  });

  it('shows the RUL with its interval, "more than" at the method\'s ceiling, and the last maintenance of the pump shown', async () => {
    const { fleet, table } = await loadFleet();
    const maintenance = collect(helper.getNode('maintenance'));
    // The asset page shows pump-1 (the dashboard keeps the choice in flow context).
    (helper.getNode(fleet.id) as any).context().flow.set('asset', 'pump-1');
    const replaced = { ts: Date.UTC(2026, 11, 1, 8, 48, 16), kind: 'part-replaced', part: 'bearing', by: 'dashboard', note: 'replaced from the plant dashboard' };
    helper.getNode(fleet.id).receive({
      poll: true,
      twin: 'main',
      payload: [
        pump('pump-1', { rul: 1584, lower: 1080, upper: 2844, ceiling: 5146 }, replaced),
        pump('pump-2', { rul: 5146, lower: 5146, upper: 5146, ceiling: 5146, cycles: 12 }),
        pump('pump-3', { rul: 3000, lower: 1000, upper: 5146, ceiling: 5146 }),
        pump('pump-4', undefined),
        // The trees' calibrated interval may reach above their cap: a real bound, shown as it is.
        { ...pump('engine-1', { rul: 100, lower: 80, upper: 140, ceiling: 125 }), rul: { rul: 100, lower: 80, upper: 140, ceiling: 125, unit: 'cycles', method: 'gbt' } },
        { ...pump('engine-2', undefined), rul: { rul: 125, lower: 110, upper: 160, ceiling: 125, unit: 'cycles', method: 'gbt' } },
        // Run at a speed the model never learned: the figure is rough, and the cell says why.
        pump('pump-5', { rul: 1584, lower: 1080, upper: 2844, ceiling: 5146, outsideTraining: [{ setting: 'speed', value: 1760, trained: 1480 }] }),
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
      'pump-5': '26.4 h (90 %: 18.0–47.4) · rough: speed 1760, learned at 1480',
    });
    // At the method's ceiling the life left is unknown too (no wear trend yet), however few readings the life has.
    assert.equal(table[0].payload.find((row: any) => row.asset === 'pump-2').life, '–');
    const time = new Date(replaced.ts).toLocaleTimeString('en-GB');
    assert.equal(maintenance[0].payload, `bearing replaced ${time} by dashboard: replaced from the plant dashboard`);
  });

  it('colours a row by what it asks of the operator: red at the bearing trip or under 2 h left, amber for anomalies, staleness, a sensor reported bad or under 8 h, green otherwise', async () => {
    const { fleet, table } = await loadFleet();
    const RED = '#c62828';
    const AMBER = '#f9a825';
    const GREEN = '#2e7d32';
    const health = (index: number, anomalies: Record<string, boolean> = {}) => ({ health: { index, anomalies } });
    const hot = (p: ReturnType<typeof pump>, value: number) => ({ ...p, signals: { ...p.signals, bearingTemp: { value, quality: 'good' } } });
    helper.getNode(fleet.id).receive({
      poll: true,
      twin: 'main',
      payload: [
        // Early wear: the model flags the bearing (health index already 0) while 16.7 h are left: look at it, no more.
        { ...pump('pump-1', { rul: 1002, lower: 990, upper: 1020, ceiling: 5146, cycles: 300 }), ...health(0, { bearingTemp: true, vibration: true }) },
        // A new bearing the model finds as healthy as at commissioning.
        { ...pump('pump-2', { rul: 1560, lower: 1500, upper: 1600, ceiling: 5146 }), ...health(0.97) },
        // Failed: the bearing past the trip, no life left (pump-4 over OPC UA is not modelled: no health at all).
        hot(pump('pump-4', { rul: 0, lower: 0, upper: 0, ceiling: 5146 }), 94.7),
        // Under 8 h left, nothing flagged.
        { ...pump('pump-3', { rul: 400, lower: 300, upper: 500, ceiling: 5146 }), ...health(0.9) },
        // Under 2 h left.
        { ...pump('pump-5', { rul: 100, lower: 60, upper: 140, ceiling: 5146 }), ...health(0.9) },
        // The PLC reports the bearing sensor bad: its last good value was past the trip, but that is no reading of now.
        { ...hot(pump('pump-6', { rul: 1560, lower: 1500, upper: 1600, ceiling: 5146 }), 95), ...health(0.97), signals: { speed: { value: 1480, quality: 'good' }, bearingTemp: { value: 95, quality: 'good', badSince: Date.UTC(2026, 11, 1, 9, 1) } } },
      ],
    });
    await until(() => table.length === 1, 5000, 'the table');
    const rows = Object.fromEntries(table[0].payload.map((row: any) => [row.asset, [row.status, row.alarms]]));
    // Life left: RUL / (RUL + life so far), 1002 / (1002 + 300) = 77 %; unknown without the life so far.
    assert.deepEqual(table[0].payload.map((row: any) => [row.asset, row.life, row.lifeBar, row.health]), [
      ['pump-1', '77 %', 77, '0.00'],
      ['pump-2', '–', 0, '0.97'],
      ['pump-3', '–', 0, '0.90'],
      ['pump-4', '–', 0, 'not modelled'],
      ['pump-5', '–', 0, '0.90'],
      ['pump-6', '–', 0, '0.97'],
    ]);
    assert.deepEqual(rows, {
      'pump-1': [AMBER, 'bearing temperature and vibration unlike the healthy pump'],
      'pump-2': [GREEN, 'none'],
      'pump-3': [AMBER, 'under 8 h of life left'],
      'pump-4': [RED, 'bearing 94.7 °C: at the 90 °C trip, under 2 h of life left'],
      'pump-5': [RED, 'under 2 h of life left'],
      'pump-6': [AMBER, 'bearing temperature sensor bad'],
    });
  });
});
