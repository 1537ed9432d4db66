import assert from 'node:assert/strict';
import { chooseSecurity, DataWatchdog, defaultNoDataTimeout, explainOpcuaFailure, groupReadings, toNamespaceUriForm } from '../../dist/core/index.js';

describe('OPC UA security settings', () => {
  it('keeps saved flows working: empty mode is None, empty policy under a secure mode is Basic256Sha256', () => {
    assert.deepEqual(chooseSecurity({}), { ok: true, value: { mode: 'None', policy: 'None', usePassword: false } });
    assert.deepEqual(chooseSecurity({ securityMode: 'SignAndEncrypt', securityPolicy: 'None' }), {
      ok: true,
      value: { mode: 'SignAndEncrypt', policy: 'Basic256Sha256', usePassword: false },
    });
    assert.deepEqual(chooseSecurity({ securityMode: 'Sign', securityPolicy: 'Aes256_Sha256_RsaPss', authentication: 'username' }), {
      ok: true,
      value: { mode: 'Sign', policy: 'Aes256_Sha256_RsaPss', usePassword: true },
    });
  });

  it('refuses a password over None unless allowed', () => {
    const refused = chooseSecurity({ securityMode: 'None', authentication: 'username' });
    assert.equal(refused.ok, false);
    assert.match(!refused.ok ? refused.reason : '', /refusing to send a password over security policy None/);
    assert.equal(chooseSecurity({ securityMode: 'None', authentication: 'username', allowPasswordWithoutEncryption: true }).ok, true);
  });

  it('refuses the deprecated SHA-1 policies unless allowed, and unknown names', () => {
    for (const policy of ['Basic128Rsa15', 'Basic256']) {
      const refused = chooseSecurity({ securityMode: 'SignAndEncrypt', securityPolicy: policy });
      assert.equal(refused.ok, false, policy);
      assert.match(!refused.ok ? refused.reason : '', new RegExp(`${policy} is deprecated`));
      assert.equal(chooseSecurity({ securityMode: 'SignAndEncrypt', securityPolicy: policy, allowDeprecatedPolicies: true }).ok, true);
    }
    assert.equal(chooseSecurity({ securityMode: 'Encrypt' }).ok, false);
    assert.equal(chooseSecurity({ securityMode: 'Sign', securityPolicy: 'Basic512' }).ok, false);
  });

  it('explains node-opcua failures in words a user can act on, and never retries a refused password', () => {
    const cert = explainOpcuaFailure('server Certificate verification failed with err BadCertificateUntrusted (0x801a0000)', '/nr/pki');
    assert.equal(cert.kind, 'untrusted-certificate');
    assert.match(cert.message, /\/nr\/pki\/rejected.*\/nr\/pki\/trusted\/certs/);
    assert.equal(cert.retry, true);
    // An expired certificate stays refused once trusted: the words say so instead of "trust it".
    const expired = explainOpcuaFailure('server Certificate verification failed with err BadCertificateTimeInvalid (0x80140000)', '/nr/pki');
    assert.equal(expired.kind, 'untrusted-certificate');
    assert.match(expired.message, /^the server's certificate has expired or is not valid yet \(BadCertificateTimeInvalid\): trusting it does not help/);
    assert.match(explainOpcuaFailure('BadCertificateIssuerTimeInvalid (0x80150000)', '/p').message, /certificate issuer's certificate has expired/);
    const denied = explainOpcuaFailure('Error: BadUserAccessDenied (0x801f0000) activateSession', '/p');
    assert.deepEqual(denied, { kind: 'access-denied', message: 'the server refused the user name or password (BadUserAccessDenied)', retry: false });
    assert.equal(explainOpcuaFailure('connect ECONNREFUSED 127.0.0.1:4840', '/p').kind, 'unreachable');
  });
});

describe('OPC UA node ids in namespace-URI form', () => {
  const namespaces = ['http://opcfoundation.org/UA/', 'urn:server', 'urn:plant:plc'];
  it('writes ns= ids with their URI and leaves the standard namespace alone', () => {
    assert.equal(toNamespaceUriForm('ns=2;s=Pump1.Speed', namespaces), 'nsu=urn:plant:plc;s=Pump1.Speed');
    assert.equal(toNamespaceUriForm('i=85', namespaces), 'i=85');
    assert.equal(toNamespaceUriForm('ns=0;i=2253', namespaces), 'i=2253');
    assert.equal(toNamespaceUriForm('ns=7;i=1', namespaces), 'ns=7;i=1', 'an index the server does not list stays as it is');
  });
});

describe('grouping readings of one publish into telemetry', () => {
  const r = (signal: string, value: number, ts: number) => ({ signal, value, quality: 'good' as const, ts });
  it('puts readings of one scan into one message stamped with the newest time', () => {
    assert.deepEqual(groupReadings('p1', [r('speed', 1480, 1000), r('flow', 151, 1010), r('temp', 53, 1000)], 25), [
      { assetId: 'p1', ts: 1010, signals: { speed: 1480, flow: 151, temp: 53 }, quality: { speed: 'good', flow: 'good', temp: 'good' } },
    ]);
  });
  it('never drops a repeated signal and keeps readings far apart in time apart, oldest first', () => {
    const out = groupReadings('p1', [r('counter', 2, 1100), r('counter', 1, 1000), r('speed', 9, 1000), r('flow', 5, 1400)], 25);
    assert.deepEqual(
      out.map((m) => [m.ts, m.signals]),
      [
        [1000, { counter: 1, speed: 9 }],
        [1100, { counter: 2 }],
        [1400, { flow: 5 }],
      ],
    );
    assert.equal(out.reduce((n, m) => n + Object.keys(m.signals).length, 0), 4, 'every reading is sent');
  });
});

describe('no-data watchdog', () => {
  it('reports silence once, ends it on the next value, and does not count time while disconnected', () => {
    const w = new DataWatchdog(1000, 0);
    assert.equal(w.check(1000), false);
    assert.equal(w.check(1001), true);
    assert.equal(w.check(5000), false, 'reported once');
    assert.equal(w.isSilent, true);
    assert.equal(w.heard(5100), true, 'a value ends the silence');
    assert.equal(w.isSilent, false);
    w.restart(9000);
    assert.equal(w.check(9900), false);
    assert.equal(new DataWatchdog(0, 0).check(1e9), false, '0 switches it off');
  });
  it('defaults to three sampling intervals plus the keep-alive time', () => {
    assert.equal(defaultNoDataTimeout(500, 5000), 6500);
  });
});
