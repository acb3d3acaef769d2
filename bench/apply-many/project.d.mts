// Types of project.mjs, for the tests that import it.
export const DRIVER_CONFIG: Record<string, string[]>;
export function applyManyJob(index: number, driver: string): string;
export function applyManyConfig(dir: string): string;
export function writeApplyManyProject(
  dir: string,
  count: number,
  driver: string,
): { jobs: string; alloc: string; config: string; state: string };
