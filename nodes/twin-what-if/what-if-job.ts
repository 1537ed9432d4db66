/** What the node asks the what-if worker and what it answers (shared by both sides). */
import type { Optimisation, OptimisationOutcome } from '../../core/what-if/optimise.js';
import type { PumpFork, WhatIfSettings } from '../../core/what-if/pump-scenario.js';
import type { Scenario } from '../../core/what-if/scenario.js';
import type { WhatIfOutcome } from '../../core/what-if/what-if.js';

export type WhatIfJob =
  | { id: number; kind: 'scenarios'; fork: PumpFork; scenarios: Scenario[]; settings: WhatIfSettings }
  | { id: number; kind: 'optimise'; fork: PumpFork; optimisation: Optimisation; settings: WhatIfSettings };

export type WhatIfAnswer =
  | { id: number; ok: true; kind: 'scenarios'; value: WhatIfOutcome; seconds: number }
  | { id: number; ok: true; kind: 'optimise'; value: OptimisationOutcome; seconds: number }
  | { id: number; ok: false; reason: string }
  | { id: number; progress: { done: number; total: number } };
