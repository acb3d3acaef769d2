/**
 * An exit code together with the output that explains it. Tests compare this instead of a bare
 * code, so a failure shows what the command printed ("sh: env: not found"), not just 127.
 */
export interface ExitWithOutput {
  code: number;
  stdout: string;
  stderr: string;
}

export function withOutput(code: number, stdout: string, stderr: string): ExitWithOutput {
  return { code, stdout, stderr };
}
