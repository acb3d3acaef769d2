// Runs any command (drover's CLI, docker-compose) as a separate whole process and measures it from
// the outside: wall time from spawn to exit, and peak resident memory through GNU time (`%M`,
// from the rusage the kernel keeps for the child), so tools that cannot report on themselves
// are measured the same way as drover.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const GNU_TIME = '/usr/bin/time';

/** Whether peak memory can be measured (Debian: the `time` package). */
export const canMeasureMemory = existsSync(GNU_TIME);

/**
 * Runs `command ...args` and resolves to `{ wallMs, maxRssKB, code, stdout, stderr }`; rejects
 * when the exit code is not in `okCodes`. `maxRssKB` is NaN without GNU time.
 */
export function measureCommand(command, args = [], { cwd, env, okCodes = [0] } = {}) {
  const scratch = mkdtempSync(join(tmpdir(), 'drover-bench-time-'));
  const report = join(scratch, 'rusage');
  const [file, argv] = canMeasureMemory
    ? [GNU_TIME, ['-f', '%M', '-o', report, command, ...args]]
    : [command, args];
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const child = spawn(file, argv, {
      cwd,
      env: env ?? process.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', (e) => {
      rmSync(scratch, { recursive: true, force: true });
      reject(e);
    });
    child.on('close', (code) => {
      const wallMs = Number(process.hrtime.bigint() - started) / 1e6;
      const maxRssKB = canMeasureMemory ? readRss(report) : NaN;
      rmSync(scratch, { recursive: true, force: true });
      if (!okCodes.includes(code)) {
        const shown = [command, ...args].join(' ');
        reject(new Error(`\`${shown}\` exited with ${code}\n${(stderr || stdout).trim()}`));
        return;
      }
      resolve({ wallMs, maxRssKB, code, stdout, stderr });
    });
  });
}

// GNU time writes "Command exited with non-zero status N" before the format line when the
// command fails, so the number is the last line.
function readRss(file) {
  try {
    const lines = readFileSync(file, 'utf8').trim().split('\n');
    return Number(lines[lines.length - 1]);
  } catch {
    return NaN;
  }
}
