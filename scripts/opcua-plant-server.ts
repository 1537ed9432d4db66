import { createServer } from 'node:net';
import { join } from 'node:path';
import type { OPCUAServer } from 'node-opcua' with { 'resolution-mode': 'import' };

export const PLANT_NAMESPACE_URI = 'urn:twinflow:virtual-plc';

export interface PlantServer {
  port: number;
  endpointUrl: string;
  server: OPCUAServer;
  /** Sets a variable (by its browse path below the pump object, e.g. "Speed") to a value. */
  set(name: string, value: number): void;
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
 * that counts up every `tickMs`. Its PKI lives in `pkiFolder`, never in the user's home.
 */
export async function startPlantServer(options: { port?: number; pkiFolder: string; tickMs?: number; allowAnonymous?: boolean }): Promise<PlantServer> {
  const opcua = await import('node-opcua');
  const port = options.port || (await freePort());
  const serverCertificateManager = new opcua.OPCUACertificateManager({ rootFolder: join(options.pkiFolder, 'server'), automaticallyAcceptUnknownCertificate: true });
  const userCertificateManager = new opcua.OPCUACertificateManager({ rootFolder: join(options.pkiFolder, 'user'), automaticallyAcceptUnknownCertificate: true });
  const server = new opcua.OPCUAServer({
    port,
    hostname: '127.0.0.1',
    serverCertificateManager,
    userCertificateManager,
    allowAnonymous: options.allowAnonymous ?? true,
    buildInfo: { productName: 'twinflow virtual PLC' },
  });
  await server.initialize();
  const namespace = server.engine.addressSpace!.registerNamespace(PLANT_NAMESPACE_URI);
  const pump = namespace.addObject({ organizedBy: server.engine.addressSpace!.rootFolder.objects, browseName: 'Pump1', nodeId: 's=Pump1' });
  const values = new Map<string, number>([
    ['Speed', 1480],
    ['Flow', 151],
    ['BearingTemp', 53],
    ['Counter', 0],
  ]);
  const variables = new Map<string, ReturnType<typeof namespace.addVariable>>();
  for (const [name, initial] of values) {
    const variable = namespace.addVariable({
      componentOf: pump,
      browseName: name,
      nodeId: `s=Pump1.${name}`,
      dataType: 'Double',
      minimumSamplingInterval: 50,
      value: new opcua.Variant({ dataType: opcua.DataType.Double, value: initial }),
    });
    variables.set(name, variable);
  }
  const set = (name: string, value: number): void => {
    const variable = variables.get(name);
    if (!variable) throw new Error(`the virtual PLC has no variable ${name}`);
    variable.setValueFromSource(new opcua.Variant({ dataType: opcua.DataType.Double, value }), opcua.StatusCodes.Good, new Date());
  };
  let counter = 0;
  const timer = setInterval(() => set('Counter', ++counter), options.tickMs ?? 100);
  await server.start();
  return {
    port,
    endpointUrl: `opc.tcp://127.0.0.1:${port}`,
    server,
    set,
    close: async () => {
      clearInterval(timer);
      await server.shutdown(0);
    },
  };
}
