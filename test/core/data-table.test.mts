import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fitRidgeBaselineFromColumns, parseDataTable, predictRidgeBaseline } from '../../dist/core/index.js';
import { cmapssDir } from '../support/data.mts';

describe('data tables for fitting a baseline', () => {
  it('reads a header row with any of the usual separators', () => {
    assert.deepEqual(parseDataTable('speed;flow\n1000;102\r\n1100;112\n'), { ok: true, value: { speed: [1000, 1100], flow: [102, 112] } });
    assert.deepEqual(parseDataTable('speed\tflow\n1000\t102'), { ok: true, value: { speed: [1000], flow: [102] } });
  });

  it('reads a C-MAPSS file and fits settings → sensors on it', () => {
    const table = parseDataTable(readFileSync(join(cmapssDir(), 'train_FD001.txt'), 'utf8'));
    assert.ok(table.ok);
    assert.equal(table.value.s11!.length, 20631);
    const fitted = fitRidgeBaselineFromColumns(table.value, { inputs: ['setting1', 'setting2'], outputs: ['s11', 's4'] });
    assert.ok(fitted.ok);
    assert.equal(fitted.value.rows, 20631);
    const p = predictRidgeBaseline(fitted.value, { setting1: 0, setting2: 0 });
    assert.ok(p.ok);
    // FD001 has one operating condition: the baseline predicts the fleet's mean.
    assert.ok(Math.abs(p.value.s11! - 47.54) < 0.05, String(p.value.s11));
  });

  it('refuses with a reason: no header, ragged rows, text, missing columns', () => {
    assert.match((parseDataTable('1 2 3\n4 5 6') as { reason: string }).reason, /needs a header row/);
    assert.match((parseDataTable('a,b\n1') as { reason: string }).reason, /line 2 has 1 values, the header 2/);
    assert.match((parseDataTable('a,b\n1,x') as { reason: string }).reason, /line 2, column b: "x" is not a number/);
    assert.match((parseDataTable('') as { reason: string }).reason, /empty/);
    const table = parseDataTable('a,b\n1,2\n2,3');
    assert.ok(table.ok);
    assert.match((fitRidgeBaselineFromColumns(table.value, { inputs: ['a'], outputs: ['c'] }) as { reason: string }).reason, /no column c/);
  });
});
