// Runs a command as a separate whole process and measures it from the outside: wall time from
// spawn to exit, and the peak resident memory the child reports about itself on exit.
import { spawn } from 'node:child_process';

/**
 * Runs `node <script> ...args`. The child must print, as its last stdout line, a JSON object
 * with at least `{ maxRssKB }` (from `process.resourceUsage().maxRSS`); it is returned as
 * `report` together with `wallMs`.
 */
export function measureNodeProcess(script, args = [], { cwd } = {}) {
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const child = spawn(process.execPath, [script, ...args], {
      cwd,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => {
      const wallMs = Number(process.hrtime.bigint() - started) / 1e6;
      if (code !== 0) {
        reject(new Error(`${script} exited with ${code}\n${stderr.trim()}`));
        return;
      }
      const last = stdout.trim().split('\n').pop() ?? '';
      try {
        resolve({ wallMs, report: JSON.parse(last) });
      } catch {
        reject(new Error(`${script} printed no JSON report:\n${stdout}\n${stderr}`));
      }
    });
  });
}

/** The median of a list of numbers. */
export function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

/**
 * What a child reports about itself on exit: peak RSS in KB and the CPU time of all its threads
 * in ms (steadier than wall time on a busy machine), plus its own fields.
 */
export function selfReport(fields) {
  const usage = process.resourceUsage();
  const cpuMs = (usage.userCPUTime + usage.systemCPUTime) / 1000;
  return JSON.stringify({ ...fields, maxRssKB: usage.maxRSS, cpuMs });
}
