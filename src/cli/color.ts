/**
 * Whether a stream gets ANSI colours. Decided per stream, so `drover plan > plan.txt` run in a
 * terminal writes a clean file while its errors on the terminal stay coloured.
 *
 * In order: `-no-color` wins; then NO_COLOR with any non-empty value (no-color.org); then
 * FORCE_COLOR (`0`/`false` off, anything else on), for CI logs that render colour; then
 * TERM=dumb; otherwise colour exactly when the stream is a terminal.
 */
export type Environment = Readonly<Record<string, string | undefined>>;

export interface ColorInputs {
  /** The stream is a terminal. */
  isTTY: boolean;
  env: Environment;
  /** `-no-color` was given. */
  noColorFlag: boolean;
}

export function useColor({ isTTY, env, noColorFlag }: ColorInputs): boolean {
  if (noColorFlag) return false;
  if (env.NO_COLOR) return false;
  const force = env.FORCE_COLOR;
  if (force !== undefined) return force !== '0' && force.toLowerCase() !== 'false';
  if (env.TERM === 'dumb') return false;
  return isTTY;
}
