/**
 * Example 05's HTTP endpoint as a caller meets it: a real Node-RED in its own process serves the example flow, and
 * every POST gets exactly one answer — the twin's snapshot, the reading itself when the twin already had it, or 400
 * with the reason when the body cannot be read — never a request left hanging.
 */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startNodeRedProcess, type NodeRedProcess } from '../support/node-red-process.mts';
import { tempDir } from '../support/red.mts';

const EXAMPLE = join(import.meta.dirname, '..', '..', 'examples', '05 Any source to twin (Modbus registers, HTTP).json');

describe('example 05: the HTTP endpoint answers every request', function () {
  this.timeout(90_000);
  const dir = tempDir('twin-example-05-');
  let nr: NodeRedProcess;

  before(async () => {
    writeFileSync(join(dir.path, 'flows.json'), readFileSync(EXAMPLE, 'utf8'));
    nr = await startNodeRedProcess({ userDir: dir.path, flowFile: 'flows.json', logLevel: 'warn' });
  });
  after(async () => {
    await nr?.stop();
    dir.remove();
  });

  /** POSTs a body to the example's endpoint; a caller gives up after 5 s (the bug was an answer that never came). */
  const post = async (body: string) => {
    const response = await fetch(new URL('api/pump-readings', nr.url), { method: 'POST', headers: { 'content-type': 'application/json' }, body, signal: AbortSignal.timeout(5000) });
    return { status: response.status, body: (await response.json()) as Record<string, any> };
  };

  it('a reading: 200 with the pump\'s snapshot; the same reading again: 200 with the reading', async () => {
    const reading = JSON.stringify({ pump: 'pump-9', time: '2026-11-25T12:00:00Z', flow: 150.2, speed: 1475 });
    const first = await post(reading);
    assert.equal(first.status, 200);
    assert.equal(first.body.assetId, 'pump-9');
    assert.deepEqual([first.body.signals.flow.value, first.body.signals.speed.value, first.body.signals.speed.unit], [150.2, 1475, 'rpm']);
    const again = await post(reading);
    assert.equal(again.status, 200);
    assert.equal(again.body.assetId, 'pump-9');
  });

  it('a body it cannot read: 400 with the reason, and the twin keeps what it had', async () => {
    const bad = await post(JSON.stringify({ pump: 'pump-9', time: '2026-11-25T12:01:00Z', flow: 'abc' }));
    assert.equal(bad.status, 400);
    assert.match(bad.body.error, /flow/);
    const noAsset = await post(JSON.stringify({ flow: 150 }));
    assert.equal(noAsset.status, 400);
    assert.match(noAsset.body.error, /asset|pump/i);
    const next = await post(JSON.stringify({ pump: 'pump-9', time: '2026-11-25T12:02:00Z', flow: 151, speed: 1476 }));
    assert.equal(next.status, 200);
    assert.equal(next.body.signals.flow.value, 151);
  });

  it('a body with one reading it cannot read among good ones: 400 naming it; the good ones are taken', async () => {
    const mixed = await post(JSON.stringify({ pump: 'pump-9', time: '2026-11-25T12:03:00Z', flow: 'abc', speed: 1477 }));
    assert.equal(mixed.status, 400);
    assert.match(mixed.body.error, /flow of pump-9 not taken: value is the string "abc", not a finite number/);
    // The same speed again: the example answers with the reading itself when the twin already has it.
    const again = await post(JSON.stringify({ pump: 'pump-9', time: '2026-11-25T12:03:00Z', speed: 1477 }));
    assert.equal(again.status, 200);
    assert.equal(again.body.signals.speed, 1477, `the twin took the speed of the mixed body (${JSON.stringify(again.body)})`);
    const later = await post(JSON.stringify({ pump: 'pump-9', time: '2026-11-25T12:04:00Z', speed: 1478 }));
    assert.equal(later.body.signals.flow.value, 151, 'flow keeps its last reading');
  });
});
