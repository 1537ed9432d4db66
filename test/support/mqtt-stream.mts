/**
 * A QoS 1 publisher with a persistent session, as a gateway in a plant is configured: it numbers its messages
 * 0..total-1 and keeps `window` of them unacknowledged at a time. mqtt.js keeps unacknowledged messages of a
 * persistent session across a lost connection and sends them again, so the publisher itself loses nothing when the
 * broker restarts; what a subscriber misses is the broker's doing (or the subscriber's).
 */
import mqtt from 'mqtt';

export interface Qos1Stream {
  /** Messages the broker has acknowledged so far. */
  acked(): number;
  /** Resolves when every message is acknowledged. */
  finished: Promise<void>;
  close(): Promise<void>;
}

export async function startQos1Stream(options: {
  url: string;
  clientId: string;
  total: number;
  topic: (seq: number) => string;
  payload: (seq: number) => string;
  window?: number;
  /** Messages per second at most (a plant's gateways publish at a pace); default: as fast as the broker acknowledges. */
  ratePerSecond?: number;
}): Promise<Qos1Stream> {
  const client = await mqtt.connectAsync(options.url, { clientId: options.clientId, clean: false, protocolVersion: 4, reconnectPeriod: 100, connectTimeout: 5000 });
  // Errors while the broker is away are expected; mqtt.js reconnects on its own.
  client.on('error', () => undefined);
  let next = 0;
  let acked = 0;
  const started = Date.now();
  const rate = options.ratePerSecond;
  const worker = async (): Promise<void> => {
    while (next < options.total) {
      const seq = next++;
      const due = rate ? started + (seq * 1000) / rate : 0;
      if (due > Date.now()) await new Promise((resolve) => setTimeout(resolve, due - Date.now()));
      await client.publishAsync(options.topic(seq), options.payload(seq), { qos: 1 });
      acked++;
    }
  };
  const finished = Promise.all(Array.from({ length: options.window ?? 50 }, worker)).then(() => undefined);
  return {
    acked: () => acked,
    finished,
    close: async () => {
      await client.endAsync(true);
    },
  };
}
