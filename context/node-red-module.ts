import { createRequire } from 'node:module';
import { join } from 'node:path';

/** Node-RED's own modules, found from the running Node-RED (this package does not depend on a copy of it). */
export function nodeRedModule<T>(id: string): T {
  const bases = [require.main?.filename, join(process.cwd(), 'index.js'), __filename].filter((b): b is string => typeof b === 'string');
  for (const base of bases) {
    try {
      return createRequire(base)(id) as T;
    } catch {
      // try the next place
    }
  }
  throw new Error(`cannot find ${id}: this context store runs inside Node-RED`);
}
