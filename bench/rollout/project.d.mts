// Types of project.mjs, for the tests that import it.
export const IMAGE: string;
export const TAGS: readonly [string, string];
export const COMMAND: readonly string[];
export const MEMORY_MB: number;
export const STOP_TIMEOUT: string;
export interface RolloutShape {
  jobId: string;
  count: number;
  maxParallel: number;
}
export function rolloutJob(shape: RolloutShape): string;
export function rolloutConfig(dir: string): string;
export function writeRolloutProject(
  dir: string,
  shape: RolloutShape,
): { jobs: string; config: string; state: string };
export function swarmCreateArgs(o: {
  service: string;
  count: number;
  maxParallel: number;
  tag?: string;
}): string[];
export function swarmUpdateArgs(o: { service: string; maxParallel: number; tag: string }): string[];
export function otherTag(tag: string): string;
