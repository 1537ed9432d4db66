/**
 * Remaining-useful-life benchmark on NASA C-MAPSS (the contract of issue 7).
 *
 *   npm run --silent bench:rul -- --data <dir> --subset FD001 [--seed 1] [--save model.json] [--model model.json]
 *   npm run --silent bench:rul -- --data <dir> --subset FD001 --cv [--seeds 2] [--features last,mean,…] [--window 60]
 *       [--recent-window 20] [--trees 500] [--rate 0.05] [--depth 5] [--min-leaf 40] [--feature-sample 0.5] [--row-sample 0.6]
 *
 * Trains every method on train_<subset>.txt only (model selection inside training is by engine-wise folds), then
 * reads test_<subset>.txt and RUL_<subset>.txt for the final figures: one estimate at the last cycle of each test
 * engine, against the true (uncapped) remaining life. `--model` evaluates a saved model instead of training one.
 * Prints a table per method; the last line is one JSON object for the recommended method.
 *
 * `--cv` is the model selection: engine-wise cross-validation of the boosted trees on train_<subset>.txt alone (the
 * test files are not read), with the options above overriding the defaults; it prints one JSON line.
 */
import { createRequire } from 'node:module';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
const core = require('../dist/core/index.js') as typeof import('../dist/core/index.js');
type RulModel = import('../dist/core/index.js').RulModel;
type RulMethod = import('../dist/core/index.js').RulMethod;

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');

function argument(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

function fail(message: string): never {
  console.error(`bench:rul: ${message}`);
  process.exit(1);
}

function readParsed<T>(path: string, parse: (text: string) => { ok: true; value: T } | { ok: false; reason: string }): T {
  if (!existsSync(path)) fail(`${path} does not exist`);
  const parsed = parse(readFileSync(path, 'utf8'));
  if (!parsed.ok) fail(`${path}: ${parsed.reason}`);
  return parsed.value;
}

const subset = argument('subset') ?? 'FD001';
const dataDir = resolve(argument('data') ?? join(root, '..', 'shared', 'data', 'cmapss'));
const HORIZON = 20;

/** Training options from the command line (for --cv comparisons and --seed), over the package defaults. */
function trainingOverrides(): Partial<import('../dist/core/index.js').TrainOptions> {
  const gbt: Record<string, number> = { ...core.DEFAULT_TRAINING.gbt };
  const numeric: Array<[string, string]> = [['seed', 'seed'], ['trees', 'trees'], ['rate', 'learningRate'], ['depth', 'depth'], ['min-leaf', 'minLeaf'], ['feature-sample', 'featureSample'], ['row-sample', 'rowSample']];
  for (const [flag, key] of numeric) {
    const value = argument(flag);
    if (value === undefined) continue;
    if (!Number.isFinite(Number(value))) fail(`--${flag} must be a number`);
    gbt[key] = Number(value);
  }
  const out: Partial<import('../dist/core/index.js').TrainOptions> = { gbt };
  const features = argument('features');
  if (features !== undefined) {
    const kinds = features.split(',');
    for (const k of kinds) if (!(core.FEATURE_KINDS as readonly string[]).includes(k)) fail(`unknown feature "${k}" (known: ${core.FEATURE_KINDS.join(', ')})`);
    out.features = kinds as import('../dist/core/index.js').FeatureKind[];
  }
  for (const [flag, key] of [['window', 'window'], ['recent-window', 'recentWindow'], ['seeds', 'seeds'], ['folds', 'folds']] as const) {
    const value = argument(flag);
    if (value !== undefined) out[key] = Number(value);
  }
  return out;
}

if (process.argv.includes('--cv')) {
  const train = readParsed(join(dataDir, `train_${subset}.txt`), core.parseCmapss);
  const overrides = trainingOverrides();
  // Two seeds a fold unless told: one seed's figure moves by about ±0.05 RMSE, too much to rank close candidates.
  const options = { seeds: 2, ...overrides };
  const start = process.hrtime.bigint();
  const cv = core.crossValidateRul(train.engines.map(core.engineColumns), options);
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  const round = (v: number) => Number(v.toFixed(3));
  console.log(JSON.stringify({
    subset,
    cv: `${cv.folds}-fold by engine, train_${subset} only, ${cv.seeds} seed(s) a fold`,
    options: { features: options.features ?? core.DEFAULT_FEATURES, window: options.window ?? core.DEFAULT_WINDOW, recentWindow: options.recentWindow ?? core.RECENT_WINDOW, gbt: options.gbt },
    cappedRmse: round(cv.cappedRmse),
    lateRmse: round(cv.lateRmse),
    lateScorePerCycle: round(cv.lateScorePerCycle),
    coverage90: round(cv.coverage90),
    seconds: Number(seconds.toFixed(1)),
  }));
  process.exit(0);
}

let model: RulModel;
let trainSeconds = NaN;
const modelPath = argument('model');
if (modelPath) {
  model = readParsed(modelPath, core.parseRulModel);
} else {
  const train = readParsed(join(dataDir, `train_${subset}.txt`), core.parseCmapss);
  const start = process.hrtime.bigint();
  // --seed N: another seed for the trees' row and feature sampling (to see how much the figures move with it).
  model = core.trainRulModel(train.engines.map(core.engineColumns), { description: `C-MAPSS ${subset} train`, ...trainingOverrides() });
  trainSeconds = Number(process.hrtime.bigint() - start) / 1e9;
}
// Evaluated as saved: the figures are those of the JSON file a node would load.
const text = core.serialiseRulModel(model);
const saved = core.parseRulModel(text);
if (!saved.ok) fail(saved.reason);
model = saved.value;
const savePath = argument('save');
if (savePath) writeFileSync(savePath, text);

const test = readParsed(join(dataDir, `test_${subset}.txt`), core.parseCmapss).engines.map(core.engineColumns);
const truth = readParsed(join(dataDir, `RUL_${subset}.txt`), core.parseCmapssRul);
if (truth.length !== test.length) fail(`RUL_${subset}.txt has ${truth.length} values for ${test.length} test engines`);

interface Result {
  subset: string;
  method: RulMethod;
  rmse: number;
  score: number;
  coverage90: number;
  trainSeconds: number;
  predictMsPerAsset: number;
}

function evaluate(method: RulMethod): Result {
  let squares = 0;
  let score = 0;
  let covered = 0;
  // Untimed passes first, then the mean of five: the figure is the steady-state cost of an update (what a node
  // running for hours pays), not the JIT's first compiles; one pass over 100 engines is too short to be steady.
  for (let pass = 0; pass < 3; pass++) for (const history of test) core.predictRul(model, method, history, HORIZON);
  const PASSES = 5;
  const start = process.hrtime.bigint();
  for (let pass = 1; pass < PASSES; pass++) for (const history of test) core.predictRul(model, method, history, HORIZON);
  const estimates = test.map((history) => core.predictRul(model, method, history, HORIZON));
  const ms = Number(process.hrtime.bigint() - start) / 1e6 / (PASSES * test.length);
  estimates.forEach((e, i) => {
    const d = e.rul - truth[i]!;
    squares += d * d;
    score += d < 0 ? Math.exp(-d / 13) - 1 : Math.exp(d / 10) - 1;
    if (truth[i]! >= e.lower && truth[i]! <= e.upper) covered++;
  });
  const round = (v: number, digits: number) => Number(v.toFixed(digits));
  return {
    subset,
    method,
    rmse: round(Math.sqrt(squares / test.length), 3),
    score: round(score, 1),
    coverage90: round(covered / test.length, 3),
    // All methods are trained together in one call; the trees take nearly all of the time.
    trainSeconds: round(trainSeconds, 2),
    predictMsPerAsset: round(ms, 4),
  };
}

const results = core.RUL_METHODS.map(evaluate);
console.log(`C-MAPSS ${subset}: ${model.trainedOn.histories} training engines, ${test.length} test engines, ` +
  `estimate at each test engine's last cycle vs true RUL (not capped); ${(text.length / 1024).toFixed(0)} KiB model`);
console.log('| method | RMSE | PHM08 score | coverage90 | train s | ms/asset |');
console.log('|---|---|---|---|---|---|');
for (const r of results) {
  console.log(`| ${core.METHOD_LABELS[r.method]} | ${r.rmse.toFixed(2)} | ${r.score.toFixed(0)} | ${r.coverage90.toFixed(2)} | ${r.trainSeconds.toFixed(1)} | ${r.predictMsPerAsset.toFixed(3)} |`);
}
console.log(JSON.stringify(results.find((r) => r.method === core.DEFAULT_RUL_METHOD)));
