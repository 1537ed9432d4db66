/**
 * The pump RUL model's training recipe, in one place: simulated run-to-failure histories of the centrifugal pump
 * (`PumpSimulator`) whose bearings wear the way the demo's pumps do, the model trained on them, and its evaluation
 * on lives it never saw. `scripts/train-pump-rul.ts` writes the result to `models/pump-bearing-gbt.json` (what the
 * demo and `bench/pipeline.mts` use); a test trains it again and checks it is the same file.
 *
 * How the demo's pumps wear (flows/demo.json, scripts/start.ts): one reading a real second, each advancing the
 * simulation by 60 s (time scale 60), so one reading is one minute of plant time; bearing friction grows by 5 % of its
 * new value per simulated hour, linearly; noise 0.5 % of each reading; 1,480 rpm. At that rate the bearing passes
 * 90 °C (the demo's interlock and the failure here) after 1,576–1,585 readings (seeds 1–4): about 26 real minutes, or
 * 26 hours of plant time. The training lives wear at 3–8 %/h (log-uniform: the demo's 5 %/h near the middle, and
 * room for a friction fault), so they last about 1,000–2,600 readings.
 */
import { DEFAULT_PUMP } from '../centrifugal-pump.js';
import { PumpSimulator } from '../pump-simulator.js';
import { SeededRandom } from '../random.js';
import { predictRul, trainRulModel, type RulMethod, type RulModel, type TrainOptions } from './model.js';

export interface PumpRulRecipe {
  /** Run-to-failure histories to train on. */
  histories: number;
  /** Seed of the wear rates; history h runs the simulator with seed `firstPumpSeed + h`. */
  seed: number;
  firstPumpSeed: number;
  /** Bearing friction growth per simulated hour, as a fraction of new: drawn log-uniform in [min, max]. */
  wearPerHour: { min: number; max: number };
  /** Measurement noise as a fraction of each reading. */
  noise: number;
  /** Simulated seconds between two readings (one reading = one row of the history). */
  readingSeconds: number;
  speedRpm: number;
  /** The life ends at the first reading with the bearing above this temperature. */
  failureTempC: number;
  /** A history that has not failed by then is cut (none does at these wear rates). */
  maxReadings: number;
  /** Operating setting (the speed: the only one the pump has) and sensors the model reads from the twin. */
  settings: string[];
  sensors: string[];
  /** What the rest of `trainRulModel`'s options are (cap, unit, folds, seeds …). */
  training: Partial<TrainOptions>;
}

/**
 * The recipe of `models/pump-bearing-gbt.json`. One sensor, the bearing temperature: the life ends at a temperature,
 * every demo pump reports it (pump-4 over OPC UA has no vibration), and it makes the health indicator linear in time
 * like the friction, so the linear degradation method is the right model (held-out RMSE in the README). In a trial
 * (trees 200, 1 seed, wear 3–10 %/h) adding vibration (∝ friction^1.5) took the trees' held-out RMSE from 98 to 74
 * minutes but bent the indicator, and the linear method went from 110 to 250; flow and pressure do not depend on the
 * bearing.
 * The speed is the operating setting, held at the demo's 1,480 rpm in training (its noise would otherwise be taken
 * for several operating regimes): the model knows one speed.
 */
export const PUMP_RUL_RECIPE: Readonly<PumpRulRecipe> = Object.freeze({
  histories: 40,
  seed: 7,
  firstPumpSeed: 100,
  wearPerHour: { min: 0.03, max: 0.08 },
  noise: 0.005,
  readingSeconds: 60,
  speedRpm: DEFAULT_PUMP.ratedSpeedRpm,
  failureTempC: 90,
  maxReadings: 20_000,
  settings: ['speed'],
  sensors: ['bearingTemp'],
  training: {
    // Above the longest life (about 2,600 readings): the target is the true remaining life. The bearing wears from new,
    // so there is no healthy stretch to cap away as in C-MAPSS.
    cap: 3000,
    unit: 'minutes',
    folds: 5,
    seeds: 3,
    description: 'simulated centrifugal pumps, bearing run-to-failure (core/rul/pump-training.ts): one reading a minute, wear 3-8 %/h, failure at 90 °C',
  },
});

/** One simulated pump life from new until the bearing passes the failure temperature, as history columns. */
export function pumpRunToFailure(recipe: Readonly<PumpRulRecipe>, pumpSeed: number, wearPerHour: number): Record<string, number[]> {
  const pump = new PumpSimulator({ assetId: `pump-${pumpSeed}`, seed: pumpSeed, noise: recipe.noise, frictionGrowthPerHour: wearPerHour, speedSetpointRpm: recipe.speedRpm });
  const names = [...recipe.settings, ...recipe.sensors];
  const columns: Record<string, number[]> = Object.fromEntries(names.map((name) => [name, []]));
  for (let k = 0; k < recipe.maxReadings; k++) {
    const reading = pump.step(k * recipe.readingSeconds * 1000, recipe.readingSeconds).signals;
    for (const name of names) {
      // The one setting, the speed, is the set speed: its measured noise would look like several operating regimes.
      const value = recipe.settings.includes(name) ? recipe.speedRpm : reading[name];
      if (value === undefined) throw new Error(`the simulated pump has no signal "${name}"`);
      columns[name]!.push(value);
    }
    if (reading.bearingTemp! > recipe.failureTempC) break;
  }
  return columns;
}

/** Log-uniform draw of a wear rate in the recipe's range. */
function wearRate(recipe: Readonly<PumpRulRecipe>, random: SeededRandom): number {
  const { min, max } = recipe.wearPerHour;
  return Math.exp(Math.log(min) + (Math.log(max) - Math.log(min)) * random.next());
}

/** The recipe's training histories (deterministic). */
export function pumpTrainingHistories(recipe: Readonly<PumpRulRecipe> = PUMP_RUL_RECIPE): Record<string, number[]>[] {
  const random = new SeededRandom(recipe.seed);
  return Array.from({ length: recipe.histories }, (_, h) => pumpRunToFailure(recipe, recipe.firstPumpSeed + h, wearRate(recipe, random)));
}

/** Trains the pump RUL model by the recipe. */
export function trainPumpRulModel(recipe: Readonly<PumpRulRecipe> = PUMP_RUL_RECIPE, onProgress?: (done: number, total: number) => void): RulModel {
  return trainRulModel(pumpTrainingHistories(recipe), {
    ...recipe.training,
    settings: recipe.settings,
    sensors: recipe.sensors,
    readingSeconds: recipe.readingSeconds,
    ...(onProgress ? { onProgress } : {}),
  });
}

/** Lives the model never saw: the demo's four pumps, and fresh draws from the recipe's wear range. */
export interface PumpHeldOut {
  name: string;
  wearPerHour: number;
  columns: Record<string, number[]>;
}

/**
 * The held-out lives: `demo-1` … `demo-4` are the demo's pumps (5 %/h, simulator seeds 1–4, as flows/demo.json and
 * scripts/start.ts run them) and `fresh-<i>` are `fresh` lives with seeds 1000 + i and wear rates from their own
 * generator. None shares a simulator seed with the training histories (seeds 100 … 100 + histories − 1).
 */
export function pumpHeldOutLives(recipe: Readonly<PumpRulRecipe> = PUMP_RUL_RECIPE, fresh = 20): PumpHeldOut[] {
  const demo = [1, 2, 3, 4].map((seed) => ({ name: `demo-${seed}`, wearPerHour: 0.05, columns: pumpRunToFailure(recipe, seed, 0.05) }));
  const random = new SeededRandom(recipe.seed + 1000);
  const drawn = Array.from({ length: fresh }, (_, i) => {
    const wear = wearRate(recipe, random);
    return { name: `fresh-${i}`, wearPerHour: wear, columns: pumpRunToFailure(recipe, 1000 + i, wear) };
  });
  return [...demo, ...drawn];
}

/** Accuracy of one method on held-out lives, from estimates along every life. */
export interface PumpRulEvaluation {
  method: RulMethod;
  /** Estimates scored (one every `every` readings of each life, from the `every`-th reading on). */
  estimates: number;
  /** Against the true remaining life (not capped), in the model's unit. */
  rmse: number;
  /** Share of estimates whose interval holds the true remaining life. */
  coverage90: number;
  /** The same for the demo's four pumps only. */
  demo: { rmse: number; coverage90: number };
  /** RMSE by quarter of the life (first quarter: little wear to read yet). */
  rmseByQuarter: [number, number, number, number];
  /** Estimates whose point lay outside its own interval (never expected). */
  outsideInterval: number;
}

/** Squared errors and interval hits of a group of estimates. */
class Tally {
  private squares = 0;
  private count = 0;
  private covered = 0;

  add(error: number, inside: boolean): void {
    this.squares += error * error;
    this.count++;
    if (inside) this.covered++;
  }

  get estimates(): number {
    return this.count;
  }

  rmse(): number {
    return Number(Math.sqrt(this.squares / Math.max(1, this.count)).toFixed(1));
  }

  coverage(): number {
    return Number((this.covered / Math.max(1, this.count)).toFixed(3));
  }
}

/**
 * Scores a method of the model along every held-out life: an estimate from the first n readings for n = every,
 * 2·every, … up to the failure, against the true remaining life (readings left to the failure).
 */
export function evaluatePumpRulModel(model: RulModel, method: RulMethod, lives: readonly PumpHeldOut[], every = 10): PumpRulEvaluation {
  const all = new Tally();
  const demo = new Tally();
  const quarters = [new Tally(), new Tally(), new Tally(), new Tally()] as const;
  let outside = 0;
  for (const life of lives) {
    const names = Object.keys(life.columns);
    const length = life.columns[names[0]!]!.length;
    for (let n = every; n <= length; n += every) {
      const prefix = Object.fromEntries(names.map((name) => [name, life.columns[name]!.slice(0, n)]));
      const p = predictRul(model, method, prefix, 0);
      const truth = length - n;
      const inside = truth >= p.lower && truth <= p.upper;
      all.add(p.rul - truth, inside);
      quarters[Math.min(3, Math.floor((4 * (n - 1)) / length))]!.add(p.rul - truth, inside);
      if (life.name.startsWith('demo-')) demo.add(p.rul - truth, inside);
      if (!(p.lower <= p.rul && p.rul <= p.upper)) outside++;
    }
  }
  return {
    method,
    estimates: all.estimates,
    rmse: all.rmse(),
    coverage90: all.coverage(),
    demo: { rmse: demo.rmse(), coverage90: demo.coverage() },
    rmseByQuarter: [quarters[0].rmse(), quarters[1].rmse(), quarters[2].rmse(), quarters[3].rmse()],
    outsideInterval: outside,
  };
}
