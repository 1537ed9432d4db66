import assert from 'node:assert/strict';
import { readNumber, validateTelemetry, parseTimestamp, checkZonelessTimes } from '../../dist/core/index.js';

const NOW = Date.UTC(2026, 10, 25, 12, 0, 0);

describe('telemetry validation', () => {
  it('accepts a well-formed message unchanged', () => {
    const input = { assetId: 'pump-1', ts: NOW - 1000, signals: { flow: 151.2, pressure: 4.2 }, quality: { flow: 'good' } };
    const result = validateTelemetry(input, NOW);
    assert.ok(result.ok);
    assert.deepEqual(result.value.telemetry, input);
    assert.deepEqual(result.value.rejected, []);
  });

  it('uses the receive time when the message has no timestamp', () => {
    const result = validateTelemetry({ assetId: 'p', signals: { a: 1 } }, NOW);
    assert.ok(result.ok);
    assert.equal(result.value.telemetry.ts, NOW);
  });

  it('reads ISO timestamps and refuses second-based ones with a reason', () => {
    assert.deepEqual(parseTimestamp('2026-11-25T12:00:00Z'), { ok: true, value: NOW });
    const seconds = parseTimestamp(NOW / 1000);
    assert.equal(seconds.ok, false);
    assert.match((seconds as { reason: string }).reason, /seconds/);
  });

  it('reads a ms timestamp sent as digits like the number, and refuses digits that are seconds or microseconds', () => {
    assert.deepEqual(parseTimestamp(String(NOW)), { ok: true, value: NOW });
    assert.deepEqual(parseTimestamp(` ${NOW}.5 `), { ok: true, value: NOW + 0.5 });
    // Date.parse('5') is a date in 2001: digits are never read as a date string.
    assert.match((parseTimestamp('5') as { reason: string }).reason, /timestamp 5 looks like seconds/);
    assert.match((parseTimestamp(String(NOW / 1000)) as { reason: string }).reason, /looks like seconds/);
    assert.match((parseTimestamp(NOW * 1000) as { reason: string }).reason, /looks like microseconds; send milliseconds/);
    assert.match((parseTimestamp(String(NOW * 1000)) as { reason: string }).reason, /looks like microseconds/);
    // Other text of signs, digits and dots is neither (Date.parse reads each as a date in 2001).
    for (const text of ['-5', '.5', '5.', '1 2', '+7']) {
      assert.match((parseTimestamp(text) as { reason: string }).reason, /is neither a number of ms nor a date/, text);
    }
    // The year 5000 is still a date in ms (a test rig's far-future stamp is refused later, by the twin's clock).
    assert.equal(parseTimestamp(Date.UTC(5000, 0, 1)).ok, true);
  });

  it('reads a time without a zone offset in the zone it is told (UTC, a named zone across daylight saving, or the host\'s)', () => {
    const at = (text: string, zone?: string) => {
      const parsed = parseTimestamp(text, zone);
      assert.ok(parsed.ok, `${text} in ${zone}: ${JSON.stringify(parsed)}`);
      return parsed.value;
    };
    assert.equal(at('2026-11-25T12:00:00', 'UTC'), NOW);
    assert.equal(at('2026-11-25 12:00:00.250', 'UTC'), NOW + 250);
    assert.equal(at('2026-11-25', 'UTC'), Date.UTC(2026, 10, 25));
    // Berlin is UTC+1 in winter and UTC+2 in summer; New York UTC−5 and UTC−4.
    assert.equal(at('2026-11-25T13:00:00', 'Europe/Berlin'), NOW);
    assert.equal(at('2026-07-01T14:00:00', 'Europe/Berlin'), Date.UTC(2026, 6, 1, 12));
    assert.equal(at('2026-07-01T08:00:00', 'America/New_York'), Date.UTC(2026, 6, 1, 12));
    // The hours either side of the change to summer time (Berlin, 29 March 2026, 02:00 → 03:00).
    assert.equal(at('2026-03-29T01:59:00', 'Europe/Berlin'), Date.UTC(2026, 2, 29, 0, 59));
    assert.equal(at('2026-03-29T03:00:00', 'Europe/Berlin'), Date.UTC(2026, 2, 29, 1, 0));
    // The skipped hour is read as JavaScript reads local time, moved forward: 02:30 is 03:30 summer time, east and
    // west of Greenwich (New York: 8 March 2026, 02:00 EST → 03:00 EDT).
    assert.equal(at('2026-03-29T02:30:00', 'Europe/Berlin'), Date.UTC(2026, 2, 29, 1, 30));
    assert.equal(at('2026-03-08T02:30:00', 'America/New_York'), Date.UTC(2026, 2, 8, 7, 30));
    // The repeated hour when the clocks go back is read as its first occurrence, in both (Berlin: 25 October 2026,
    // 03:00 CEST → 02:00 CET; New York: 1 November 2026, 02:00 EDT → 01:00 EST).
    assert.equal(at('2026-10-25T02:30:00', 'Europe/Berlin'), Date.UTC(2026, 9, 25, 0, 30));
    assert.equal(at('2026-11-01T01:30:00', 'America/New_York'), Date.UTC(2026, 10, 1, 5, 30));
    assert.equal(at('2026-10-25T03:30:00', 'Europe/Berlin'), Date.UTC(2026, 9, 25, 2, 30), 'after the repeated hour');
    // Zones with half hours, and a zone name as the nodes pass it after checking.
    assert.equal(at('2026-11-25T17:30:00', 'Asia/Kolkata'), NOW);
    assert.equal(at('2026-11-25T12:00:00', ' utc '), NOW);
    // The host's zone, as JavaScript reads local time (the default).
    assert.equal(at('2026-11-25T12:00:00'), new Date(2026, 10, 25, 12).getTime());
    // A zone offset in the text wins over the setting.
    assert.equal(at('2026-11-25T12:00:00Z', 'Europe/Berlin'), NOW);
    assert.equal(at('2026-11-25T14:00:00+02:00', 'America/New_York'), NOW);
    // No such day or hour: refused, not rolled over into the next month.
    for (const text of ['2026-02-30T10:00:00', '2026-11-25T24:00:00', '2026-13-01']) {
      assert.match((parseTimestamp(text, 'UTC') as { reason: string }).reason, /is not a date/, text);
    }
    // A device clock never set: not the year 1999 (Date.UTC reads 99 so).
    assert.match((parseTimestamp('0099-01-01T00:00:00', 'UTC') as { reason: string }).reason, /before 1900: is the device's clock set\?/);
    // A zone name not checked before (the core API called directly) is a reason, not an exception.
    assert.match((parseTimestamp('2026-11-25T12:00:00', 'Mars/Olympus') as { reason: string }).reason, /is no time zone/);
  });

  it('checks the zone setting, and says which times validation read without a zone', () => {
    assert.deepEqual(checkZonelessTimes(''), { ok: true, value: 'host' });
    assert.deepEqual(checkZonelessTimes(' utc '), { ok: true, value: 'UTC' });
    assert.deepEqual(checkZonelessTimes('Asia/Kolkata'), { ok: true, value: 'Asia/Kolkata' });
    assert.match((checkZonelessTimes('Europe/Atlantis') as { reason: string }).reason, /"Europe\/Atlantis" is no time zone/);
    const zoneless = validateTelemetry({ assetId: 'p', ts: '2026-11-25T17:30:00', signals: { a: 1 } }, NOW, { zonelessTimes: 'Asia/Kolkata' });
    assert.ok(zoneless.ok);
    assert.equal(zoneless.value.telemetry.ts, NOW);
    assert.equal(zoneless.value.zonelessTime, '2026-11-25T17:30:00');
    const zoned = validateTelemetry({ assetId: 'p', ts: '2026-11-25T12:00:00Z', signals: { a: 1 } }, NOW, { zonelessTimes: 'Asia/Kolkata' });
    assert.ok(zoned.ok);
    assert.equal(zoned.value.zonelessTime, undefined);
  });

  it('drops NaN, Infinity, strings and booleans per signal, keeping the rest, each with a reason', () => {
    const result = validateTelemetry(
      { assetId: 'p', ts: NOW, signals: { good: 1, nan: NaN, inf: Infinity, text: 'x', flag: true, nothing: null } },
      NOW,
    );
    assert.ok(result.ok);
    assert.deepEqual(result.value.telemetry.signals, { good: 1 });
    assert.deepEqual(result.value.rejected.map((r) => r.signal).sort(), ['flag', 'inf', 'nan', 'nothing', 'text']);
    for (const r of result.value.rejected) assert.match(r.reason, /not a finite number/);
  });

  for (const [label, input, pattern] of [
    ['a string', 'hello', /must be an object/],
    ['null', null, /must be an object/],
    ['an array', [1, 2], /must be an object/],
    ['no asset id', { signals: { a: 1 } }, /no assetId/],
    ['an empty asset id', { assetId: ' ', signals: { a: 1 } }, /no assetId/],
    ['no signals', { assetId: 'p' }, /no signals object/],
    ['empty signals', { assetId: 'p', signals: {} }, /has no signals/],
    ['a bad timestamp', { assetId: 'p', ts: 'yesterday', signals: { a: 1 } }, /not a date/],
    ['a timestamp beyond any date', { assetId: 'p', ts: Number.MAX_VALUE, signals: { a: 1 } }, /beyond any date/],
    ['a quality that is not an object', { assetId: 'p', signals: { a: 1 }, quality: 'good' }, /quality must be an object/],
  ] as const) {
    it(`refuses ${label} with a reason`, () => {
      const result = validateTelemetry(input, NOW);
      assert.equal(result.ok, false);
      assert.match((result as { reason: string }).reason, pattern);
    });
  }

  it('refuses more signals than the limit', () => {
    const signals: Record<string, number> = {};
    for (let i = 0; i < 11; i++) signals[`s${i}`] = i;
    const result = validateTelemetry({ assetId: 'p', signals }, NOW, { maxSignals: 10, maxNameLength: 50 });
    assert.equal(result.ok, false);
    assert.match((result as { reason: string }).reason, /more than the limit of 10/);
  });

  it('takes null or NaN as the value of a reading marked bad (a sensor without a value), and refuses it otherwise', () => {
    const result = validateTelemetry({ assetId: 'p', signals: { a: null, b: NaN, c: null }, quality: { a: 'bad', b: 'bad', c: 'uncertain' } }, NOW);
    assert.ok(result.ok);
    assert.deepEqual(result.value.telemetry.signals, { a: NaN, b: NaN });
    assert.deepEqual(result.value.telemetry.quality, { a: 'bad', b: 'bad' });
    assert.deepEqual(result.value.rejected, [{ signal: 'c', reason: 'value is null, not a finite number' }]);
    const text = validateTelemetry({ assetId: 'p', signals: { a: 'off' }, quality: { a: 'bad' } }, NOW);
    assert.ok(text.ok);
    assert.equal(text.value.rejected.length, 1, 'a text is still no reading, bad or not');
  });

  it('reads decimal text as numbers, and nothing else: "0x10" is no 16 bar', () => {
    assert.deepEqual(['12.5', ' -3 ', '1.5e2', '.5', '+7.'].map(readNumber), [12.5, -3, 150, 0.5, 7]);
    assert.deepEqual(['0x10', '0b11', '0o7', 'Infinity', '151.3 m3/h', ''].map(readNumber), ['0x10', '0b11', '0o7', 'Infinity', '151.3 m3/h', '']);
    assert.deepEqual([true, false].map(readNumber), [1, 0]);
  });

  it('refuses an unknown quality word for that signal only', () => {
    const result = validateTelemetry({ assetId: 'p', signals: { a: 1, b: 2 }, quality: { a: 'great', b: 'bad' } }, NOW);
    assert.ok(result.ok);
    assert.deepEqual(result.value.telemetry.signals, { b: 2 });
    assert.deepEqual(result.value.telemetry.quality, { b: 'bad' });
    assert.equal(result.value.rejected[0]?.signal, 'a');
  });
});
