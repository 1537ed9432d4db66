/**
 * Names of uploaded and retrained model files. They live in one folder of the Node-RED user directory; a name is a
 * plain file name, so no request can reach a path outside it (no `..`, no separators, no hidden files).
 */
import type { Parsed } from '../telemetry.js';

/** The folder, in the Node-RED user directory, that holds uploaded and retrained RUL models. */
export const MODELS_FOLDER = 'twinflow-models';
/** Largest model file accepted (the packaged FD001 model, 3 × 500 trees, is about 1 MB). */
export const MAX_MODEL_BYTES = 16 * 1024 * 1024;

const NAME = /^[A-Za-z0-9][A-Za-z0-9 ._-]{0,79}$/;

/**
 * The file name (`<name>.json`) for a model name given by a user or taken from an uploaded file's name.
 * A trailing `.json` is dropped; the rest must be letters, digits, space, `.`, `_` or `-`, start with a letter or
 * digit, hold no `..`, and be at most 80 characters.
 */
export function modelFileName(raw: unknown): Parsed<string> {
  if (typeof raw !== 'string' || raw.trim() === '') return { ok: false, reason: 'the model needs a name' };
  const name = raw.trim().replace(/\.json$/i, '');
  if (!NAME.test(name) || name.includes('..')) {
    return { ok: false, reason: `"${raw.slice(0, 100)}" is not a usable model name: letters, digits, space, ".", "_" and "-" only, at most 80, starting with a letter or digit` };
  }
  return { ok: true, value: `${name}.json` };
}

/** A model name made from free text (an asset class): unusable characters become "-". */
export function modelNameFrom(text: string): string {
  const name = text.replace(/[^A-Za-z0-9._-]+/g, '-').replace(/\.{2,}/g, '.').replace(/^[^A-Za-z0-9]+/, '').slice(0, 60);
  return name === '' ? 'rul-model' : name;
}
