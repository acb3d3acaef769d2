// Runs any command (drover's CLI, docker-compose) as a separate whole process and measures it from
// the outside: wall time from spawn to exit, and peak resident memory through GNU time (`%M`,
// from the rusage the kernel keeps for the child), so tools that cannot report on themselves
// are measured the same way as drover. CPU time (user + system) comes along: on a busy machine
// it moves much less than wall time does.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const GNU_TIME = '/usr/bin/time';

/** Whether peak memory can be measured (Debian: the `time` package). */
export const canMeasureMemory = existsSync(GNU_TIME);

/**
 * Runs `command ...args` and resolves to `{ wallMs, maxRssKB, cpuMs, code, stdout, stderr }`;
 * rejects when the exit code is not in `okCodes`, and after `timeoutMs` (killing the command and
 * all it started). `maxRssKB` and `cpuMs` are NaN without GNU time.
 */
export function measureCommand(
  command,
  args = [],
  { cwd, env, okCodes = [0], timeoutMs = 600_000 } = {},
) {
  const scratch = mkdtempSync(join(tmpdir(), 'drover-bench-time-'));
  const report = join(scratch, 'rusage');
  const [file, argv] = canMeasureMemory
    ? [GNU_TIME, ['-f', '%M %U %S', '-o', report, command, ...args]]
    : [command, args];
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    // Its own process group, so a timeout ends the command and not only GNU time.
    const child = spawn(file, argv, {
      cwd,
      env: env ?? process.env,
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {
        // Already gone.
      }
    }, timeoutMs);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', (e) => {
      clearTimeout(timer);
      rmSync(scratch, { recursive: true, force: true });
      reject(e);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      const wallMs = Number(process.hrtime.bigint() - started) / 1e6;
      const { maxRssKB, cpuMs } = readUsage(report);
      rmSync(scratch, { recursive: true, force: true });
      const shown = [command, ...args].join(' ');
      if (timedOut) {
        reject(new Error(`\`${shown}\` did not finish in ${timeoutMs / 1000} s and was killed`));
        return;
      }
      if (!okCodes.includes(code)) {
        reject(new Error(`\`${shown}\` exited with ${code}\n${(stderr || stdout).trim()}`));
        return;
      }
      resolve({ wallMs, maxRssKB, cpuMs, code, stdout, stderr });
    });
  });
}

// GNU time writes "Command exited with non-zero status N" before the format line when the
// command fails, so the numbers are on the last line: KB, user seconds, system seconds.
function readUsage(file) {
  try {
    const lines = readFileSync(file, 'utf8').trim().split('\n');
    const [kb, user, system] = (lines[lines.length - 1] ?? '').split(' ').map(Number);
    return { maxRssKB: kb ?? NaN, cpuMs: ((user ?? NaN) + (system ?? NaN)) * 1000 };
  } catch {
    return { maxRssKB: NaN, cpuMs: NaN };
  }
}
