import { randomUUID } from 'node:crypto';
import { checkCommand, type ActuationCommand, type AuditRecord, type GuardDecision, type GuardPolicy, type InterlockResult } from '../../core/actuation-guards.js';
import { firstLimitViolation, predictPumpAfterCommand } from '../../core/pump-prediction.js';
import { operatingLimits, type LimitConfig } from '../shared/operating-limits.js';
import { commandTopic } from '../../core/mqtt-mapping.js';
import type { ActuationPoint } from '../../core/twin-definition.js';
import { isCurrentReading, type DesiredValue, type TwinStore } from '../../core/twin-store.js';
import type { TwinMqttBrokerNode, Unsubscribe } from '../twin-mqtt-broker/broker-api.js';
import type { TwinOpcuaEndpointNode } from '../twin-opcua-endpoint/endpoint-api.js';
import { findDefinition } from '../shared/definition.js';
import { errorMessage, numberSetting, shortText, type DoneFn, type Node, type NodeAPI, type NodeDef, type NodeMessageInFlow, type SendFn } from '../shared/node-red.js';

type Mode = 'dry-run' | 'confirm' | 'live';

interface InterlockConfig {
  name?: string;
  expression: string;
}

interface TwinActuatorConfig extends NodeDef {
  definition: string;
  mode: string;
  /** Where writes go: an MQTT broker (default) or an OPC UA endpoint (the point's binding is the node id). */
  transport: string;
  broker: string;
  endpoint: string;
  topic: string;
  payloadFormat: string;
  /** With payloadFormat 'template': text with {value}, {id}, {ts}, {assetId} and {point} filled in. */
  payloadTemplate: string;
  /** MQTT 5: where the device answers; commands carry their id as correlation data. */
  responseTopic: string;
  qos: string | number;
  ttlS: string | number;
  confirmTimeoutS: string | number;
  readBackTimeoutS: string | number;
  limitPolicy: string;
  ratePolicy: string;
  interlocks: InterlockConfig[];
  /** Simulate speed commands with the centrifugal pump model before writing ('none' or 'centrifugal-pump'). */
  simulation: string;
  simulationHorizonMin: string | number;
  /** What the simulation holds the prediction against (bearingTemp max 90: a trip), before the valid ranges. */
  limits?: LimitConfig[];
}

/** A command on its way: the result message and the audit record are built from it. */
interface Command {
  id: string;
  assetId: string;
  point: ActuationPoint;
  /** As the guards check it: checked again when the operator confirms it. */
  request: ActuationCommand;
  requested: unknown;
  writes: number[];
  source?: string;
  user?: string;
  audit: AuditRecord & { response?: string };
  /** The OPC UA server answered Good_CompletesAsynchronously. */
  unconfirmedByServer?: boolean;
  /** Its writes have started (after the operator's confirmation, in confirm mode). */
  writing?: boolean;
  /** Confirm mode: the operator confirmed it (its guards are being checked again, or it is being written). */
  confirmed?: boolean;
  /** Cancelled while its guards were checked again at confirmation: it is not written. */
  cancelled?: string;
  /** The desired value it set in the twin (its time tells it from a newer command's), and the one it replaced. */
  desired?: { ts: number; replaced: DesiredValue | undefined };
  msg: NodeMessageInFlow;
  send: SendFn;
  done: DoneFn;
}

/** How often a pending read-back looks at the twin. */
const READ_BACK_POLL_MS = 100;

/** One ramp step a second (the rate guard's unit). */
const RAMP_STEP_MS = 1000;

/** Replaced commands remembered, so a late Confirm for one is answered with what replaced it. */
const REMEMBERED_REPLACEMENTS = 100;

/**
 * What the audit trail keeps of a requested value: a number as it is, anything else as a short description. The twin
 * keeps 1,000 records per asset and saves them as JSON: a refused value of a megabyte must not be kept a thousand
 * times, and a BigInt (which JSON cannot write) must not stop the twin from being saved.
 */
function auditedValue(value: unknown): unknown {
  if (typeof value === 'number') return Number.isFinite(value) ? value : String(value);
  if (typeof value === 'string') return value.length <= 40 ? value : `a string of ${value.length} characters`;
  if (typeof value === 'boolean' || value === null || value === undefined) return value;
  if (typeof value === 'bigint') return `${value.toString().slice(0, 40)}n`;
  return Array.isArray(value) ? 'an array' : typeof value === 'object' ? 'an object' : typeof value;
}

/** Text from a command (asset id, point, source, user) as the audit trail keeps it: at most 200 characters. */
function auditedText(text: string): string {
  return text.length <= 200 ? text : `${text.slice(0, 199)}…`;
}

export = function register(RED: NodeAPI): void {
  function TwinActuator(this: Node, config: TwinActuatorConfig): void {
    RED.nodes.createNode(this, config);
    const found = findDefinition(RED, config.definition);
    const store: TwinStore | undefined = 'node' in found ? found.node.store : undefined;
    const mode: Mode = config.mode === 'live' || config.mode === 'confirm' ? config.mode : 'dry-run';
    const transport = config.transport === 'opcua' ? 'opcua' : 'mqtt';
    const broker = transport === 'mqtt' && config.broker ? (RED.nodes.getNode(config.broker) as TwinMqttBrokerNode | null) : null;
    const endpoint = transport === 'opcua' && config.endpoint ? (RED.nodes.getNode(config.endpoint) as TwinOpcuaEndpointNode | null) : null;
    const topicTemplate = config.topic || 'plant/{assetId}/set/{point}';
    const qosSetting = Math.round(numberSetting(config.qos, 1));
    const qos: 0 | 1 | 2 = qosSetting === 0 ? 0 : qosSetting === 2 ? 2 : 1;
    const ttlMs = Math.max(1, numberSetting(config.ttlS, 30)) * 1000;
    const confirmTimeoutMs = Math.max(1, numberSetting(config.confirmTimeoutS, 30)) * 1000;
    const readBackTimeoutMs = Math.max(0.1, numberSetting(config.readBackTimeoutS, 10)) * 1000;
    /**
     * How long a command message may still reach the machine (MQTT 5 message expiry; the wait for the broker's
     * acknowledgement): no longer than the read-back, so a command reported failed is never delivered afterwards to a
     * device that comes back online.
     */
    const messageTtlMs = Math.min(ttlMs, readBackTimeoutMs);
    if (broker && mode !== 'dry-run' && qos > 0 && broker.protocolVersion === 4) {
      this.warn(
        `MQTT 3.1.1 cannot make a command expire: a device with a persistent session that is offline gets a QoS ${qos} command whenever it comes back, also after this node reported it failed. Use MQTT 5 on the broker node (commands then expire after ${messageTtlMs / 1000} s) or QoS 0`,
      );
    }
    const policy: GuardPolicy = { limits: config.limitPolicy === 'clamp' ? 'clamp' : 'refuse', rate: config.ratePolicy === 'ramp' ? 'ramp' : 'refuse' };
    const simulation = config.simulation === 'centrifugal-pump' ? 'centrifugal-pump' : 'none';
    const horizonS = Math.max(1, numberSetting(config.simulationHorizonMin, 30)) * 60;
    const timers = new Set<NodeJS.Timeout>();
    /** Commands without a final result yet: a close gives them one, so every command is audited exactly once. */
    const inFlight = new Set<Command>();
    const awaitingConfirmation = new Map<string, { command: Command; timer: NodeJS.Timeout; expiresAt: number }>();
    /** Id of a command replaced while it waited for confirmation → id of the command that replaced it. */
    const replacedBy = new Map<string, string>();

    let interlocks: Array<{ name: string; expression: ReturnType<typeof RED.util.prepareJSONataExpression> }> = [];
    let configError = 'error' in found ? found.error : undefined;
    try {
      interlocks = (Array.isArray(config.interlocks) ? config.interlocks : [])
        .filter((i) => i.expression && i.expression.trim() !== '')
        .map((i) => ({ name: i.name || i.expression, expression: RED.util.prepareJSONataExpression(i.expression, this) }));
    } catch (err) {
      configError = `interlock: ${errorMessage(err)}`;
    }
    if (mode !== 'dry-run' && transport === 'mqtt' && !broker) configError ??= RED._('twin-actuator.errors.no-broker');
    if (mode !== 'dry-run' && transport === 'opcua' && !endpoint) configError ??= RED._('twin-actuator.errors.no-endpoint');
    /** The last command's end, for the status: what an operator looks for on the node after pressing a button. */
    let lastResult: { text: string; result: AuditRecord['result'] } | undefined;
    /**
     * What the actuator is doing: commands waiting for confirmation (and until when), a ramp being written, or how the
     * last command ended; the mode otherwise. Called whenever one of these changes.
     */
    const showStatus = (): void => {
      if (configError) {
        this.status({ fill: 'red', shape: 'ring', text: RED._('twin-actuator.status.config', { reason: shortText(configError, 40) }) });
        return;
      }
      const modeText = RED._(`twin-actuator.status.${mode}`);
      const waiting = [...awaitingConfirmation.values()];
      if (waiting.length > 0) {
        const until = Math.min(...waiting.map((w) => w.expiresAt));
        this.status({ fill: 'yellow', shape: 'ring', text: RED._('twin-actuator.status.waiting', { count: waiting.length, until: new Date(until).toLocaleTimeString('en-GB') }) });
        return;
      }
      const writing = [...inFlight].find((c) => c.writing);
      if (writing) {
        const target = String(writing.writes[writing.writes.length - 1] ?? '');
        const steps = writing.writes.length;
        const text = RED._('twin-actuator.status.writing', { assetId: writing.assetId, point: writing.point.name, target }) + (steps > 1 ? RED._('twin-actuator.status.ramp', { steps }) : '');
        this.status({ fill: 'blue', shape: 'dot', text });
        return;
      }
      if (lastResult) {
        const fill = lastResult.result === 'confirmed' || lastResult.result === 'accepted' ? 'green' : lastResult.result === 'failed' ? 'red' : 'yellow';
        this.status({ fill, shape: 'dot', text: `${modeText} · ${lastResult.text}` });
        return;
      }
      this.status({ fill: mode === 'live' ? 'green' : 'grey', shape: mode === 'live' ? 'dot' : 'ring', text: modeText });
    };
    if (configError) this.error(configError);
    else broker?.connect();
    showStatus();

    // MQTT 5 request/response: the device's answer, matched by correlation data, goes into the command's audit record.
    const responseTopic = transport === 'mqtt' ? (config.responseTopic ?? '').trim() : '';
    let stopResponses: Unsubscribe | undefined;
    if (responseTopic !== '' && broker && !configError) {
      stopResponses = broker.subscribe(responseTopic, 1, (_topic, payload, packet) => {
        const id = packet.properties?.correlationData?.toString('utf8');
        const command = [...inFlight].find((c) => c.id === id);
        if (command) command.audit.response = payload.toString('utf8', 0, 1000);
      });
    }

    // A command left retained on the broker (by a test tool, a script, another controller) reaches the device again
    // whenever it subscribes, after every reconnect, past this node's limits, rate guard and audit. The broker replays
    // retained messages to a new subscription (at deploy, and after a reconnect on MQTT 3.1.1 or with a new session):
    // watched then, said once per message.
    const stopWatching: Unsubscribe[] = [];
    if (transport === 'mqtt' && broker && mode !== 'dry-run' && !configError) {
      const templates = new Set([topicTemplate, ...(store?.definition.actuationPoints ?? []).flatMap((p) => (p.binding ? [p.binding] : []))]);
      const told = new Set<string>();
      for (const template of templates) {
        const { filter, matches } = commandTopic(template);
        stopWatching.push(
          broker.watch(filter, (topic, payload, packet) => {
            if (!packet.retain || payload.length === 0 || !matches(topic)) return;
            const text = payload.toString('utf8', 0, 100);
            if (told.has(`${topic}\0${text}`)) return;
            told.add(`${topic}\0${text}`);
            this.warn(
              `a retained command "${text}" is left on the broker at ${topic}: a device gets it each time it subscribes (after every reconnect), past this node's limits, rate guard and audit. ` +
                `Clear it by publishing an empty retained message to that topic (mosquitto_pub -r -n -t '${topic}')`,
            );
          }),
        );
      }
    }

    const later = (ms: number, fn: () => void): NodeJS.Timeout => {
      const timer = setTimeout(() => {
        timers.delete(timer);
        fn();
      }, ms);
      timers.add(timer);
      return timer;
    };

    /** Takes a command off the confirmation list and stops its confirmation timeout. @returns the command, if it waited */
    const stopWaiting = (id: string): Command | undefined => {
      const waiting = awaitingConfirmation.get(id);
      if (!waiting) return undefined;
      clearTimeout(waiting.timer);
      timers.delete(waiting.timer);
      awaitingConfirmation.delete(id);
      return waiting.command;
    };

    /**
     * Keeps the audit record in the twin, for assets the twin has: a command naming an asset the twin does not know is
     * answered and audited on the output only (it used to add an empty asset to the twin for every such name).
     */
    const keepInTwin = (command: Command): void => {
      if (store?.has(command.assetId)) store.appendAudit(command.audit);
    };

    /** Sends the command's final result and its audit record (exactly once per command), then completes the input. */
    const finish = (command: Command, result: AuditRecord['result'], reason?: string, err?: Error): void => {
      if (!inFlight.delete(command)) return;
      command.audit.result = result;
      if (reason !== undefined) command.audit.reason = reason;
      keepInTwin(command);
      const msg = command.msg;
      msg.topic = command.assetId;
      const payload: Record<string, unknown> = { id: command.id, assetId: command.assetId, point: command.point.name, requested: command.requested, written: command.audit.written, result, mode };
      if (reason !== undefined) payload.reason = reason;
      // The device's answer only where there is one (MQTT 5 request/response): no empty field in every other result.
      if (command.audit.response !== undefined) payload.response = command.audit.response;
      msg.payload = payload;
      command.send([msg, { topic: command.assetId, payload: command.audit }]);
      command.done(err);
      const value = command.audit.written ?? auditedValue(command.requested);
      lastResult = { result, text: shortText(`${command.assetId} ${command.point.name} ${String(value)} ${result}${reason !== undefined ? `: ${reason}` : ''}`, 80) };
      showStatus();
    };

    /**
     * A newer command for the same asset and point replaces an older one, as an operator expects: when the newer one
     * is accepted, an older one waiting for confirmation is ended and never written; when the newer one starts writing,
     * an older one still writing stops at the step it reached and its read-back ends (the twin's desired value is the
     * newer one's from then on). A refused command replaces nothing.
     */
    const replaceOlder = (newer: Command, stage: 'waiting' | 'writing'): void => {
      for (const older of inFlight) {
        if (older === newer || older.assetId !== newer.assetId || older.point.name !== newer.point.name) continue;
        const by = `replaced by a newer command for ${newer.assetId} ${newer.point.name} (${String(auditedValue(newer.requested))})`;
        if (stage === 'waiting' && stopWaiting(older.id)) {
          replacedBy.set(older.id, newer.id);
          if (replacedBy.size > REMEMBERED_REPLACEMENTS) replacedBy.delete(replacedBy.keys().next().value!);
          finish(older, 'refused', `${by} before it was confirmed: nothing was written`);
        } else if (stage === 'writing' && older.writing) {
          finish(older, 'failed', older.audit.written === undefined ? `${by} before anything was written` : `${by} after writing ${older.audit.written}`);
        }
      }
    };

    /**
     * The values an interlock sees: the twin's signals that are fresh and whose newest readings are usable; others are
     * absent. A signal the source now reports bad (`badSince`) still shows its last good value in the twin, which an
     * interlock must not trust: the bearing may have heated up since its sensor failed.
     */
    const interlockInput = (assetId: string): Record<string, unknown> => {
      const snapshot = store?.snapshot(assetId);
      const signals: Record<string, number> = {};
      for (const [name, s] of Object.entries(snapshot?.signals ?? {})) if (isCurrentReading(s)) signals[name] = s.value;
      return { ...signals, assetId, signals };
    };

    const evaluateInterlocks = async (assetId: string): Promise<InterlockResult[]> => {
      const input = interlockInput(assetId);
      return Promise.all(
        interlocks.map(
          (interlock) =>
            new Promise<InterlockResult>((resolve) => {
              RED.util.evaluateJSONataExpression(interlock.expression, input, (err, result: unknown) => {
                if (err) resolve({ name: interlock.name, passed: undefined, reason: errorMessage(err) });
                else if (typeof result === 'boolean') resolve({ name: interlock.name, passed: result });
                else resolve({ name: interlock.name, passed: undefined, reason: 'an input is stale, bad or missing' });
              });
            }),
        ),
      );
    };

    /**
     * Runs a speed command through the pump model from the twin's current state (and the bearing friction twin-model
     * estimated, when it did) and checks every predicted signal against the node's operating limits, and where it has
     * none for a signal, the twin definition's valid range.
     */
    const simulatePump = (twin: TwinStore, assetId: string, target: number): { ok: boolean; detail: string } => {
      const signals = twin.snapshot(assetId)?.signals ?? {};
      const speed = signals.speed;
      const temp = signals.bearingTemp;
      // Not the last good value of a sensor the source now reports bad: the bearing may be hotter by now.
      if (!isCurrentReading(speed) || !isCurrentReading(temp)) throw new Error('the prediction needs fresh, usable speed and bearingTemp readings');
      const friction = twin.derived(assetId, 'parameters')?.bearingFriction;
      const trajectory = predictPumpAfterCommand({
        speedRpm: speed.value,
        bearingTempC: temp.value,
        targetRpm: target,
        horizonS,
        ...(typeof friction === 'number' && friction > 0 ? { parameters: { bearingFriction: friction } } : {}),
      });
      const violation = firstLimitViolation(trajectory, operatingLimits(config.limits, twin.definition.signals), twin.definition.signals);
      if (violation) return { ok: false, detail: violation };
      const hottest = Math.max(...trajectory.map((p) => p.bearingTemp));
      return { ok: true, detail: `within all limits for ${horizonS / 60} min (bearing at most ${hottest.toFixed(1)} °C)` };
    };

    const topicFor = (command: Command): string => commandTopic(command.point.binding || topicTemplate).expand(command.assetId, command.point.name);

    const payloadFor = (command: Command, value: number): string => {
      if (config.payloadFormat === 'json') return JSON.stringify({ value, id: command.id, ts: Date.now() });
      if (config.payloadFormat === 'template') {
        return (config.payloadTemplate ?? '{value}')
          .replaceAll('{value}', String(value))
          .replaceAll('{id}', command.id)
          .replaceAll('{ts}', String(Date.now()))
          .replaceAll('{assetId}', command.assetId)
          .replaceAll('{point}', command.point.name);
      }
      return String(value);
    };

    /**
     * Writes every step (one per second for a ramp), then waits for the twin to report the value. The twin is told
     * when the ramp's last step is due: its readings on the way are the pump following the ramp, and the settle time
     * (and the time to live) count from that step.
     */
    const write = async (command: Command): Promise<void> => {
      const target = command.writes[command.writes.length - 1]!;
      const rampMs = (command.writes.length - 1) * RAMP_STEP_MS;
      const replaced = store!.desired(command.assetId, command.point.name);
      const desired = store!.setDesired(command.assetId, command.point.name, target, { ttlMs, rampMs, source: command.source ?? this.name ?? this.id });
      if (desired.ok) command.desired = { ts: desired.value.ts, replaced };
      if (!desired.ok) {
        finish(command, 'refused', desired.reason);
        return;
      }
      replaceOlder(command, 'writing');
      command.writing = true;
      showStatus();
      // Each step is due at a fixed time from the first, so a slow write does not push the ramp past the end the twin
      // was told.
      const firstStepAt = Date.now();
      /**
       * A step that did not reach the machine: the twin expects what was written before it, or, with nothing written,
       * nothing at all (a desired value left behind would wait for a command never sent, then call the machine's
       * own value an override).
       */
      const notWritten = (): void => {
        // A newer command (of this node, or of another on the same twin) owns the desired value now: leave it be.
        if (!inFlight.has(command) || store!.desired(command.assetId, command.point.name)?.ts !== command.desired?.ts) return;
        const written = command.audit.written;
        if (written === undefined) store!.withdrawDesired(command.assetId, command.point.name, command.desired?.replaced);
        else store!.setDesired(command.assetId, command.point.name, written, { ttlMs, source: command.source ?? this.name ?? this.id });
      };
      for (const [i, value] of command.writes.entries()) {
        if (i > 0) await new Promise((resolve) => later(Math.max(0, firstStepAt + i * RAMP_STEP_MS - Date.now()), () => resolve(undefined)));
        // Replaced by a newer command (or the actuator stopped) while it waited: the rest of the ramp is not written.
        if (!inFlight.has(command)) return;
        try {
          if (endpoint) {
            if (!command.point.binding) throw new Error(`actuation point ${command.point.name} has no OPC UA node id in its binding`);
            const outcome = await endpoint.write(command.point.binding, value);
            // Bad_OutOfRange, Bad_TypeMismatch, Bad_UserAccessDenied …: the machine said no; nothing was changed.
            if (outcome.result === 'refused') {
              notWritten();
              finish(command, 'refused', `the OPC UA server refused the write: ${outcome.status}`);
              return;
            }
            // Good_CompletesAsynchronously: accepted but not confirmed by the server; only the read-back can tell.
            if (outcome.result === 'pending') command.unconfirmedByServer = true;
          } else {
            await broker!.publish(topicFor(command), payloadFor(command, value), {
              qos,
              ttlMs: messageTtlMs,
              ...(responseTopic !== '' ? { responseTopic, correlationData: Buffer.from(command.id) } : {}),
            });
          }
        } catch (err) {
          notWritten();
          throw err;
        }
        // Written only once the machine (or the broker) took it: the audit never names a step that was not sent.
        command.audit.written = value;
      }
      // Replaced or stopped while the last write was on its way: that command has had its result, and its message is done.
      if (!inFlight.has(command)) return;
      const written = RED.util.cloneMessage(command.msg);
      written.topic = command.assetId;
      written.payload = { id: command.id, assetId: command.assetId, point: command.point.name, written: target, result: 'written', mode, ...(command.unconfirmedByServer ? { unconfirmed: true } : {}) };
      command.send([written, null]);
      const started = Date.now();
      const poll = (): void => {
        if (!inFlight.has(command)) return;
        const state = store!.desired(command.assetId, command.point.name);
        if (state?.state === 'reached') finish(command, 'confirmed');
        else if (state?.state === 'expired' || state?.state === 'overridden') finish(command, 'failed', `read-back: the desired value ${state.state}`);
        else if (Date.now() - started >= readBackTimeoutMs) finish(command, 'failed', `read-back: ${command.point.name} did not reach ${target} within ${readBackTimeoutMs / 1000} s`);
        else later(READ_BACK_POLL_MS, poll);
      };
      poll();
    };

    /** Every guard on a command, against the twin as it is now: its reported value, interlocks, limits, simulation. */
    const decide = async (request: ActuationCommand, point: ActuationPoint | undefined): Promise<GuardDecision> => {
      const reported = point ? store!.snapshot(request.assetId)?.signals[point.reportedSignal ?? point.name] : undefined;
      const usableReported = isCurrentReading(reported) ? reported.value : undefined;
      const assetProblem = !store!.has(request.assetId)
        ? `the twin has no asset "${request.assetId.slice(0, 60)}": a command needs the twin of the machine it goes to`
        : broker && (/[/+#]/.test(request.assetId) || request.assetId.includes(String.fromCharCode(0)))
          ? `asset id "${request.assetId.slice(0, 60)}" cannot be part of an MQTT topic (it holds / + # or NUL)`
          : undefined;
      return checkCommand(request, {
        ...(assetProblem !== undefined ? { assetProblem } : {}),
        point: request.assetId === '' ? undefined : point,
        policy,
        interlocks: await evaluateInterlocks(request.assetId),
        ...(usableReported !== undefined ? { reported: usableReported } : {}),
        ...(simulation === 'centrifugal-pump' && (point?.reportedSignal ?? point?.name) === 'speed' ? { simulate: (value: number) => simulatePump(store!, request.assetId, value) } : {}),
      });
    };

    const writesOf = (decision: GuardDecision): number[] => decision.ramp ?? (decision.value !== undefined ? [decision.value] : []);

    /**
     * A confirmed command is checked again before anything is written: the operator may confirm many seconds after
     * the request, and by then an interlock may have tripped, or the machine may run at another speed, so the ramp is
     * computed from where it is now. The audit keeps the verdicts of this check, the one that let the command through.
     */
    const confirmAndWrite = (command: Command, user: string | undefined): void => {
      command.confirmed = true;
      command.audit.confirmedAt = Date.now();
      if (user !== undefined) command.audit.confirmedBy = user;
      command.audit.guardsAtAcceptance = command.audit.guards;
      decide(command.request, store!.definition.actuationPoints?.find((p) => p.name === command.point.name))
        .then((decision) => {
          // Stopped (or replaced) while the interlocks were evaluated.
          if (!inFlight.has(command)) return;
          command.audit.guards = decision.verdicts;
          if (command.cancelled !== undefined) {
            finish(command, 'refused', command.cancelled);
            return;
          }
          if (decision.result === 'refused') {
            finish(command, 'refused', `when confirmed: ${decision.reason}`);
            return;
          }
          command.writes = writesOf(decision);
          // Said at once, so a panel stops offering Confirm: a ramp's 'written' comes only after its last step.
          const confirmed = RED.util.cloneMessage(command.msg);
          confirmed.topic = command.assetId;
          confirmed.payload = { id: command.id, assetId: command.assetId, point: command.point.name, requested: command.requested, result: 'accepted', confirmed: true, writes: command.writes, mode };
          command.send([confirmed, null]);
          writeAndReport(command);
        })
        .catch((err: unknown) => finish(command, 'failed', errorMessage(err), new Error(errorMessage(err))));
    };

    /**
     * Stops a confirmed command's ramp where it is (Cancel while it ramps): the rest is not written, and the twin's
     * desired value becomes the step written last, which the machine was told to run at.
     */
    const stopRamp = (command: Command, reason: string): void => {
      const written = command.audit.written;
      if (written !== undefined) store!.setDesired(command.assetId, command.point.name, written, { ttlMs, source: command.source ?? this.name ?? this.id });
      finish(command, 'failed', written === undefined ? `${reason} before anything was written` : `${reason} after writing ${written}`);
    };

    const writeAndReport = (command: Command): void => {
      write(command).catch((err: unknown) => finish(command, 'failed', errorMessage(err), new Error(errorMessage(err))));
    };

    this.on('input', (msg: NodeMessageInFlow, send: SendFn, done: DoneFn) => {
      if (configError || !store) {
        done(new Error(configError ?? 'no twin definition'));
        return;
      }
      const payload = (typeof msg.payload === 'object' && msg.payload !== null ? msg.payload : {}) as Record<string, unknown>;
      const topic = typeof msg.topic === 'string' ? msg.topic.toLowerCase() : '';
      if (topic === 'confirm' || topic === 'cancel') {
        const id = typeof payload.id === 'string' ? payload.id : typeof msg.payload === 'string' ? msg.payload : '';
        const user = typeof payload.user === 'string' && payload.user !== '' ? auditedText(payload.user) : undefined;
        const cancelledBy = `cancelled by the operator${user !== undefined ? ` (${user})` : ''}`;
        const waiting = stopWaiting(id);
        if (waiting) {
          done();
          if (topic === 'cancel') finish(waiting, 'refused', cancelledBy);
          else confirmAndWrite(waiting, user);
          return;
        }
        const confirmed = [...inFlight].find((c) => c.id === id && c.confirmed);
        if (confirmed && topic === 'cancel') {
          // Confirmed and ramping: the remaining steps are not written; the twin expects what was written last.
          done();
          if (!confirmed.writing) confirmed.cancelled = cancelledBy;
          else stopRamp(confirmed, cancelledBy);
          return;
        }
        const newer = replacedBy.get(id);
        done(
          new Error(
            confirmed
              ? `command ${JSON.stringify(id)} is already confirmed and being written`
              : newer
                ? `command ${JSON.stringify(id)} was replaced by the newer command ${JSON.stringify(newer)} and is not waiting for confirmation`
                : `no command ${JSON.stringify(id)} is waiting for confirmation`,
          ),
        );
        return;
      }
      void (async () => {
        const assetId = typeof payload.assetId === 'string' ? payload.assetId : '';
        const pointName = typeof payload.point === 'string' ? payload.point : '';
        const point = store.definition.actuationPoints?.find((p) => p.name === pointName);
        const request: ActuationCommand = {
          assetId,
          point: pointName,
          value: payload.value,
          scenario: msg.scenario === true || payload.scenario === true,
        };
        if (typeof payload.source === 'string') request.source = payload.source;
        if (typeof payload.user === 'string') request.user = payload.user;
        const decision = await decide(request, point);
        const audit: AuditRecord = { ts: Date.now(), assetId: auditedText(assetId), point: auditedText(pointName), requested: auditedValue(payload.value), mode, result: decision.result, guards: decision.verdicts };
        if (request.source) audit.source = auditedText(request.source);
        if (request.user) audit.user = auditedText(request.user);
        const command: Command = { id: randomUUID(), assetId, point: point ?? { name: pointName }, request, requested: payload.value, writes: writesOf(decision), audit, msg, send, done };
        if (request.source) command.source = request.source;
        inFlight.add(command);
        if (decision.result === 'refused') {
          finish(command, 'refused', decision.reason);
          return;
        }
        if (mode === 'confirm') replaceOlder(command, 'waiting');
        if (mode === 'dry-run') {
          command.audit.written = command.writes[command.writes.length - 1]!;
          finish(command, 'accepted', 'dry run: nothing was written');
          return;
        }
        if (mode === 'confirm') {
          const timer = later(confirmTimeoutMs, () => {
            awaitingConfirmation.delete(command.id);
            // Nothing was written and nothing broke: the offer lapsed. 'failed' read as a failed write or machine.
            finish(command, 'expired', `not confirmed within ${confirmTimeoutMs / 1000} s: nothing was written`);
          });
          awaitingConfirmation.set(command.id, { command, timer, expiresAt: Date.now() + confirmTimeoutMs });
          showStatus();
          const pending = RED.util.cloneMessage(msg);
          pending.payload = { id: command.id, assetId, point: pointName, requested: payload.value, result: 'accepted', awaitingConfirmation: true, expiresIn: confirmTimeoutMs / 1000, mode };
          send([pending, null]);
          return;
        }
        writeAndReport(command);
      })().catch((err: unknown) => done(new Error(errorMessage(err))));
    });

    this.on('close', (removed: boolean, done: () => void) => {
      stopResponses?.(removed);
      for (const stop of stopWatching) stop();
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
      awaitingConfirmation.clear();
      for (const command of inFlight) {
        command.audit.result = 'failed';
        command.audit.reason = 'the actuator was stopped before the command finished';
        keepInTwin(command);
        command.done(new Error(command.audit.reason));
      }
      inFlight.clear();
      done();
    });
  }
  RED.nodes.registerType('twin-actuator', TwinActuator);
};
