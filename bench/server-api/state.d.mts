// Types of state.mjs, for the tests that import it.
import type { StateSnapshot } from '../../src/state/types.js';
export function generateState(dist: string, count: number): Promise<StateSnapshot>;
export function writeProject(dir: string, state: StateSnapshot): string;
