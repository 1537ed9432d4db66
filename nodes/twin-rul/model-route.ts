import { randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile, rename, stat, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Request, Response } from 'express';
import { MAX_MODEL_BYTES, MODELS_FOLDER, modelFileName } from '../../core/rul/model-file.js';
import { METHOD_LABELS, parseRulModel, RUL_METHODS, rulModelFault, type RulModel } from '../../core/rul/model.js';
import { errorMessage, type NodeAPI } from '../shared/node-red.js';

/** Listing the uploaded models; Node-RED grants `*.read` to read-only editor users too. */
export const READ_PERMISSION = 'twin-rul.read';
/** Uploading writes a file on the Node-RED host: only users who may change flows. */
export const WRITE_PERMISSION = 'twin-rul.write';

/** What the dialog shows about a model file. */
export interface ModelSummary {
  name: string;
  /** Relative to the user directory: what the node's "Model file" field takes (flows stay portable). */
  path: string;
  bytes: number;
  modified: number;
  unit: string;
  methods: string[];
  settings: string[];
  sensors: string[];
  histories: number;
  description?: string;
  /** Completed runs of a twin the model was trained on or has learned. */
  learnedRuns: number;
}

function summary(fileName: string, bytes: number, modified: number, model: RulModel): ModelSummary {
  return {
    name: fileName.replace(/\.json$/, ''),
    path: `${MODELS_FOLDER}/${fileName}`,
    bytes,
    modified,
    unit: model.unit,
    methods: RUL_METHODS.map((m) => METHOD_LABELS[m]),
    settings: model.pipeline.settings,
    sensors: model.pipeline.sensors,
    histories: model.trainedOn.histories,
    ...(model.trainedOn.description ? { description: model.trainedOn.description } : {}),
    learnedRuns: (model.trainedOn.runs?.length ?? 0) + (model.learnedRuns?.length ?? 0),
  };
}

/** A model file's text checked as the node will use it: format, version, parts, features, every method estimates. */
export function checkModelText(text: string): { ok: true; model: RulModel } | { ok: false; reason: string } {
  const parsed = parseRulModel(text);
  if (!parsed.ok) return parsed;
  const fault = rulModelFault(parsed.value);
  return fault === undefined ? { ok: true, model: parsed.value } : { ok: false, reason: fault };
}

/** Writes through a temporary file and a rename, so a reader never sees half a model. */
export async function writeModelFile(path: string, text: string): Promise<void> {
  const temporary = `${path}.${randomBytes(6).toString('hex')}.tmp`;
  await writeFile(temporary, text);
  try {
    await rename(temporary, path);
  } catch (err) {
    await unlink(temporary).catch(() => undefined);
    throw err;
  }
}

/**
 * The body as text, at most `MAX_MODEL_BYTES`. The editor sends the file as `application/octet-stream`, which
 * Node-RED's own JSON body parser leaves alone (it would stop at its 5 MB `apiMaxLength` with an HTML error page).
 */
function readBody(req: Request): Promise<{ text: string } | { tooLarge: number }> {
  // Sent as application/json (or form data): Node-RED's body parser has read the stream already (and marks it so).
  if ((req as Request & { _body?: boolean })._body === true) return Promise.resolve({ text: JSON.stringify(req.body) });
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let bytes = 0;
    req.on('data', (chunk: Buffer) => {
      bytes += chunk.length;
      // Past the limit the rest is read and dropped, so the client gets the answer instead of a broken connection.
      if (bytes <= MAX_MODEL_BYTES) chunks.push(chunk);
    });
    req.on('end', () => resolve(bytes > MAX_MODEL_BYTES ? { tooLarge: bytes } : { text: Buffer.concat(chunks).toString('utf8') }));
    req.on('error', reject);
  });
}

const megabytes = (bytes: number): string => `${(bytes / 1024 / 1024).toFixed(1)} MB`;

/**
 * `GET <httpAdminRoot>/twin-rul/models` → `{ folder, models: ModelSummary[], invalid: [{ name, error }] }`;
 * `POST <httpAdminRoot>/twin-rul/models?name=<name>[&replace=true]` with the model JSON as the body → `ModelSummary`
 * (201), or `{ error }` with 400 (not a usable model, bad name), 409 (the name exists and `replace` is not set) or
 * 413 (too large). Saved as `<userDir>/twinflow-models/<name>.json`.
 */
export function registerModelRoutes(RED: NodeAPI, userDir: () => string): void {
  const folder = (): string => join(userDir(), MODELS_FOLDER);

  RED.httpAdmin.get('/twin-rul/models', RED.auth.needsPermission(READ_PERMISSION), (_req: Request, res: Response) => {
    void (async () => {
      const models: ModelSummary[] = [];
      const invalid: Array<{ name: string; error: string }> = [];
      let names: string[] = [];
      try {
        names = (await readdir(folder())).filter((n) => n.endsWith('.json')).sort();
      } catch {
        // No folder yet: nothing uploaded.
      }
      for (const name of names) {
        try {
          const path = join(folder(), name);
          const info = await stat(path);
          if (info.size > MAX_MODEL_BYTES) throw new Error(`larger than ${megabytes(MAX_MODEL_BYTES)}`);
          const parsed = parseRulModel(await readFile(path, 'utf8'));
          if (!parsed.ok) throw new Error(parsed.reason);
          models.push(summary(name, info.size, info.mtimeMs, parsed.value));
        } catch (err) {
          invalid.push({ name, error: errorMessage(err) });
        }
      }
      res.json({ folder: folder(), models, invalid });
    })().catch((err: unknown) => res.status(500).json({ error: errorMessage(err) }));
  });

  RED.httpAdmin.post('/twin-rul/models', RED.auth.needsPermission(WRITE_PERMISSION), (req: Request, res: Response) => {
    void (async () => {
      const fileName = modelFileName(req.query.name);
      const body = await readBody(req);
      if (!fileName.ok) {
        res.status(400).json({ error: fileName.reason });
        return;
      }
      if ('tooLarge' in body) {
        res.status(413).json({ error: `the file is ${megabytes(body.tooLarge)}; a model file may be at most ${megabytes(MAX_MODEL_BYTES)}` });
        return;
      }
      const checked = checkModelText(body.text);
      if (!checked.ok) {
        res.status(400).json({ error: checked.reason });
        return;
      }
      const path = join(folder(), fileName.value);
      const replace = req.query.replace === 'true' || req.query.replace === '1';
      if (!replace && (await stat(path).then(() => true, () => false))) {
        res.status(409).json({ error: `a model named "${fileName.value.replace(/\.json$/, '')}" already exists: replace it, or choose another name` });
        return;
      }
      await mkdir(folder(), { recursive: true });
      await writeModelFile(path, body.text);
      const info = await stat(path);
      RED.log.info(`twin-rul: model uploaded to ${path}`);
      res.status(201).json(summary(fileName.value, info.size, info.mtimeMs, checked.model));
    })().catch((err: unknown) => res.status(500).json({ error: `cannot save the model: ${errorMessage(err)}` }));
  });
}
