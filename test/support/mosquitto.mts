/**
 * A real Mosquitto (Debian package) for tests: own temp folder for config, persistence and log, a free port on
 * 127.0.0.1, start / stop (SIGTERM, so it saves its sessions) / kill (SIGKILL) / restart, optionally TLS and a
 * password file. Every test file that starts one stops it in an `after` hook.
 */
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from './red.mts';
import { freePort, startServerProcess } from './server-process.mts';

export { freePort };

export interface MosquittoTls {
  /** CA file the broker trusts for client certificates, and server certificate + key. */
  cafile: string;
  certfile: string;
  keyfile: string;
  /** Demand a client certificate signed by `cafile`. */
  requireCertificate?: boolean;
}

export interface MosquittoOptions {
  /** Save sessions and queued messages to disk (in the temp folder). Default true. */
  persistence?: boolean;
  /** Seconds between saves of the in-memory database (Mosquitto's default is 1800). */
  autosaveInterval?: number;
  /** Queued QoS 1/2 messages per offline client; 0 = no limit (Mosquitto's default of 1000 drops silently). */
  maxQueuedMessages?: number;
  tls?: MosquittoTls;
  /** user → password; when given, anonymous clients are refused. */
  users?: Record<string, string>;
  /** One copy of a message per matching subscription of a client (as EMQX does); Mosquitto 2.0 sends one by default. */
  allowDuplicateMessages?: boolean;
}

export class Mosquitto {
  readonly dir = tempDir('twin-mosquitto');
  private child: ChildProcess | undefined;
  private exited: Promise<void> = Promise.resolve();
  readonly port: number;
  options: MosquittoOptions;

  private constructor(port: number, options: MosquittoOptions) {
    this.port = port;
    this.options = options;
  }

  /** Starts a broker and waits until it accepts TCP connections. */
  static async start(options: MosquittoOptions = {}): Promise<Mosquitto> {
    const broker = new Mosquitto(await freePort(), options);
    await broker.start();
    return broker;
  }

  get url(): string {
    return `${this.options.tls ? 'mqtts' : 'mqtt'}://127.0.0.1:${this.port}`;
  }

  get configPath(): string {
    return join(this.dir.path, 'mosquitto.conf');
  }

  get logPath(): string {
    return join(this.dir.path, 'mosquitto.log');
  }

  /** The broker's log so far (for failure messages). */
  log(): string {
    return existsSync(this.logPath) ? readFileSync(this.logPath, 'utf8') : '';
  }

  private writeConfig(): void {
    const o = this.options;
    const lines = [
      // Tests run as root in CI containers; Mosquitto would otherwise switch to a user that cannot read the temp dir.
      ...(process.getuid?.() === 0 ? ['user root'] : []),
      `listener ${this.port} 127.0.0.1`,
      `persistence ${o.persistence === false ? 'false' : 'true'}`,
      `persistence_location ${this.dir.path}/`,
      `autosave_interval ${o.autosaveInterval ?? 1800}`,
      `max_queued_messages ${o.maxQueuedMessages ?? 0}`,
      ...(o.allowDuplicateMessages ? ['allow_duplicate_messages true'] : []),
      'max_inflight_messages 20',
      `log_dest file ${this.logPath}`,
      'log_type error',
      'log_type warning',
      'log_type notice',
    ];
    if (o.tls) {
      lines.push(`cafile ${o.tls.cafile}`, `certfile ${o.tls.certfile}`, `keyfile ${o.tls.keyfile}`);
      if (o.tls.requireCertificate) lines.push('require_certificate true');
    }
    if (o.users) {
      const passwd = join(this.dir.path, 'passwd');
      writeFileSync(passwd, '');
      for (const [user, password] of Object.entries(o.users)) execFileSync('mosquitto_passwd', ['-b', passwd, user, password]);
      lines.push(`password_file ${passwd}`, 'allow_anonymous false');
    } else {
      lines.push('allow_anonymous true');
    }
    writeFileSync(this.configPath, `${lines.join('\n')}\n`);
  }

  async start(): Promise<void> {
    if (this.child) throw new Error('mosquitto is already running');
    this.writeConfig();
    const started = await startServerProcess('mosquitto', ['-c', this.configPath], this.port, { log: () => this.log() });
    this.child = started.child;
    this.exited = started.exited;
  }

  /** SIGTERM (saves the persistence file) or SIGKILL (loses what was not autosaved); waits for the exit. */
  async stop(signal: 'SIGTERM' | 'SIGKILL' = 'SIGTERM'): Promise<void> {
    const child = this.child;
    if (!child) return;
    this.child = undefined;
    child.kill(signal);
    await this.exited;
  }

  /** Stops and starts on the same port, optionally with changed options (e.g. persistence off). */
  async restart(changes: MosquittoOptions = {}, signal: 'SIGTERM' | 'SIGKILL' = 'SIGTERM'): Promise<void> {
    await this.stop(signal);
    this.options = { ...this.options, ...changes };
    await this.start();
  }

  /** Stops the broker and removes its folder. */
  async dispose(): Promise<void> {
    await this.stop();
    this.dir.remove();
  }
}

/** A test PKI made with openssl: a CA, a server certificate for 127.0.0.1, a client certificate, and a stranger CA. */
export interface TestPki {
  dir: string;
  ca: string;
  serverCert: string;
  serverKey: string;
  clientCert: string;
  clientKey: string;
  /** A CA that signed nothing here: a client trusting only it must refuse the broker. */
  otherCa: string;
  remove(): void;
}

export function makeTestPki(): TestPki {
  const tmp = tempDir('twin-pki');
  const p = (name: string) => join(tmp.path, name);
  // node-opcua's PKI code, when it ran earlier in this process, leaves OPENSSL_CONF set to "undefined": drop it.
  const env = { ...process.env };
  delete env.OPENSSL_CONF;
  const openssl = (...args: string[]) => execFileSync('openssl', args, { cwd: tmp.path, stdio: 'pipe', env });
  const makeCa = (name: string) =>
    openssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', `/CN=${name}`, '-keyout', p(`${name}.key`), '-out', p(`${name}.crt`));
  const issue = (name: string, subject: string, ext: string) => {
    openssl('req', '-newkey', 'rsa:2048', '-nodes', '-subj', subject, '-keyout', p(`${name}.key`), '-out', p(`${name}.csr`));
    writeFileSync(p(`${name}.ext`), ext);
    openssl('x509', '-req', '-in', p(`${name}.csr`), '-CA', p('test-ca.crt'), '-CAkey', p('test-ca.key'), '-CAcreateserial', '-days', '2', '-extfile', p(`${name}.ext`), '-out', p(`${name}.crt`));
  };
  makeCa('test-ca');
  makeCa('other-ca');
  issue('server', '/CN=127.0.0.1', 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n');
  issue('client', '/CN=twin-test-client', 'extendedKeyUsage=clientAuth\n');
  return {
    dir: tmp.path,
    ca: p('test-ca.crt'),
    serverCert: p('server.crt'),
    serverKey: p('server.key'),
    clientCert: p('client.crt'),
    clientKey: p('client.key'),
    otherCa: p('other-ca.crt'),
    remove: () => tmp.remove(),
  };
}

/** A `mosquitto_sub` client (the broker's own tool): an independent witness of what the broker delivers. */
export interface MosquittoSub {
  /** Payloads received so far, one per message. */
  payloads: string[];
  stop(): Promise<void>;
}

/**
 * Starts `mosquitto_sub` on `topic` with QoS 1; `persistent` (-c) keeps its session, with its queue, at the broker
 * across disconnects and broker restarts. libmosquitto reconnects by itself when the broker comes back.
 */
export function startMosquittoSub(broker: Mosquitto, options: { clientId: string; topic: string; persistent?: boolean }): MosquittoSub {
  const args = ['-h', '127.0.0.1', '-p', String(broker.port), '-i', options.clientId, '-q', '1', '-t', options.topic, '-F', '%p'];
  if (options.persistent !== false) args.push('-c');
  const child = spawn('mosquitto_sub', args, { stdio: ['ignore', 'pipe', 'ignore'] });
  const payloads: string[] = [];
  let partial = '';
  child.stdout.on('data', (chunk: Buffer) => {
    const lines = (partial + chunk.toString()).split('\n');
    partial = lines.pop() ?? '';
    payloads.push(...lines);
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return {
    payloads,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}
