import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';

export interface EmbeddedBroker {
  port: number;
  /** MQTT clients connected right now. */
  connectedClients(): number;
  /** Calls `handler` with every message published on `topic` (a filter, wildcards allowed), inside the broker. */
  onMessage(topic: string, handler: (topic: string, payload: Buffer) => void): Promise<void>;
  /** Publishes a message from inside the broker (QoS 0, not retained), as a device on the plant network would. */
  publish(topic: string, payload: string): Promise<void>;
  close(): Promise<void>;
}

/**
 * An in-process MQTT 3.1.1 broker (aedes) on 127.0.0.1, for the demo and the tests.
 * Port 0 picks a free port; `close()` ends every client connection and the listener.
 */
export async function startEmbeddedBroker(port = 0, host = '127.0.0.1'): Promise<EmbeddedBroker> {
  const { Aedes } = await import('aedes');
  const aedes = await Aedes.createBroker();
  const sockets = new Set<Socket>();
  // Without noDelay the first round trip waits for Nagle's algorithm (about 40 ms instead of 8).
  const server: Server = createServer({ noDelay: true }, (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    aedes.handle(socket);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  return {
    port: (server.address() as AddressInfo).port,
    connectedClients: () => aedes.connectedClients,
    onMessage: (topic, handler) =>
      new Promise<void>((resolve) =>
        aedes.subscribe(
          topic,
          (packet, done) => {
            handler(packet.topic, Buffer.isBuffer(packet.payload) ? packet.payload : Buffer.from(packet.payload));
            done();
          },
          resolve,
        ),
      ),
    publish: (topic, payload) =>
      new Promise<void>((resolve, reject) =>
        aedes.publish({ cmd: 'publish', topic, payload: Buffer.from(payload), qos: 0, retain: false, dup: false }, (err) => (err ? reject(err) : resolve())),
      ),
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        aedes.close(() => server.close(() => resolve()));
      }),
  };
}
