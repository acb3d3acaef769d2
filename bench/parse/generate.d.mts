// Types of generate.mjs, for the tests that import it.
export type Shape = 'real' | 'large';
export const SHAPES: Readonly<Record<Shape, unknown>>;
export function generateJobspecs(
  count: number,
  seed?: number,
  shape?: Shape,
): Array<[filename: string, source: string]>;
