/** What the node asks the training worker and what it answers (shared by both sides). */
export interface TrainJob {
  /** Run-to-failure histories in C-MAPSS format (absolute path). */
  file: string;
  folds?: number;
  /** Trees per fold model (fewer: faster, less accurate). */
  trees?: number;
}

export type TrainResult = { ok: true; model: string; seconds: number; histories: number } | { ok: false; reason: string };
