// Types of processes.mjs, for the tests that import it.
export function taskProcesses(allocRoot: string): { supervisors: number[]; tasks: number[] };
export function stopTaskProcesses(allocRoot: string, graceMs?: number): Promise<number>;
export function alive(pid: number): boolean;
