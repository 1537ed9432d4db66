import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CMAPSS_SIGNALS, CmapssReplay, parseCmapss, parseCmapssRul, parseUnitSelection, type Telemetry } from '../../dist/core/index.js';
import { cmapssDir } from '../support/data.mts';

const DATA = cmapssDir();

/** A C-MAPSS row: unit, cycle, then 24 values where value k (0-based) is `base + k`. */
function row(unit: number, cycle: number, base: number): string {
  return [unit, cycle, ...Array.from({ length: 24 }, (_, k) => base + k)].join(' ');
}

const SMALL = [row(1, 1, 100), row(1, 2, 200), row(1, 3, 300), row(2, 1, 1000), row(2, 2, 2000)].join('  \n') + '  \n';

describe('C-MAPSS parsing', () => {
  it('reads engines, cycles and the 24 values of each row in file order', () => {
    const parsed = parseCmapss(SMALL);
    assert.ok(parsed.ok, parsed.ok ? '' : parsed.reason);
    const { engines, rowCount } = parsed.value;
    assert.equal(rowCount, 5);
    assert.deepEqual(engines.map((e) => e.unit), [1, 2]);
    assert.deepEqual(engines[0]!.cycles, [1, 2, 3]);
    assert.equal(engines[0]!.rows[2]![0], 300); // setting1
    assert.equal(engines[0]!.rows[2]![23], 323); // s21
    assert.equal(CMAPSS_SIGNALS.length, 24);
    assert.equal(CMAPSS_SIGNALS[3], 's1');
    assert.equal(CMAPSS_SIGNALS[23], 's21');
  });

  it('accepts Windows line ends and blank lines', () => {
    const parsed = parseCmapss(`\r\n${row(3, 1, 1)}\r\n\r\n${row(3, 2, 2)}\r\n`);
    assert.ok(parsed.ok);
    assert.equal(parsed.value.rowCount, 2);
  });

  it('refuses malformed files with the line that is wrong', () => {
    const cases: Array<[string, RegExp]> = [
      ['', /no data rows/],
      [`${row(1, 1, 1)}\n1 2 3`, /line 2 has 3 columns; a C-MAPSS row has 26/],
      [row(1, 1, 1).replace(' 5 ', ' x5 '), /line 1, column \d+: "x5" is not a number/],
      [row(0, 1, 1), /unit 0 is not a positive whole number/],
      [row(1, 1.5, 1), /cycle 1.5 is not a positive whole number/],
      [`${row(1, 2, 1)}\n${row(1, 2, 1)}`, /line 2: unit 1 goes from cycle 2 to 2; cycles must increase/],
      [`${row(1, 1, 1)}\n${row(2, 1, 1)}\n${row(1, 2, 1)}`, /line 3: rows of unit 1 are split/],
      ['<html>not found</html>', /line 1 has 2 columns/],
    ];
    for (const [text, pattern] of cases) {
      const parsed = parseCmapss(text);
      assert.equal(parsed.ok, false, `refuses ${JSON.stringify(text.slice(0, 30))}`);
      if (!parsed.ok) assert.match(parsed.reason, pattern);
    }
  });

  it('reads the real FD001 files: 20,631 training rows and 13,096 test rows of 100 engines each, 100 true RULs', () => {
    const train = parseCmapss(readFileSync(join(DATA, 'train_FD001.txt'), 'utf8'));
    const test = parseCmapss(readFileSync(join(DATA, 'test_FD001.txt'), 'utf8'));
    const rul = parseCmapssRul(readFileSync(join(DATA, 'RUL_FD001.txt'), 'utf8'));
    assert.ok(train.ok && test.ok && rul.ok);
    assert.equal(train.value.rowCount, 20_631);
    assert.equal(test.value.rowCount, 13_096);
    assert.equal(train.value.engines.length, 100);
    assert.equal(test.value.engines.length, 100);
    assert.deepEqual(train.value.engines.map((e) => e.unit), Array.from({ length: 100 }, (_, i) => i + 1));
    assert.equal(rul.value.length, 100);
    // First row of train_FD001.txt (which has Windows line ends), as printed by `head -1`:
    // 1 1 -0.0007 -0.0004 100 518.67 641.82 1589.7 1400.6 14.62 21.61 554.36 2388.06 9046.19 1.3 47.47 521.66 2388.02 8138.62 8.4195 0.03 392 2388 100 39.06 23.419
    const first = train.value.engines[0]!;
    assert.deepEqual(first.rows[0]!.slice(0, 5), [-0.0007, -0.0004, 100, 518.67, 641.82]);
    assert.equal(first.rows[0]![23], 23.419);
    // Engine 1 of the training set runs 192 cycles (`awk '$1==1' train_FD001.txt | wc -l`).
    assert.equal(first.cycles.length, 192);
    assert.equal(first.cycles[191], 192);
  });

  it('refuses a RUL file with a non-number', () => {
    const parsed = parseCmapssRul('112\n98\nabc\n');
    assert.equal(parsed.ok, false);
    if (!parsed.ok) assert.match(parsed.reason, /line 3: "abc"/);
  });
});

describe('engine selection', () => {
  it('reads all, single units and ranges, without repeats', () => {
    assert.deepEqual(parseUnitSelection(''), { ok: true, value: undefined });
    assert.deepEqual(parseUnitSelection(' All '), { ok: true, value: undefined });
    assert.deepEqual(parseUnitSelection('1,5,7-9'), { ok: true, value: [1, 5, 7, 8, 9] });
    assert.deepEqual(parseUnitSelection('3, 1-3'), { ok: true, value: [3, 1, 2] });
  });

  it('refuses what is not a unit or range', () => {
    for (const text of ['1,x', '9-7', '0', '1,,2', '-3']) {
      const parsed = parseUnitSelection(text);
      assert.equal(parsed.ok, false, text);
    }
  });
});

describe('C-MAPSS replay', () => {
  const dataset = () => {
    const parsed = parseCmapss(SMALL);
    assert.ok(parsed.ok);
    return parsed.value;
  };

  it('plays each engine one cycle per tick as telemetry stamped now, and says when an engine finishes', () => {
    const built = CmapssReplay.create(dataset(), { assetPrefix: 'engine-', cyclesPerTick: 1, loop: false });
    assert.ok(built.ok);
    const replay = built.value;
    const t0 = 1_700_000_000_000;
    const first = replay.tick(t0);
    assert.deepEqual(first.telemetry.map((t) => [t.assetId, t.ts, t.signals.cycle]), [
      ['engine-1', t0, 1],
      ['engine-2', t0, 1],
    ]);
    const signals = first.telemetry[0]!.signals;
    assert.deepEqual(Object.keys(signals), ['cycle', ...CMAPSS_SIGNALS]);
    assert.equal(signals.setting1, 100);
    assert.equal(signals.s21, 123);
    assert.deepEqual(first.finished, []);

    const second = replay.tick(t0 + 1000);
    assert.deepEqual(second.finished.map((f) => [f.assetId, f.unit, f.cycles, f.restarts]), [['engine-2', 2, 2, false]]);
    assert.equal(second.telemetry[1]!.signals.s1, 2003);
    const third = replay.tick(t0 + 2000);
    assert.deepEqual(third.telemetry.map((t) => t.assetId), ['engine-1']);
    assert.deepEqual(third.finished.map((f) => f.assetId), ['engine-1']);
    assert.equal(replay.complete, true);
    assert.deepEqual(replay.tick(t0 + 3000), { telemetry: [], finished: [] });

    replay.rewind();
    assert.equal(replay.tick(t0 + 4000).telemetry[0]!.signals.cycle, 1);
  });

  it('plays several cycles per tick with distinct, increasing timestamps ending at now', () => {
    const built = CmapssReplay.create(dataset(), { units: [1], assetPrefix: 'e', cyclesPerTick: 2, loop: false });
    assert.ok(built.ok);
    const t0 = 1_700_000_000_000;
    const a = built.value.tick(t0);
    assert.deepEqual(a.telemetry.map((t) => [t.assetId, t.ts, t.signals.cycle]), [
      ['e1', t0 - 1, 1],
      ['e1', t0, 2],
    ]);
    // Same wall-clock millisecond again (a fast manual tick): still after the previous cycle.
    const b = built.value.tick(t0);
    assert.deepEqual(b.telemetry.map((t) => [t.ts, t.signals.cycle]), [[t0 + 1, 3]]);
    assert.equal(b.finished.length, 1);
  });

  it('with loop, starts a finished engine again from its first cycle on the next tick', () => {
    const built = CmapssReplay.create(dataset(), { units: [2], assetPrefix: 'engine-', cyclesPerTick: 1, loop: true });
    assert.ok(built.ok);
    const cycles: number[] = [];
    const finishes: boolean[] = [];
    for (let i = 0; i < 5; i++) {
      const step = built.value.tick(1_700_000_000_000 + i * 1000);
      cycles.push(...step.telemetry.map((t) => t.signals.cycle!));
      finishes.push(step.finished.length === 1 && step.finished[0]!.restarts);
      // Its only engine just finished, yet a looping replay is never complete.
      assert.equal(built.value.complete, false);
    }
    assert.deepEqual(cycles, [1, 2, 1, 2, 1]);
    assert.deepEqual(finishes, [false, true, false, true, false]);
    assert.equal(built.value.complete, false);
  });

  it('refuses units that are not in the file and bad cycles per tick', () => {
    const missing = CmapssReplay.create(dataset(), { units: [1, 7], assetPrefix: 'e', cyclesPerTick: 1, loop: false });
    assert.equal(missing.ok, false);
    if (!missing.ok) assert.match(missing.reason, /unit 7 is not in the file \(it has units 1–2\)/);
    const zero = CmapssReplay.create(dataset(), { assetPrefix: 'e', cyclesPerTick: 0, loop: false });
    assert.equal(zero.ok, false);
  });

  it('replays a real FD001 test engine to its last row', () => {
    const parsed = parseCmapss(readFileSync(join(DATA, 'test_FD001.txt'), 'utf8'));
    assert.ok(parsed.ok);
    const built = CmapssReplay.create(parsed.value, { units: [3], assetPrefix: 'engine-', cyclesPerTick: 10, loop: false });
    assert.ok(built.ok);
    let last: Telemetry | undefined;
    let ticks = 0;
    while (!built.value.complete) {
      const step = built.value.tick(1_700_000_000_000 + ticks * 1000);
      last = step.telemetry[step.telemetry.length - 1];
      ticks++;
    }
    // Unit 3 of test_FD001.txt has 126 rows; its last row (`awk '$1==3' test_FD001.txt | tail -1`):
    // 3 126 -0.0016 0.0004 100.0 518.67 642.88 1589.75 1418.89 14.62 21.61 552.59 2388.16 9049.26 1.30 47.88 520.83 2388.14 8131.46 8.4119 0.03 395 2388 100.00 38.93 23.2740
    assert.equal(ticks, 13);
    assert.equal(last!.signals.cycle, 126);
    assert.equal(last!.signals.s2, 642.88);
    assert.equal(last!.signals.s21, 23.274);
    assert.equal(last!.signals.setting1, -0.0016);
  });
});
