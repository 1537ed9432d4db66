import { PumpSimulator } from '../../core/pump-simulator.js';
import {
  numberSetting,
  type DoneFn,
  type Node,
  type NodeAPI,
  type NodeDef,
  type NodeMessageInFlow,
  type SendFn,
} from '../shared/node-red.js';

interface TwinSimulatorConfig extends NodeDef {
  model: string;
  assetCount: string | number;
  assetPrefix: string;
  intervalMs: string | number;
  timeScale: string | number;
  seed: string | number;
  speed: string | number;
  frictionGrowth: string | number;
  noise: string | number;
  autoStart: boolean;
}

/** Shortest tick: below it Node-RED spends its time on timers, not on the flow. */
const MIN_INTERVAL_MS = 10;
const MAX_ASSETS = 10_000;

export = function register(RED: NodeAPI): void {
  function TwinSimulator(this: Node, config: TwinSimulatorConfig): void {
    RED.nodes.createNode(this, config);
    const assetCount = Math.min(MAX_ASSETS, Math.max(1, Math.round(numberSetting(config.assetCount, 1))));
    const prefix = config.assetPrefix || 'pump-';
    const intervalMs = Math.max(MIN_INTERVAL_MS, numberSetting(config.intervalMs, 1000));
    const timeScale = Math.max(0, numberSetting(config.timeScale, 1));
    const seed = Math.round(numberSetting(config.seed, 1));
    const pumps: PumpSimulator[] = [];
    for (let i = 0; i < assetCount; i++) {
      pumps.push(
        new PumpSimulator({
          assetId: `${prefix}${i + 1}`,
          seed: seed + i,
          speedSetpointRpm: numberSetting(config.speed, 1480),
          frictionGrowthPerHour: numberSetting(config.frictionGrowth, 5) / 100,
          noise: numberSetting(config.noise, 0.5) / 100,
        }),
      );
    }
    let timer: NodeJS.Timeout | undefined;

    const showStatus = (): void => {
      if (timer) {
        this.status({ fill: 'green', shape: 'dot', text: RED._('twin-simulator.status.running', { assets: pumps.length }) });
      } else {
        this.status({ fill: 'grey', shape: 'ring', text: RED._('twin-simulator.status.stopped') });
      }
    };
    const tick = (): void => {
      const ts = Date.now();
      const dt = (intervalMs / 1000) * timeScale;
      for (const pump of pumps) {
        this.send({ topic: pump.assetId, payload: pump.step(ts, dt) });
      }
    };
    const start = (): void => {
      if (!timer) timer = setInterval(tick, intervalMs);
      showStatus();
    };
    const stop = (): void => {
      if (timer) clearInterval(timer);
      timer = undefined;
      showStatus();
    };

    this.on('input', (msg: NodeMessageInFlow, send: SendFn, done: DoneFn) => {
      const command = typeof msg.topic === 'string' ? msg.topic.toLowerCase() : '';
      if (command === 'start') {
        start();
        done();
        return;
      }
      if (command === 'stop') {
        stop();
        done();
        return;
      }
      if (command === 'tick') {
        // One step on demand: for tests and for stepping through a demo by hand.
        tick();
        done();
        return;
      }
      // A speed setpoint: topic "speed" with a number, or { assetId?, speed } (from a dashboard or the actuator).
      const payload = msg.payload;
      let speed: unknown;
      let assetId: unknown;
      if (command === 'speed' && typeof payload === 'number') {
        speed = payload;
        assetId = msg.assetId;
      } else if (typeof payload === 'object' && payload !== null && 'speed' in payload) {
        speed = (payload as Record<string, unknown>).speed;
        assetId = (payload as Record<string, unknown>).assetId;
      } else {
        done(new Error('expected topic start, stop or tick, or a speed setpoint: topic "speed" with a number, or { assetId, speed }'));
        return;
      }
      if (typeof speed !== 'number' || !Number.isFinite(speed) || speed < 0) {
        done(new Error(`speed setpoint must be a number of rpm ≥ 0, got ${JSON.stringify(speed)}`));
        return;
      }
      const targets = assetId === undefined ? pumps : pumps.filter((p) => p.assetId === assetId);
      if (targets.length === 0) {
        done(new Error(`unknown asset "${String(assetId)}": this simulator runs ${prefix}1 … ${prefix}${pumps.length}`));
        return;
      }
      for (const pump of targets) pump.setSpeedSetpoint(speed);
      done();
    });

    this.on('close', (done: () => void) => {
      stop();
      done();
    });

    if (config.autoStart === false) showStatus();
    else start();
  }
  RED.nodes.registerType('twin-simulator', TwinSimulator);
};
