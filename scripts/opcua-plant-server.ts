import { createServer } from 'node:net';
import { join } from 'node:path';
import type { OPCUAServer } from 'node-opcua' with { 'resolution-mode': 'import' };

export const PLANT_NAMESPACE_URI = 'urn:twinflow:virtual-plc';

/** What the server holds right now for all its clients: sessions, subscriptions and monitored items. */
export interface ServerLoad {
  sessions: number;
  subscriptions: number;
  monitoredItems: number;
}

export interface PlantServerOptions {
  port?: number;
  pkiFolder: string;
  tickMs?: number;
  allowAnonymous?: boolean;
  /** Security modes offered ('None', 'Sign', 'SignAndEncrypt'); all three when not given. */
  securityModes?: string[];
  /** Security policies offered (e.g. 'Basic256Sha256'); node-opcua's defaults when not given. */
  securityPolicies?: string[];
  /** Accepted user names and their passwords. */
  users?: Record<string, string>;
  /**
   * Namespaces registered before the plant's, so the plant namespace gets another index than 2:
   * a restarted PLC whose namespaces were renumbered (what `nsu=` node ids are for).
   */
  namespacesBefore?: string[];
  /**
   * The server's application URI (node-opcua makes one from the host name when not given); a certificate prepared
   * beforehand in `<pkiFolder>/server/own/certs/certificate.pem` must name the same URI.
   */
  applicationUri?: string;
}

export interface PlantServer {
  port: number;
  endpointUrl: string;
  server: OPCUAServer;
  /**
   * Sets a variable (by its browse path below the pump object, e.g. "Speed") to a value; null: no value, as a PLC sends
   * with a Bad status when the sensor is gone.
   */
  set(name: string, value: number | string | null, statusCode?: string): void;
  /** Sets several variables with one source timestamp, as a PLC scan does. */
  setMany(values: Record<string, number>): void;
  /** Adds a variable below the pump object while the server runs, as a PLC program download does. */
  addVariable(name: string, value: number | string): void;
  /** Removes a variable again (a later PLC download that drops it). */
  removeVariable(name: string): void;
  /** Sessions, subscriptions and monitored items the server holds. */
  load(): ServerLoad;
  /** The file of the server's own certificate (what a client must trust). */
  certificateFile: string;
  close(): Promise<void>;
}

/** A port nobody listens on right now (OPC UA endpoints must name their port, so 0 will not do). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      probe.close(() => resolve(port));
    });
  });
}

/**
 * An OPC UA server (node-opcua) that plays a PLC with one pump: variables Speed, Flow, BearingTemp and a Counter
 * that counts up every `tickMs`. Its PKI lives in `pkiFolder`, never in the user's home; starting a server again
 * with the same folder and port plays a restarted PLC (same certificate, new sessions, counter from 0).
 */
export async function startPlantServer(options: PlantServerOptions): Promise<PlantServer> {
  const opcua = await import('node-opcua');
  const port = options.port || (await freePort());
  const serverCertificateManager = new opcua.OPCUACertificateManager({ rootFolder: join(options.pkiFolder, 'server'), automaticallyAcceptUnknownCertificate: true });
  const userCertificateManager = new opcua.OPCUACertificateManager({ rootFolder: join(options.pkiFolder, 'user'), automaticallyAcceptUnknownCertificate: true });
  const users = options.users;
  const server = new opcua.OPCUAServer({
    port,
    hostname: '127.0.0.1',
    serverCertificateManager,
    userCertificateManager,
    allowAnonymous: options.allowAnonymous ?? true,
    buildInfo: { productName: 'twinflow virtual PLC' },
    ...(options.applicationUri && { serverInfo: { applicationUri: options.applicationUri } }),
    ...(options.securityModes && {
      securityModes: options.securityModes.map((m) => opcua.MessageSecurityMode[m as keyof typeof opcua.MessageSecurityMode]),
    }),
    ...(options.securityPolicies && {
      securityPolicies: options.securityPolicies.map((p) => opcua.SecurityPolicy[p as keyof typeof opcua.SecurityPolicy]),
    }),
    ...(users && { userManager: { isValidUser: (user: string, password: string) => users[user] === password } }),
  });
  await server.initialize();
  const addressSpace = server.engine.addressSpace!;
  for (const uri of options.namespacesBefore ?? []) addressSpace.registerNamespace(uri);
  const namespace = addressSpace.registerNamespace(PLANT_NAMESPACE_URI);
  const pump = namespace.addObject({ organizedBy: addressSpace.rootFolder.objects, browseName: 'Pump1', nodeId: 's=Pump1' });
  const values = new Map<string, number>([
    ['Speed', 1480],
    ['Flow', 151],
    ['BearingTemp', 53],
    ['Counter', 0],
  ]);
  const variables = new Map<string, ReturnType<typeof namespace.addVariable>>();
  /** A variable holds a Double; one whose first value is text (a PLC's status text, say) takes any type (BaseDataType). */
  const variant = (value: number | string | null) =>
    new opcua.Variant(
      value === null ? { dataType: opcua.DataType.Null } : typeof value === 'string' ? { dataType: opcua.DataType.String, value } : { dataType: opcua.DataType.Double, value },
    );
  const addVariable = (name: string, initial: number | string): void => {
    if (variables.has(name)) throw new Error(`the virtual PLC has a variable ${name} already`);
    const variable = namespace.addVariable({
      componentOf: pump,
      browseName: name,
      nodeId: `s=Pump1.${name}`,
      dataType: typeof initial === 'string' ? 'BaseDataType' : 'Double',
      minimumSamplingInterval: 50,
      // As on a PLC: the speed setpoint can be written, measured values only read.
      accessLevel: name === 'Speed' ? 'CurrentRead | CurrentWrite' : 'CurrentRead',
      userAccessLevel: name === 'Speed' ? 'CurrentRead | CurrentWrite' : 'CurrentRead',
      value: variant(initial),
    });
    variables.set(name, variable);
  };
  for (const [name, initial] of values) addVariable(name, initial);
  const variable = (name: string) => {
    const found = variables.get(name);
    if (!found) throw new Error(`the virtual PLC has no variable ${name}`);
    return found;
  };
  const write = (name: string, value: number | string | null, statusCode: string, when: Date): void => {
    const code = (opcua.StatusCodes as unknown as Record<string, InstanceType<typeof opcua.StatusCode> | undefined>)[statusCode];
    if (!code) throw new Error(`unknown OPC UA status code ${statusCode}`);
    variable(name).setValueFromSource(variant(value), code, when);
  };
  let counter = 0;
  const timer = setInterval(() => write('Counter', ++counter, 'Good', new Date()), options.tickMs ?? 100);
  await server.start();
  return {
    port,
    endpointUrl: `opc.tcp://127.0.0.1:${port}`,
    server,
    set: (name, value, statusCode = 'Good') => write(name, value, statusCode, new Date()),
    addVariable,
    removeVariable: (name) => {
      addressSpace.deleteNode(variable(name));
      variables.delete(name);
    },
    setMany: (batch) => {
      const when = new Date();
      for (const [name, value] of Object.entries(batch)) write(name, value, 'Good', when);
    },
    load: () => {
      const sessions = server.engine.getSessions();
      return {
        sessions: sessions.length,
        subscriptions: sessions.reduce((sum, s) => sum + s.currentSubscriptionCount, 0),
        monitoredItems: sessions.reduce((sum, s) => sum + s.currentMonitoredItemCount, 0),
      };
    },
    certificateFile: server.certificateFile,
    close: async () => {
      clearInterval(timer);
      await server.shutdown(0);
    },
  };
}
