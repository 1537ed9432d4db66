import type { Parsed } from './telemetry.js';

export type OpcuaSecurityMode = 'None' | 'Sign' | 'SignAndEncrypt';

/** Policies current at the time of writing (OPC UA 1.04+). */
export const CURRENT_SECURITY_POLICIES = ['Basic256Sha256', 'Aes128_Sha256_RsaOaep', 'Aes256_Sha256_RsaPss'] as const;
/** SHA-1 based policies the OPC Foundation deprecated; only for old PLCs, and only when switched on. */
export const DEPRECATED_SECURITY_POLICIES = ['Basic128Rsa15', 'Basic256'] as const;

export interface OpcuaSecuritySettings {
  securityMode?: string;
  securityPolicy?: string;
  authentication?: string;
  allowPasswordWithoutEncryption?: boolean;
  allowDeprecatedPolicies?: boolean;
}

export interface OpcuaSecurity {
  mode: OpcuaSecurityMode;
  /** 'None' exactly when `mode` is 'None'. */
  policy: string;
  usePassword: boolean;
}

/**
 * Checks an endpoint's security settings as the editor saved them. Refuses (with the sentence to show) a deprecated
 * policy unless allowed, a password over policy None unless allowed, and unknown names. Flows saved before a
 * field existed keep working: an empty mode is None, an empty policy under Sign/SignAndEncrypt is Basic256Sha256.
 */
export function chooseSecurity(settings: OpcuaSecuritySettings): Parsed<OpcuaSecurity> {
  const mode = settings.securityMode || 'None';
  if (mode !== 'None' && mode !== 'Sign' && mode !== 'SignAndEncrypt') {
    return { ok: false, reason: `unknown security mode "${mode}": choose None, Sign or SignAndEncrypt` };
  }
  const usePassword = settings.authentication === 'username';
  if (mode === 'None') {
    if (usePassword && !settings.allowPasswordWithoutEncryption) {
      return {
        ok: false,
        reason: "refusing to send a password over security policy None: choose Sign and encrypt, or tick 'allow the password to travel unencrypted'",
      };
    }
    return { ok: true, value: { mode, policy: 'None', usePassword } };
  }
  const policy = !settings.securityPolicy || settings.securityPolicy === 'None' ? 'Basic256Sha256' : settings.securityPolicy;
  if ((DEPRECATED_SECURITY_POLICIES as readonly string[]).includes(policy)) {
    if (!settings.allowDeprecatedPolicies) {
      return { ok: false, reason: `security policy ${policy} is deprecated (SHA-1): choose Basic256Sha256 or newer, or tick 'allow deprecated policies'` };
    }
  } else if (!(CURRENT_SECURITY_POLICIES as readonly string[]).includes(policy)) {
    return { ok: false, reason: `unknown security policy "${policy}"` };
  }
  return { ok: true, value: { mode, policy, usePassword } };
}

/** Why a connection failed, sorted so the status and the retry decision can use it. */
export type OpcuaFailureKind = 'untrusted-certificate' | 'access-denied' | 'unreachable' | 'other';

export interface OpcuaFailure {
  kind: OpcuaFailureKind;
  /** A sentence for the log and Catch nodes. */
  message: string;
  /** Whether trying again without a change by the user can help (a refused password never retries: lock-outs). */
  retry: boolean;
}

/**
 * Turns node-opcua's error texts into sentences a plant engineer can act on.
 * @param pkiFolder where the rejected/ and trusted/ folders are, to say where to move a certificate
 */
export function explainOpcuaFailure(error: string, pkiFolder: string): OpcuaFailure {
  // Checked before the untrusted case below, whose "Certificate verification failed" also matches this error: node-opcua
  // refuses a server certificate outside its validity dates even once it is in trusted/ (BadCertificateTimeInvalid;
  // BadCertificateIssuerTimeInvalid for its issuer), and telling the user to trust it again would not help.
  if (/BadCertificate(Issuer)?TimeInvalid/.test(error)) {
    const status = firstStatusName(error) ?? 'BadCertificateTimeInvalid';
    return {
      kind: 'untrusted-certificate',
      message:
        `the server's ${status === 'BadCertificateIssuerTimeInvalid' ? "certificate issuer's certificate" : 'certificate'} has expired or is not valid yet (${status}): ` +
        `trusting it does not help; the server needs a new certificate (then trust that one)`,
      retry: true,
    };
  }
  if (/BadCertificateUntrusted|BadSecurityChecksFailed.*certificate|Certificate verification failed/i.test(error)) {
    return {
      kind: 'untrusted-certificate',
      message:
        `the server's certificate is not trusted (BadCertificateUntrusted): it was put in ${pkiFolder}/rejected; ` +
        `move it to ${pkiFolder}/trusted/certs to trust it, or tick 'trust the server's certificate on first use'`,
      retry: true,
    };
  }
  if (/BadUserAccessDenied|BadIdentityToken/i.test(error)) {
    return { kind: 'access-denied', message: `the server refused the user name or password (${firstStatusName(error) ?? 'access denied'})`, retry: false };
  }
  if (/ECONNREFUSED|EHOSTUNREACH|ENOTFOUND|ETIMEDOUT|timeout/i.test(error)) {
    return { kind: 'unreachable', message: `the server cannot be reached: ${error}`, retry: true };
  }
  return { kind: 'other', message: error, retry: true };
}

function firstStatusName(text: string): string | undefined {
  return /\bBad[A-Za-z]+/.exec(text)?.[0];
}
