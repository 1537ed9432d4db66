import { EventEmitter } from 'node:events';
import { connectionStatus } from '../shared/connection-status.js';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type {
  ClientMonitoredItem,
  ClientSession,
  ClientSubscription,
  DataValue,
  OPCUACertificateManager,
  OPCUAClient,
  ReferenceDescription,
  UserIdentityInfo,
} from 'node-opcua' with { 'resolution-mode': 'import' };
import { resolveNodeId, toNamespaceUriForm } from '../../core/opcua-node-id.js';
import { chooseSecurity, explainOpcuaFailure, type OpcuaSecurity } from '../../core/opcua-security.js';
import { errorMessage, numberSetting, type Node, type NodeAPI, type NodeDef } from '../shared/node-red.js';
import type { BrowseEntry, Credentials, EndpointState, MonitorRequest, TwinOpcuaEndpointNode } from './endpoint-api.js';
import { registerBrowseRoute } from './browse-route.js';
import { trustOnFirstUse } from './first-use.js';

/** node-opcua takes 1.5 s to import: only endpoints that are used pay for it. */
const loadOpcua = () => import('node-opcua');
type Opcua = Awaited<ReturnType<typeof loadOpcua>>;

interface TwinOpcuaEndpointConfig extends NodeDef {
  endpoint: string;
  securityMode: string;
  securityPolicy: string;
  authentication: string;
  allowPasswordWithoutEncryption: boolean;
  allowDeprecatedPolicies?: boolean;
  trustOnFirstUse: boolean;
  publishingInterval: string | number;
  reconnectMaxDelay?: string | number;
}

/** One monitored item and the node id the user wrote for it (re-resolved when the server renumbers namespaces). */
/** First-connection attempts (about 2 s with node-opcua's back-off from 250 ms) before the server counts as unreachable. */
const UNREACHABLE_AFTER_ATTEMPTS = 4;

interface Entry {
  nodeId: string;
  /** The variable's place in its request (what `onValue` is told). */
  index: number;
  item: ClientMonitoredItem;
}

/**
 * node-opcua (2.186) recreates the session, subscription and monitored items itself after a server restart, but
 * with the numeric namespace indexes of the old session. It calls this hook with the new session just before it
 * recreates the subscriptions: the one place where the items can be pointed at the new namespace indexes before
 * they exist on the server, so an item never monitors a wrong node, even briefly.
 */
interface SubscriptionRecreateHook {
  beforeSubscriptionRecreate?: (session: ClientSession) => Promise<Error | undefined>;
}

/** Keep-alive count: the server sends at least an empty publish every `publishingInterval × this`. */
const MAX_KEEP_ALIVE_COUNT = 20;
/** Longest wait between two attempts to open a session that failed other than by a lost connection. */
const MAX_RESTART_DELAY = 30_000;
/**
 * How often variables the server refused (BadNodeIdUnknown: not in the PLC program yet, or a download renamed them)
 * are asked for again, so they are monitored once a PLC download adds them, without a redeploy. Refused again, they
 * raise no new error: the first one said it.
 */
const RETRY_REFUSED_MS = 10_000;

class ConfigurationError extends Error {}
/** A certificate refused by trust on first use (already explained; retried like an untrusted one). */
class CertificateRefused extends Error {}

export = function register(RED: NodeAPI): void {
  function TwinOpcuaEndpoint(this: Node<Credentials>, config: TwinOpcuaEndpointConfig): void {
    RED.nodes.createNode(this, config);
    const node = this as TwinOpcuaEndpointNode;
    (node as { events: EventEmitter }).events = new EventEmitter();
    node.events.setMaxListeners(0);
    node.state = 'disconnected';
    node.lastError = undefined;

    const pkiFolder = join(RED.settings.userDir ?? tmpdir(), 'twinflow-opcua-pki');
    const publishingInterval = Math.max(10, numberSetting(config.publishingInterval, 250));
    const reconnectMaxDelay = Math.max(100, numberSetting(config.reconnectMaxDelay, 1500));
    (node as { keepAliveMs: number }).keepAliveMs = publishingInterval * MAX_KEEP_ALIVE_COUNT;
    const security = chooseSecurity(config);

    /** `undefined` until the request's items are being created, so they are never created twice. */
    const requests = new Map<MonitorRequest, Entry[] | undefined>();
    let opcua: Opcua | undefined;
    /**
     * The certificate manager of the current client: it watches the PKI folders, and those file watchers stay open
     * until it is disposed, which happens when an attempt fails and when the node closes. Never disposed before,
     * it leaked five watchers per connection (found by the 500-deploy fault test: 13–28 KB of heap a deploy).
     */
    let certificateManager: OPCUACertificateManager | undefined;
    let client: OPCUAClient | undefined;
    let session: ClientSession | undefined;
    let subscription: ClientSubscription | undefined;
    let namespaceArray: string[] = [];
    let sessionId = '';
    let starting: Promise<void> | undefined;
    let restartTimer: NodeJS.Timeout | undefined;
    let restartDelay = 1000;
    let lastLogged = '';
    let closing = false;

    const setState = (state: EndpointState, error?: string): void => {
      if (node.state === state && node.lastError === error) return;
      node.state = state;
      node.lastError = error;
      node.events.emit('state', state, error);
    };

    const identity = (lib: Opcua, chosen: OpcuaSecurity): UserIdentityInfo =>
      chosen.usePassword
        ? { type: lib.UserTokenType.UserName, userName: node.credentials?.user ?? '', password: node.credentials?.password ?? '' }
        : { type: lib.UserTokenType.Anonymous };

    /** Variables of each request the server refused with a bad status, asked for again every RETRY_REFUSED_MS. */
    const refused = new Map<MonitorRequest, Set<number>>();
    const markRefused = (request: MonitorRequest, index: number): void => {
      let indexes = refused.get(request);
      if (indexes === undefined) refused.set(request, (indexes = new Set()));
      indexes.add(index);
    };
    let retrying = false;
    const retryRefused = async (): Promise<void> => {
      if (retrying || node.state !== 'connected' || !subscription) return;
      retrying = true;
      try {
        for (const [request, indexes] of [...refused]) {
          const entries = requests.get(request);
          if (entries === undefined) continue;
          await Promise.all([...indexes].map((index) => createItem(request, entries, index, true)));
        }
      } finally {
        retrying = false;
      }
    };
    // A retry that fails (the connection dropped, a deploy closed the subscription) is tried again on the next tick;
    // never an unhandled rejection, which would stop Node-RED.
    const retryTimer = setInterval(() => void retryRefused().catch(() => undefined), RETRY_REFUSED_MS);
    retryTimer.unref();

    const createItems = async (request: MonitorRequest): Promise<void> => {
      if (!subscription || !opcua || requests.get(request) !== undefined) return;
      const entries: Entry[] = [];
      requests.set(request, entries);
      refused.delete(request);
      await Promise.all(request.variables.map((_, index) => createItem(request, entries, index, false)));
    };

    /** One monitored item of a request; `again`: a retry of one the server refused before. */
    const createItem = async (request: MonitorRequest, entries: Entry[], index: number, again: boolean): Promise<void> => {
      const lib = opcua;
      const sub = subscription;
      const variable = request.variables[index];
      if (!lib || !sub || !variable) return;
      const resolved = resolveNodeId(variable.nodeId, namespaceArray);
      if (!resolved.ok) {
        if (!again) request.onError(resolved.reason);
        return;
      }
      const deadband = variable.deadband ?? 0;
      // One variable the client cannot monitor is that variable's error, never the whole endpoint's: a throw here
      // would fail the connection's start and stop every node on the endpoint.
      let item: Entry['item'];
      try {
        item = await sub.monitor(
          { nodeId: resolved.value, attributeId: lib.AttributeIds.Value },
          {
            samplingInterval: variable.samplingInterval,
            discardOldest: true,
            queueSize: 10,
            ...(deadband > 0 && {
              filter: new lib.DataChangeFilter({
                trigger: lib.DataChangeTrigger.StatusValue,
                deadbandType: lib.DeadbandType.Absolute,
                deadbandValue: deadband,
              }),
            }),
          },
          lib.TimestampsToReturn.Both,
        );
      } catch (err) {
        request.onError(`${variable.nodeId}: ${errorMessage(err)}`);
        return;
      }
      if (closing || requests.get(request) !== entries) {
        await item.terminate().catch(() => undefined);
        return;
      }
      // A wrong node id does not fail `monitor`: the server answers with a bad status for the item.
      if (item.statusCode.isNotGood()) {
        if (!again) request.onError(`${variable.nodeId}: ${item.statusCode.name} (asked for again every ${RETRY_REFUSED_MS / 1000} s)`);
        markRefused(request, index);
        await item.terminate().catch(() => undefined);
        return;
      }
      refused.get(request)?.delete(index);
      if (again) request.onFound?.(index);
      item.on('changed', (value: DataValue) => request.onValue(index, value));
      item.on('err', (message: string) => request.onError(`${variable.nodeId}: ${message}`));
      entries.push({ nodeId: variable.nodeId, index, item });
    };

    const reResolveNodeIds: NonNullable<SubscriptionRecreateHook['beforeSubscriptionRecreate']> = async (newSession) => {
      try {
        namespaceArray = await newSession.readNamespaceArray();
        for (const [request, entries] of requests) {
          for (const entry of entries ?? []) {
            const resolved = resolveNodeId(entry.nodeId, namespaceArray);
            // A namespace the restarted server no longer has: point the item at the null node id, so it fails
            // visibly instead of silently monitoring whatever the old index names now.
            entry.item.itemToMonitor.nodeId = opcua!.resolveNodeId(resolved.ok ? resolved.value : 'i=0');
            if (!resolved.ok) request.onError(`${resolved.reason} after the server restarted`);
          }
        }
        return undefined;
      } catch (err) {
        return err instanceof Error ? err : new Error(String(err));
      }
    };

    /** After node-opcua repaired the session: report items the (restarted) server no longer accepts. */
    const onSessionRestored = (): void => {
      const id = session?.sessionId.toString() ?? '';
      if (id !== sessionId) {
        sessionId = id;
        for (const [request, entries] of requests) {
          if (entries === undefined) continue;
          // A variable the restarted server refuses (a PLC download dropped or renamed it) is asked for again with
          // the ones refused at first, so it is monitored again once a later download brings it back.
          for (const entry of entries.filter((e) => e.item.statusCode.isNotGood())) {
            request.onError(`${entry.nodeId}: ${entry.item.statusCode.name} after the server restarted (asked for again every ${RETRY_REFUSED_MS / 1000} s)`);
            entries.splice(entries.indexOf(entry), 1);
            entry.item.terminate().catch(() => undefined);
            markRefused(request, entry.index);
          }
        }
      }
      setState('connected');
    };

    const openClient = (lib: Opcua, chosen: OpcuaSecurity, certificateManager: OPCUACertificateManager): OPCUAClient => {
      const c = lib.OPCUAClient.create({
        applicationName: 'twinflow digital twin',
        endpointMustExist: false,
        securityMode: lib.MessageSecurityMode[chosen.mode],
        securityPolicy: lib.SecurityPolicy[chosen.policy as keyof typeof lib.SecurityPolicy],
        clientCertificateManager: certificateManager,
        connectionStrategy: { initialDelay: 250, maxDelay: reconnectMaxDelay, maxRetry: Number.MAX_SAFE_INTEGER },
        keepSessionAlive: true,
      });
      (c as unknown as SubscriptionRecreateHook).beforeSubscriptionRecreate = reResolveNodeIds;
      c.on('connection_lost', () => setState('disconnected'));
      c.on('connection_reestablished', onSessionRestored);
      // node-opcua retries the first connection without end and without an error: after a few attempts the server
      // is called unreachable (an error for Catch nodes, once), while the client goes on trying.
      let attempts = 0;
      c.on('backoff', () => {
        attempts++;
        if (node.state === 'error') return;
        if (node.state === 'connecting' && attempts >= UNREACHABLE_AFTER_ATTEMPTS) {
          setState('error', `no answer from ${config.endpoint} after ${attempts} attempts (is the server running, and are the address and port right?); still trying`);
          return;
        }
        if (node.state !== 'disconnected') setState('connecting');
      });
      return c;
    };

    const start = async (): Promise<void> => {
      if (!security.ok) throw new ConfigurationError(security.reason);
      setState('connecting');
      opcua ??= await loadOpcua();
      if (closing) return;
      // Unknown server certificates are always refused by node-opcua here; trust on first use is decided before.
      certificateManager ??= new opcua.OPCUACertificateManager({ rootFolder: pkiFolder, automaticallyAcceptUnknownCertificate: false });
      if (config.trustOnFirstUse === true && security.value.mode !== 'None') {
        const firstUse = await trustOnFirstUse(opcua, certificateManager, config.endpoint, pkiFolder);
        if (!firstUse.ok) throw new CertificateRefused(firstUse.reason);
        if (closing) return;
      }
      const c = openClient(opcua, security.value, certificateManager);
      client = c;
      await c.connect(config.endpoint);
      if (closing) return;
      const s = await c.createSession(identity(opcua, security.value));
      session = s;
      sessionId = s.sessionId.toString();
      s.on('session_restored', onSessionRestored);
      if (closing) return;
      namespaceArray = await s.readNamespaceArray();
      if (closing) return;
      subscription = await s.createSubscription2({
        requestedPublishingInterval: publishingInterval,
        // The server keeps the subscription this many publishing intervals without contact (2.5 min at 250 ms),
        // so a network outage shorter than that resumes the same subscription, missed values republished.
        requestedLifetimeCount: 600,
        requestedMaxKeepAliveCount: MAX_KEEP_ALIVE_COUNT,
        maxNotificationsPerPublish: 10_000,
        publishingEnabled: true,
        priority: 10,
      });
      if (closing) return;
      restartDelay = 1000;
      lastLogged = '';
      setState('connected');
      await Promise.all([...requests.keys()].map(createItems));
    };

    /** Closes the certificate manager's file watchers (every client made with it counted itself as a user). */
    const releaseCertificateManager = async (): Promise<void> => {
      const manager = certificateManager;
      certificateManager = undefined;
      if (!manager) return;
      manager.referenceCounter = 0;
      await manager.dispose();
    };

    /** Frees a client whose start failed, so the next attempt begins clean (and the server keeps no session). */
    const discardClient = async (): Promise<void> => {
      const c = client;
      client = undefined;
      session = undefined;
      subscription = undefined;
      for (const request of requests.keys()) requests.set(request, undefined);
      if (c) await c.disconnect().catch(() => undefined);
      // The next attempt reads the PKI folders afresh (a certificate the user just moved to trusted/ counts).
      await releaseCertificateManager().catch(() => undefined);
    };

    const onStartFailed = async (err: unknown): Promise<void> => {
      if (closing) return;
      const failure =
        err instanceof ConfigurationError
          ? { kind: 'other', message: err.message, retry: false }
          : err instanceof CertificateRefused
            ? { kind: 'untrusted-certificate', message: err.message, retry: true }
            : explainOpcuaFailure(errorMessage(err), pkiFolder);
      await discardClient();
      if (closing) return;
      setState('error', failure.message);
      if (failure.message !== lastLogged) {
        lastLogged = failure.message;
        node.error(`OPC UA ${config.endpoint}: ${failure.message}`);
      }
      if (!failure.retry) return;
      // e.g. an untrusted certificate: once the user moves it to trusted/, the next attempt succeeds without a deploy
      restartTimer = setTimeout(() => {
        restartTimer = undefined;
        starting = undefined;
        void ensureStarted();
      }, restartDelay);
      // A server that is not there yet is tried as often as a lost one; anything a person must fix, less often.
      restartDelay = failure.kind === 'unreachable' ? Math.min(restartDelay * 2, reconnectMaxDelay) : Math.min(restartDelay * 2, MAX_RESTART_DELAY);
    };

    const ensureStarted = (): Promise<void> => {
      starting ??= start().catch(onStartFailed);
      return starting;
    };

    node.monitor = (request) => {
      requests.set(request, undefined);
      if (subscription) {
        createItems(request).catch((err: unknown) => request.onError(errorMessage(err)));
      } else {
        void ensureStarted();
      }
      return () => {
        const entries = requests.get(request) ?? [];
        requests.delete(request);
        refused.delete(request);
        for (const { item } of entries) item.terminate().catch(() => undefined);
      };
    };

    /** The shared session once it is open; opens it for an endpoint nobody monitors through yet. */
    const openSession = async (timeoutMs: number): Promise<{ session: ClientSession; lib: Opcua }> => {
      if (node.state !== 'connected' || !session || !opcua) {
        void ensureStarted();
        await new Promise<void>((resolve, reject) => {
          const timer = setTimeout(() => finish(new Error(node.lastError ?? `no session within ${timeoutMs / 1000} s (${node.state})`)), timeoutMs);
          const onState = (state: EndpointState, error?: string): void => {
            if (state === 'connected') finish();
            else if (state === 'error') finish(new Error(error));
          };
          const finish = (err?: Error): void => {
            clearTimeout(timer);
            node.events.off('state', onState);
            if (err) reject(err);
            else resolve();
          };
          node.events.on('state', onState);
          if (node.state === 'connected' && session) finish();
        });
      }
      if (!session || !opcua) throw new Error('the session closed');
      return { session, lib: opcua };
    };

    node.browse = async (nodeId) => {
      const { session: s, lib } = await openSession(10_000);
      const start = nodeId ? resolveNodeId(nodeId, namespaceArray) : { ok: true as const, value: 'i=85' };
      if (!start.ok) throw new Error(start.reason);
      const result = await s.browse({
        nodeId: start.value,
        referenceTypeId: 'HierarchicalReferences',
        includeSubtypes: true,
        browseDirection: lib.BrowseDirection.Forward,
        nodeClassMask: lib.NodeClassMask.Object | lib.NodeClassMask.Variable | lib.NodeClassMask.View,
        resultMask: 0x3f,
      });
      if (result.statusCode.isNotGood()) throw new Error(`${nodeId ?? 'Objects'}: ${result.statusCode.name}`);
      return describeChildren(lib, s, result.references ?? []);
    };

    node.write = async (nodeId, value) => {
      const { session: s, lib } = await openSession(10_000);
      const resolved = resolveNodeId(nodeId, namespaceArray);
      if (!resolved.ok) throw new Error(resolved.reason);
      // Write in the variable's own type: a Double sent to an Int16 variable is refused with Bad_TypeMismatch.
      const current = await s.read({ nodeId: resolved.value, attributeId: lib.AttributeIds.Value });
      if (current.statusCode.isNotGood() && current.value?.dataType === undefined) throw new Error(`${nodeId}: ${current.statusCode.name}`);
      const dataType = current.value?.dataType ?? lib.DataType.Double;
      const integer = [lib.DataType.SByte, lib.DataType.Byte, lib.DataType.Int16, lib.DataType.UInt16, lib.DataType.Int32, lib.DataType.UInt32, lib.DataType.Int64, lib.DataType.UInt64].includes(dataType);
      const written = dataType === lib.DataType.Boolean ? value !== 0 : integer ? Math.round(value) : value;
      const status = await s.write({ nodeId: resolved.value, attributeId: lib.AttributeIds.Value, value: { value: { dataType, value: written } } });
      if (status.value === lib.StatusCodes.GoodCompletesAsynchronously.value) return { result: 'pending', status: status.name };
      return { result: status.isGood() ? 'written' : 'refused', status: status.name };
    };

    const describeChildren = async (lib: Opcua, s: ClientSession, references: ReferenceDescription[]): Promise<BrowseEntry[]> => {
      const isVariable = (r: ReferenceDescription): boolean => lib.NodeClass[r.nodeClass] === 'Variable';
      const variables = references.filter(isVariable);
      const dataTypes = variables.length === 0 ? [] : await s.read(variables.map((r) => ({ nodeId: r.nodeId, attributeId: lib.AttributeIds.DataType })));
      const typeIds = dataTypes.map((d) => (d.value?.value as { toString(): string } | null)?.toString() ?? '');
      const unique = [...new Set(typeIds.filter((t) => t !== ''))];
      const names = unique.length === 0 ? [] : await s.read(unique.map((id) => ({ nodeId: id, attributeId: lib.AttributeIds.BrowseName })));
      const typeName = new Map(unique.map((id, i) => [id, (names[i]?.value?.value as { name?: string } | null)?.name ?? id]));
      return references.map((r) => {
        const variableIndex = variables.indexOf(r);
        const dataType = variableIndex >= 0 ? typeName.get(typeIds[variableIndex] ?? '') : undefined;
        return {
          nodeId: toNamespaceUriForm(r.nodeId.toString(), namespaceArray),
          browseName: r.browseName.name ?? '',
          displayName: r.displayName.text ?? r.browseName.name ?? '',
          nodeClass: lib.NodeClass[r.nodeClass] ?? String(r.nodeClass),
          ...(dataType !== undefined && { dataType }),
          hasChildren: !isVariable(r),
        };
      });
    };

    node.statusFor = (state) =>
      connectionStatus(state, () => {
        const kind = node.lastError ? explainOpcuaFailure(node.lastError, pkiFolder).kind : 'other';
        // Translated here, in the endpoint's own catalog: the status belongs to the nodes using the endpoint, whose
        // catalogs do not have these keys (the editor showed "twin-opcua-endpoint.status.access-denied").
        return kind === 'untrusted-certificate' || kind === 'access-denied' ? RED._(`twin-opcua-endpoint.status.${kind}`) : 'node-red:common.status.error';
      });

    node.on('close', (done: () => void) => {
      closing = true;
      if (restartTimer) clearTimeout(restartTimer);
      requests.clear();
      refused.clear();
      clearInterval(retryTimer);
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
        try {
          if (client) await client.disconnect();
        } finally {
          await releaseCertificateManager();
        }
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
  registerBrowseRoute(RED);
};
