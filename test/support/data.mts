import { existsSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The NASA C-MAPSS data: $CMAPSS_DIR, else `shared/data/cmapss` beside the project (where CI puts its copy of
 * shared/), else the workplace's /work/shared.
 */
export function cmapssDir(): string {
  const candidates = [process.env.CMAPSS_DIR, join(import.meta.dirname, '..', '..', '..', 'shared', 'data', 'cmapss'), '/work/shared/data/cmapss'];
  for (const dir of candidates) if (dir && existsSync(join(dir, 'train_FD001.txt'))) return dir;
  throw new Error(`C-MAPSS data not found (tried ${candidates.filter(Boolean).join(', ')}); set CMAPSS_DIR`);
}
