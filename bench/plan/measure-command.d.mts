// Types of measure-command.mjs, for the tests that import it.
export const canMeasureMemory: boolean;
export interface Measured {
  wallMs: number;
  maxRssKB: number;
  cpuMs: number;
  code: number;
  stdout: string;
  stderr: string;
}
export function measureCommand(
  command: string,
  args?: readonly string[],
  opts?: { cwd?: string; env?: NodeJS.ProcessEnv; okCodes?: readonly number[]; timeoutMs?: number },
): Promise<Measured>;
