// Waits for the machine to go quiet before a benchmark: the previous one's containers, sshds and
// Docker clean-up can keep both cores busy for a while after it returns, and a benchmark that
// starts then measures that instead (the plan benchmark read 2.0 s right after the scheduler's,
// 1.4 s on its own). Quiet means the CPUs idle ≥ 90 % over a 2 s sample (Linux /proc/stat);
// elsewhere, or after `maxWaitMs`, it goes on anyway and says so.
import { readFile } from 'node:fs/promises';

const SAMPLE_MS = 2_000;
const QUIET_IDLE = 0.9;

/** Resolves to `{ waitedMs, idle }` (idle: the last sample's idle share, undefined if unknown). */
export async function settle(maxWaitMs, log = () => {}) {
  const started = Date.now();
  let idle;
  while (Date.now() - started < maxWaitMs) {
    idle = await idleShare(SAMPLE_MS);
    if (idle === undefined || idle >= QUIET_IDLE) break;
  }
  const waitedMs = Date.now() - started;
  if (idle !== undefined && idle < QUIET_IDLE)
    log(
      `the machine is still busy (${Math.round(idle * 100)} % idle) after ${Math.round(waitedMs / 1000)} s; going on`,
    );
  return { waitedMs, idle };
}

async function idleShare(ms) {
  const a = await cpuTimes();
  if (!a) return undefined;
  await new Promise((r) => setTimeout(r, ms));
  const b = await cpuTimes();
  const total = b.total - a.total;
  return total > 0 ? (b.idle - a.idle) / total : undefined;
}

/** The aggregate `cpu` line of /proc/stat: idle (idle + iowait) and total jiffies. */
async function cpuTimes() {
  let text;
  try {
    text = await readFile('/proc/stat', 'utf8');
  } catch {
    return undefined;
  }
  const fields = text.split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
  return { idle: fields[3] + (fields[4] ?? 0), total: fields.reduce((x, y) => x + y, 0) };
}
