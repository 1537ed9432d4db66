/** What the node asks the what-if worker and what it answers (shared by both sides). */
import type { PumpFork, WhatIfSettings } from '../../core/what-if/pump-scenario.js';
import type { Scenario } from '../../core/what-if/scenario.js';
import type { WhatIfOutcome } from '../../core/what-if/what-if.js';

export interface WhatIfJob {
  id: number;
  fork: PumpFork;
  scenarios: Scenario[];
  settings: WhatIfSettings;
}

export type WhatIfAnswer = { id: number; ok: true; value: WhatIfOutcome; seconds: number } | { id: number; ok: false; reason: string };
