import { EventEmitter } from 'node:events';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type {
  ClientMonitoredItem,
  ClientSession,
  ClientSubscription,
  DataValue,
  OPCUAClient,
  UserIdentityInfo,
} from 'node-opcua' with { 'resolution-mode': 'import' };
import { resolveNodeId } from '../../core/opcua-node-id.js';
import { errorMessage, numberSetting, type Node, type NodeAPI, type NodeDef } from '../shared/node-red.js';

/** node-opcua takes 1.5 s to import: only endpoints that are used pay for it. */
const loadOpcua = () => import('node-opcua');
type Opcua = Awaited<ReturnType<typeof loadOpcua>>;

interface TwinOpcuaEndpointConfig extends NodeDef {
  endpoint: string;
  securityMode: string;
  securityPolicy: string;
  authentication: string;
  allowPasswordWithoutEncryption: boolean;
  trustOnFirstUse: boolean;
  publishingInterval: string | number;
}

import type { Credentials, EndpointState, MonitorRequest, TwinOpcuaEndpointNode } from './endpoint-api.js';

const SECURITY_MODES = ['None', 'Sign', 'SignAndEncrypt'] as const;
const SECURITY_POLICIES = ['None', 'Basic256Sha256', 'Aes128_Sha256_RsaOaep', 'Aes256_Sha256_RsaPss'] as const;

export = function register(RED: NodeAPI): void {
  function TwinOpcuaEndpoint(this: Node<Credentials>, config: TwinOpcuaEndpointConfig): void {
    RED.nodes.createNode(this, config);
    const node = this as TwinOpcuaEndpointNode;
    (node as { events: EventEmitter }).events = new EventEmitter();
    node.events.setMaxListeners(0);
    node.state = 'disconnected';
    node.lastError = undefined;

    const requests = new Map<MonitorRequest, ClientMonitoredItem[]>();
    let client: OPCUAClient | undefined;
    let session: ClientSession | undefined;
    let subscription: ClientSubscription | undefined;
    let namespaceArray: string[] = [];
    let starting: Promise<void> | undefined;
    let closing = false;

    const setState = (state: EndpointState, error?: string): void => {
      node.state = state;
      node.lastError = error;
      node.events.emit('state', state, error);
    };

    const securityMode = (SECURITY_MODES as readonly string[]).includes(config.securityMode) ? config.securityMode : 'None';
    const securityPolicy = securityMode === 'None' ? 'None' : (SECURITY_POLICIES as readonly string[]).includes(config.securityPolicy) ? config.securityPolicy : 'Basic256Sha256';
    const usePassword = config.authentication === 'username';

    const identity = (opcua: Opcua): UserIdentityInfo => {
      if (!usePassword) return { type: opcua.UserTokenType.Anonymous };
      if (securityPolicy === 'None' && !config.allowPasswordWithoutEncryption) {
        throw new Error(RED._('twin-opcua-endpoint.errors.password-in-clear'));
      }
      return { type: opcua.UserTokenType.UserName, userName: node.credentials?.user ?? '', password: node.credentials?.password ?? '' };
    };

    const createItems = async (opcua: Opcua, request: MonitorRequest): Promise<void> => {
      if (!subscription) return;
      const items: ClientMonitoredItem[] = [];
      requests.set(request, items);
      for (const [index, variable] of request.variables.entries()) {
        const resolved = resolveNodeId(variable.nodeId, namespaceArray);
        if (!resolved.ok) {
          request.onError(resolved.reason);
          continue;
        }
        const item = await subscription.monitor(
          { nodeId: resolved.value, attributeId: opcua.AttributeIds.Value },
          { samplingInterval: variable.samplingInterval, discardOldest: true, queueSize: 10 },
          opcua.TimestampsToReturn.Both,
        );
        if (closing || !requests.has(request)) {
          await item.terminate();
          return;
        }
        // A wrong node id does not fail `monitor`: the server answers with a bad status for the item.
        if (item.statusCode.isNotGood()) {
          request.onError(`${variable.nodeId}: ${item.statusCode.name}`);
          await item.terminate();
          continue;
        }
        item.on('changed', (value: DataValue) => request.onValue(index, value));
        item.on('err', (message: string) => request.onError(`${variable.nodeId}: ${message}`));
        items.push(item);
      }
    };

    const start = async (): Promise<void> => {
      setState('connecting');
      const opcua = await loadOpcua();
      const pkiRoot = join(RED.settings.userDir ?? tmpdir(), 'twinflow-opcua-pki');
      const certificateManager = new opcua.OPCUACertificateManager({
        rootFolder: pkiRoot,
        automaticallyAcceptUnknownCertificate: config.trustOnFirstUse === true,
      });
      const userIdentity = identity(opcua);
      const c = opcua.OPCUAClient.create({
        applicationName: 'twinflow digital twin',
        endpointMustExist: false,
        securityMode: opcua.MessageSecurityMode[securityMode as keyof typeof opcua.MessageSecurityMode],
        securityPolicy: opcua.SecurityPolicy[securityPolicy as keyof typeof opcua.SecurityPolicy],
        clientCertificateManager: certificateManager,
        connectionStrategy: { initialDelay: 500, maxDelay: 10_000, maxRetry: Number.MAX_SAFE_INTEGER },
        keepSessionAlive: true,
      });
      client = c;
      c.on('connection_lost', () => setState('disconnected'));
      c.on('start_reconnection', () => setState('connecting'));
      c.on('connection_reestablished', () => setState('connected'));
      c.on('backoff', () => {
        if (node.state !== 'connecting') setState('connecting');
      });
      await c.connect(config.endpoint);
      if (closing) return;
      session = await c.createSession(userIdentity);
      namespaceArray = await session.readNamespaceArray();
      if (closing) return;
      subscription = await session.createSubscription2({
        requestedPublishingInterval: numberSetting(config.publishingInterval, 250),
        requestedLifetimeCount: 600,
        requestedMaxKeepAliveCount: 20,
        maxNotificationsPerPublish: 10_000,
        publishingEnabled: true,
        priority: 10,
      });
      setState('connected');
      for (const request of requests.keys()) await createItems(opcua, request);
    };

    const ensureStarted = (): Promise<void> => {
      starting ??= start().catch((err: unknown) => {
        if (closing) return;
        const message = errorMessage(err);
        setState('error', message);
        node.error(`OPC UA ${config.endpoint}: ${message}`);
      });
      return starting;
    };

    node.monitor = (request) => {
      requests.set(request, []);
      if (subscription) {
        void loadOpcua().then((opcua) => createItems(opcua, request)).catch((err: unknown) => request.onError(errorMessage(err)));
      } else {
        void ensureStarted();
      }
      return () => {
        const items = requests.get(request) ?? [];
        requests.delete(request);
        for (const item of items) item.terminate().catch(() => undefined);
      };
    };

    node.statusFor = (state) => {
      switch (state) {
        case 'connected':
          return { fill: 'green', shape: 'dot', text: 'node-red:common.status.connected' };
        case 'connecting':
          return { fill: 'yellow', shape: 'ring', text: 'node-red:common.status.connecting' };
        case 'error':
          return { fill: 'red', shape: 'ring', text: 'node-red:common.status.error' };
        default:
          return { fill: 'red', shape: 'ring', text: 'node-red:common.status.disconnected' };
      }
    };

    node.on('close', (done: () => void) => {
      closing = true;
      requests.clear();
      const shutdown = async (): Promise<void> => {
        // Wait for a start in progress so no session is left behind on the server.
        await Promise.race([starting, new Promise((resolve) => setTimeout(resolve, 3000).unref())]);
        try {
          if (subscription) await subscription.terminate();
        } catch {
          // the server may be gone already; the session close below frees the subscription anyway
        }
        try {
          if (session) await session.close(true);
        } catch {
          // same as above: nothing left to free on a server that went away
        }
        if (client) await client.disconnect();
      };
      const timeout = new Promise<void>((resolve) => setTimeout(resolve, 4000).unref());
      void Promise.race([shutdown().catch(() => undefined), timeout]).then(() => {
        setState('disconnected');
        node.events.removeAllListeners();
        done();
      });
    });
  }

  RED.nodes.registerType<Node<Credentials>, TwinOpcuaEndpointConfig, object, Credentials>('twin-opcua-endpoint', TwinOpcuaEndpoint, {
    credentials: { user: { type: 'text' }, password: { type: 'password' } },
  });
};
