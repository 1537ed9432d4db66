/**
 * Example 07 (pump model and health), imported as a user imports it and run in a real Node-RED runtime, with debug
 * nodes swapped for test helpers. The clock is sped up (one plant minute per 50 ms instead of per second) by the
 * same factor in the simulator and the model, so the flow behaves as shipped, 20× faster.
 */
import assert from 'node:assert/strict';
import { coreNodes, helper, importExample, nodes, until } from '../support/red.mts';


describe('model example flow', function () {
  this.timeout(30000);
  beforeEach(() => helper.startServer());
  afterEach(async () => {
    await helper.unload();
    await helper.stopServer();
  });

  it('07 Pump model and health: learns, reports health near 1, and the bearing-fault inject raises the vibration flag', async () => {
    const flow = importExample('07 Pump model and health.json');
    const sim = flow.find((n) => n.type === 'twin-simulator')!;
    const model = flow.find((n) => n.type === 'twin-model')!;
    // As shipped: one reading a second, 60× the clock, and the model told the same.
    assert.equal(sim.timeScale, model.timeScale);
    sim.intervalMs = '50';
    sim.timeScale = model.timeScale = '1200';
    await helper.load([nodes.definition, nodes.simulator, nodes.state, nodes.model, coreNodes.inject, coreNodes.comment], flow);
    const outputs: any[] = [];
    const snaps: any[] = [];
    helper.getNode('ex7.out').on('input', (m: any) => outputs.push(m.payload));
    helper.getNode('ex7.snap').on('input', (m: any) => snaps.push(m.payload));
    await until(() => outputs.some((o) => o.healthIndex !== null), 15000, 'the model to finish learning');
    const healthy = outputs.find((o) => o.healthIndex !== null);
    assert.ok(healthy.healthIndex > 0.5);
    await until(() => snaps.some((s) => typeof s.health?.index === 'number'), 5000, 'a snapshot carrying health');
    helper.getNode('ex7.fault').receive({});
    await until(() => outputs.some((o) => o.anomalies.vibration === true), 10000, 'the vibration flag');
  });
});
