/**
 * How a change to a task is carried out: nothing to do, in place, or by replacing the allocation.
 * Drivers decide it (`Driver.classifyChange`) and the plan's diff is annotated with it; it lives
 * here, below both, so that `plan/` needs nothing of `providers/`.
 */
export type ChangeClass = 'none' | 'in-place' | 'destructive';
