import assert from 'node:assert/strict';
import { commandTopic, compileTopicTemplate, decodePayload, topicMatchesFilter, resolveNodeId, qualityFromStatusCode } from '../../dist/core/index.js';

const opts = { format: 'auto' as const, maxBytes: 1024 };

describe('MQTT topic templates', () => {
  it('pulls asset and signal out of the topic', () => {
    const t = compileTopicTemplate('plant/{assetId}/{signal}');
    assert.ok(t.ok);
    assert.equal(t.value.filter, 'plant/+/+');
    assert.deepEqual(t.value.match('plant/pump-1/flow'), { assetId: 'pump-1', signal: 'flow' });
    assert.equal(t.value.match('plant/pump-1'), undefined);
    assert.equal(t.value.match('plant/pump-1/flow/extra'), undefined);
    assert.equal(t.value.match('other/pump-1/flow'), undefined);
  });

  it('keeps an MQTT 5 shared-subscription prefix in the filter only', () => {
    const t = compileTopicTemplate('$share/twins/plant/{assetId}/telemetry');
    assert.ok(t.ok);
    assert.equal(t.value.filter, '$share/twins/plant/+/telemetry');
    assert.deepEqual(t.value.match('plant/p1/telemetry'), { assetId: 'p1' });
  });

  it('supports a final # and refuses misplaced wildcards with a reason', () => {
    const t = compileTopicTemplate('site/{assetId}/#');
    assert.ok(t.ok);
    assert.deepEqual(t.value.match('site/a/b/c'), { assetId: 'a' });
    for (const bad of ['a/#/b', 'plant/pump-{assetId}', '{assetId}/{assetId}', '']) {
      const r = compileTopicTemplate(bad);
      assert.equal(r.ok, false, bad);
    }
  });

  it('matches filters as an MQTT broker does', () => {
    assert.ok(topicMatchesFilter('a/+/c', 'a/b/c'));
    assert.ok(topicMatchesFilter('a/#', 'a/b/c'));
    assert.ok(topicMatchesFilter('$share/g/a/+', 'a/b'));
    assert.ok(!topicMatchesFilter('a/+', 'a/b/c'));
    assert.ok(!topicMatchesFilter('#', '$SYS/broker'));
  });
});

describe('MQTT payload decoding', () => {
  it('takes a telemetry object and fills the asset from the topic', () => {
    const r = decodePayload('{"ts":1732550400000,"signals":{"flow":1}}', { assetId: 'p1' }, opts);
    assert.deepEqual(r, { ok: true, value: { ts: 1732550400000, signals: { flow: 1 }, assetId: 'p1' } });
  });

  it('the topic names the asset: a payload naming another one is refused, in every payload shape', () => {
    for (const payload of ['{"assetId":"pump-2","signals":{"flow":1}}', '{"assetId":"pump-2","flow":1}']) {
      const r = decodePayload(payload, { assetId: 'pump-1' }, opts);
      assert.deepEqual(r, { ok: false, reason: 'the payload names asset "pump-2" but its topic names "pump-1"' });
    }
    const r = decodePayload('{"assetId":"pump-2","value":1}', { assetId: 'pump-1', signal: 'flow' }, opts);
    assert.equal(r.ok, false);
    // The same asset in both is fine; without {assetId} in the topic the payload names it.
    assert.deepEqual(decodePayload('{"assetId":"pump-1","flow":1}', { assetId: 'pump-1' }, opts), { ok: true, value: { assetId: 'pump-1', signals: { flow: 1 }, ts: undefined } });
    assert.deepEqual(decodePayload('{"assetId":"pump-2","flow":1}', {}, opts), { ok: true, value: { assetId: 'pump-2', signals: { flow: 1 }, ts: undefined } });
  });

  it('a declared timestamp path that finds nothing is an error, not the time of arrival', () => {
    assert.deepEqual(decodePayload('{"data":{"v":1}}', { assetId: 'p', signal: 'flow' }, { ...opts, format: 'value-path', valuePath: 'data.v', timestampPath: 'data.t' }), { ok: false, reason: 'payload has no timestamp at "data.t"' });
    assert.deepEqual(decodePayload('{"flow":1}', { assetId: 'p' }, { ...opts, timestampPath: 'time' }), { ok: false, reason: 'payload has no timestamp at "time"' });
  });

  it('takes a flat object of numbers, numbers as text included', () => {
    const r = decodePayload(Buffer.from('{"flow":"12.5","pressure":4,"ts":1732550400000}'), { assetId: 'p1' }, opts);
    assert.deepEqual(r, { ok: true, value: { assetId: 'p1', signals: { flow: 12.5, pressure: 4 }, ts: 1732550400000 } });
  });

  it('takes the grouped readings of a device (Tasmota, Shelly) as dotted signal names; its "Time" is no signal', () => {
    const tasmota = '{"Time":"2026-12-01T20:17:46","ENERGY":{"TotalStartTime":"2026-01-01T00:00:00","Total":12.345,"Power":45,"Voltage":229,"Current":0.21}}';
    const r = decodePayload(tasmota, { assetId: 'plug-1' }, opts);
    assert.deepEqual(r, { ok: true, value: { assetId: 'plug-1', signals: { 'ENERGY.TotalStartTime': '2026-01-01T00:00:00', 'ENERGY.Total': 12.345, 'ENERGY.Power': 45, 'ENERGY.Voltage': 229, 'ENERGY.Current': 0.21 }, ts: undefined } });
    const shelly = '{"id":0,"apower":45.2,"aenergy":{"total":1234.5,"by_minute":[1,2,3]},"temperature":{"tC":41.2,"tF":106.2}}';
    const s = decodePayload(shelly, { assetId: 'sw-1' }, opts);
    assert.ok(s.ok);
    assert.deepEqual(Object.keys(s.value.signals as object), ['id', 'apower', 'aenergy.total', 'aenergy.by_minute', 'temperature.tC', 'temperature.tF']);
    assert.equal((s.value.signals as Record<string, unknown>)['temperature.tC'], 41.2);
  });

  it('takes a plain number or {value, ts} when the topic names the signal', () => {
    assert.deepEqual(decodePayload('42.5', { assetId: 'p', signal: 'flow' }, opts), { ok: true, value: { assetId: 'p', signals: { flow: 42.5 } } });
    const r = decodePayload('{"value":7,"ts":1732550400000,"quality":"uncertain"}', { assetId: 'p', signal: 'flow' }, opts);
    assert.deepEqual(r, { ok: true, value: { assetId: 'p', signals: { flow: 7 }, ts: 1732550400000, quality: { flow: 'uncertain' } } });
  });

  it('reads values and timestamps at declared paths', () => {
    const r = decodePayload('{"data":{"v":3.5,"t":"2026-11-25T12:00:00Z"}}', { assetId: 'p', signal: 's' }, { ...opts, format: 'value-path', valuePath: 'data.v', timestampPath: 'data.t' });
    assert.deepEqual(r, { ok: true, value: { assetId: 'p', signals: { s: 3.5 }, ts: '2026-11-25T12:00:00Z' } });
  });

  it('refuses oversize and empty payloads and unnamed single values with a reason', () => {
    const big = decodePayload('x'.repeat(2000), {}, opts);
    assert.equal(big.ok, false);
    assert.match((big as { reason: string }).reason, /larger than the limit of 1024/);
    assert.equal(decodePayload('  ', {}, opts).ok, false);
    assert.match((decodePayload('42', { assetId: 'p' }, opts) as { reason: string }).reason, /no signal name/);
  });
});

describe('OPC UA helpers', () => {
  it('maps status code severity to quality', () => {
    assert.equal(qualityFromStatusCode(0), 'good');
    assert.equal(qualityFromStatusCode(0x40920000), 'uncertain');
    assert.equal(qualityFromStatusCode(0x80340000), 'bad');
  });

  it('turns nsu= node ids into ns= ids against the server namespace array', () => {
    const ns = ['http://opcfoundation.org/UA/', 'urn:server', 'urn:plant:plc'];
    assert.deepEqual(resolveNodeId('nsu=urn:plant:plc;s=Pump1.Speed', ns), { ok: true, value: 'ns=2;s=Pump1.Speed' });
    assert.deepEqual(resolveNodeId('ns=1;i=1001', ns), { ok: true, value: 'ns=1;i=1001' });
    assert.equal(resolveNodeId('nsu=urn:unknown;s=x', ns).ok, false);
    assert.equal(resolveNodeId('Pump1.Speed', ns).ok, false);
    // A numeric identifier that is no number would throw deep in the OPC UA client: refused here, with the reason.
    for (const bad of ['ns=2;i=abc', 'i=1.5', 'nsu=urn:plant:plc;i=-3', 'ns=1;i=4294967296']) {
      const refused = resolveNodeId(bad, ns);
      assert.ok(!refused.ok && /a numeric identifier \(i=\) must be a whole number from 0 to 4294967295/.test(refused.reason), `${bad}: ${JSON.stringify(refused)}`);
    }
    assert.deepEqual(resolveNodeId('i=2258', ns), { ok: true, value: 'i=2258' });
  });
});

describe('command topics (twin-actuator)', () => {
  it('expands a template, and gives a filter covering its topics and a test for exactly them', () => {
    const plain = commandTopic('plant/{assetId}/set/{point}');
    assert.equal(plain.expand('pump-1', 'speed'), 'plant/pump-1/set/speed');
    assert.equal(plain.filter, 'plant/+/set/+');
    assert.ok(plain.matches('plant/pump-1/set/speed'));
    assert.ok(!plain.matches('plant/pump-1/set'));
    assert.ok(!plain.matches('plant/pump-1/set/speed/extra'));
    assert.ok(!plain.matches('plant//set/speed'), 'a placeholder takes at least one character');
    // A placeholder inside a level: the filter takes the whole level, the test only the template's topics.
    const mixed = commandTopic('site.a/pump-{assetId}/cmd+{point}');
    assert.equal(mixed.expand('7', 'speed'), 'site.a/pump-7/cmd+speed');
    assert.equal(mixed.filter, 'site.a/+/+');
    assert.ok(mixed.matches('site.a/pump-7/cmd+speed'));
    assert.ok(!mixed.matches('site.a/valve-7/cmd+speed'));
    assert.ok(!mixed.matches('siteXa/pump-7/cmd+speed'), 'the dot is literal');
    // A fixed binding (one point of one asset) is its own filter.
    const fixed = commandTopic('line3/pump1/speed_sp');
    assert.equal(fixed.filter, 'line3/pump1/speed_sp');
    assert.ok(fixed.matches('line3/pump1/speed_sp'));
  });
});
