/**
 * How a command that touches state or hosts runs: open the session (configuration, state store,
 * drivers), do the work, pin the host keys it met for the first time, report an error the way
 * every command does, and close every connection.
 */
import { Diagnostics } from '../diag/diagnostic.js';
import { isStateError } from '../state/errors.js';
import { jsonDiagnostics, printDiagnostics, printJson, type Output } from './output.js';
import { OperationError, pinHostKeys } from '../ops/index.js';
import { openSession, type Session } from './session.js';

/** An error that is the user's business: printed without a stack. */
export class UserError extends OperationError {}

export function reportError(o: Output, err: unknown): void {
  const userFacing = err instanceof OperationError || isStateError(err);
  const message = err instanceof Error ? err.message : String(err);
  if (o.json) printJson(o, { error: message });
  else o.err(`${o.errStyle.error('error')}: ${message}`);
  if (!userFacing && err instanceof Error && process.env.DROVER_DEBUG) o.err(err.stack ?? '');
  process.exitCode = 1;
}

/**
 * Runs `fn` in a session; a configuration that does not load, or an error `fn` throws, sets
 * exit code 1 with the message. Keys that `fn`'s connections met for the first time and that
 * are not pinned yet (`observe` pins those it meets) are pinned once `fn` is done.
 */
export async function withSession(
  o: Output,
  opts: { config?: string },
  fn: (session: Session) => Promise<void>,
): Promise<void> {
  const diags = new Diagnostics();
  const session = await openSession(opts.config, diags);
  if (!session || diags.hasErrors) {
    if (o.json) printJson(o, jsonDiagnostics(diags.items));
    else printDiagnostics(o, diags.items, new Map());
    process.exitCode = 1;
    return;
  }
  try {
    await fn(session);
    await pinHostKeys(session);
  } catch (err) {
    reportError(o, err);
  } finally {
    await session.close();
  }
}
