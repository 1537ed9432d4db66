import { createHash } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { OPCUACertificateManager, OPCUAClient } from 'node-opcua' with { 'resolution-mode': 'import' };
import type { Parsed } from '../../core/telemetry.js';

/** The part of node-opcua used here (passed in: node-opcua is imported lazily by the endpoint). */
interface Opcua {
  OPCUAClient: typeof OPCUAClient;
}

/** Endpoint URL → SHA-1 thumbprint of the certificate trusted on first use, beside trusted/ and rejected/. */
const PINS_FILE = 'trusted-on-first-use.json';

function readPins(pkiFolder: string): Record<string, string> {
  const file = join(pkiFolder, PINS_FILE);
  if (!existsSync(file)) return {};
  const parsed: unknown = JSON.parse(readFileSync(file, 'utf8'));
  return typeof parsed === 'object' && parsed !== null ? (parsed as Record<string, string>) : {};
}

/**
 * Trust on first use, remembered per endpoint URL: the first certificate a server presents is trusted (copied to
 * trusted/) and its thumbprint pinned; if the same URL later presents another unknown certificate, it is refused
 * and put in rejected/ like any unknown one, because an impostor is exactly what that looks like. (node-opcua's own
 * "accept unknown certificates" would trust every new certificate, not just the first.)
 */
export async function trustOnFirstUse(lib: Opcua, certificateManager: OPCUACertificateManager, endpointUrl: string, pkiFolder: string): Promise<Parsed<void>> {
  const discovery = lib.OPCUAClient.create({ endpointMustExist: false, connectionStrategy: { maxRetry: 0 }, clientCertificateManager: certificateManager });
  let certificate: Buffer | undefined;
  try {
    await discovery.connect(endpointUrl);
    const endpoints = await discovery.getEndpoints();
    certificate = endpoints.find((e) => e.serverCertificate && e.serverCertificate.length > 0)?.serverCertificate ?? undefined;
  } finally {
    await discovery.disconnect();
  }
  if (!certificate) return { ok: true, value: undefined };
  await certificateManager.initialize();
  if ((await certificateManager.isCertificateTrusted(certificate)) === 'Good') return { ok: true, value: undefined };
  const thumbprint = createHash('sha1').update(certificate).digest('hex');
  const pins = readPins(pkiFolder);
  const pinned = pins[endpointUrl];
  if (pinned && pinned !== thumbprint) {
    await certificateManager.rejectCertificate(certificate);
    return {
      ok: false,
      reason:
        `the server at ${endpointUrl} presents another certificate (${thumbprint}) than the one trusted on first use (${pinned}): ` +
        `refused and put in ${pkiFolder}/rejected; if the PLC really has a new certificate, move it to ${pkiFolder}/trusted/certs`,
    };
  }
  await certificateManager.trustCertificate(certificate);
  writeFileSync(join(pkiFolder, PINS_FILE), JSON.stringify({ ...pins, [endpointUrl]: thumbprint }, null, 2));
  return { ok: true, value: undefined };
}
