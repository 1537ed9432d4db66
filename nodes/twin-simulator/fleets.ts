/**
 * The simulator's two asset models behind one interface, so the node wrapper runs timers, commands and faults the
 * same way for both. The physics and the replay themselves live in the pure core.
 */
import { CMAPSS_SIGNALS, CmapssReplay, type EngineFinished } from '../../core/cmapss.js';
import type { FaultInjector } from '../../core/fault-injection.js';
import { PUMP_SIGNALS, PumpSimulator } from '../../core/pump-simulator.js';
import type { Telemetry } from '../../core/telemetry.js';

/** What the second output carries: an engine reached its last cycle, or the whole replay ended. */
export type SimulatorEvent = EngineFinished | { type: 'complete'; engines: number; ts: number };

export interface FleetStep {
  telemetry: Telemetry[];
  events: SimulatorEvent[];
}

export interface SimulatedFleet {
  readonly assetIds: readonly string[];
  /** Signal names a fault may name. */
  readonly signals: readonly string[];
  /** Signals faults never touch. */
  readonly exempt: readonly string[];
  /** Advances `dtSeconds` of simulated time; readings are stamped `now` (ms). */
  step(now: number, dtSeconds: number, faults: FaultInjector, simSeconds: number): FleetStep;
  /** False once a replay without loop has played everything. */
  readonly running: boolean;
  /** Assets still sending (a replay's engines drop out at their last cycle), for the status. */
  readonly activeAssets: number;
}

/** Applies the sensor faults to fresh readings; a message whose every reading dropped out is not sent. */
function withFaults(readings: Telemetry[], faults: FaultInjector, simSeconds: number): Telemetry[] {
  const out: Telemetry[] = [];
  for (const reading of readings) {
    const faulty = faults.apply(reading, simSeconds);
    if (faulty !== undefined) out.push(faulty);
  }
  return out;
}

export class PumpFleet implements SimulatedFleet {
  readonly signals = Object.keys(PUMP_SIGNALS);
  readonly exempt: readonly string[] = [];
  readonly running = true;

  constructor(readonly pumps: PumpSimulator[]) {}

  get assetIds(): string[] {
    return this.pumps.map((p) => p.assetId);
  }

  get activeAssets(): number {
    return this.pumps.length;
  }

  step(now: number, dtSeconds: number, faults: FaultInjector, simSeconds: number): FleetStep {
    const readings: Telemetry[] = [];
    for (const pump of this.pumps) {
      // A friction fault ramps on top of normal wear: the extra friction of this step goes in before the physics.
      const extra = faults.frictionGrowthPerHour(pump.assetId) * (dtSeconds / 3600);
      if (extra > 0) pump.addBearingFriction(extra);
      readings.push(pump.step(now, dtSeconds));
    }
    return { telemetry: withFaults(readings, faults, simSeconds), events: [] };
  }
}

export class ReplayFleet implements SimulatedFleet {
  readonly signals = ['cycle', ...CMAPSS_SIGNALS];
  /** The cycle counter is the replay's clock, not a sensor: faults leave it alone. */
  readonly exempt = ['cycle'];
  private announcedComplete = false;

  constructor(readonly replay: CmapssReplay) {}

  get assetIds(): string[] {
    return this.replay.assetIds;
  }

  get running(): boolean {
    return !this.replay.complete;
  }

  get activeAssets(): number {
    return this.replay.running;
  }

  step(now: number, _dtSeconds: number, faults: FaultInjector, simSeconds: number): FleetStep {
    const played = this.replay.tick(now);
    const events: SimulatorEvent[] = [...played.finished];
    if (this.replay.complete && !this.announcedComplete) {
      this.announcedComplete = true;
      events.push({ type: 'complete', engines: this.replay.assetIds.length, ts: now });
    }
    return { telemetry: withFaults(played.telemetry, faults, simSeconds), events };
  }

  rewind(): void {
    this.replay.rewind();
    this.announcedComplete = false;
  }
}
