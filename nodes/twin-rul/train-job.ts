import type { CompletedRun } from '../../core/rul/twin-history.js';

/** What the node asks the training worker (shared by both sides). */
export interface TrainJob {
  /** Run-to-failure histories in C-MAPSS format (absolute path); optional when `runs` are given. */
  file?: string;
  /** The twin's completed runs to learn from besides the file (a retraining). */
  runs?: CompletedRun[];
  /** Operating settings of the model being retrained (absent: the C-MAPSS columns, as for a new model). */
  settings?: string[];
  /** Sensors the retraining may use (absent: every signal the file and the runs share). */
  sensors?: string[];
  /** Learning target cap and unit of the model being retrained (absent: the C-MAPSS defaults, 125 cycles). */
  cap?: number;
  unit?: string;
  /** Seconds of plant time between readings of the model being retrained, when it states them. */
  readingSeconds?: number;
  folds?: number;
  /** Trees per fold model (fewer: faster, less accurate). */
  trees?: number;
  /** Full-data models averaged for the estimate. */
  seeds?: number;
}

export type TrainResult = { ok: true; model: string; seconds: number; histories: number; runs: number } | { ok: false; reason: string };

/** What the worker posts: progress after each fitted tree ensemble, then one result. */
export type TrainMessage = { type: 'progress'; done: number; total: number } | { type: 'result'; result: TrainResult };
