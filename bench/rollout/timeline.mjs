// Where a drover rollout's wall time goes, read from the outside: the command runs as a whole
// process (peak memory and CPU time through GNU time, as bench/plan/measure-command.mjs does), each line it
// prints is stamped with the time it arrived, and the per-allocation progress lines of the
// apply ("  job.web[3] (1a2b3c4d) on local: stopping") are cut into the phases of each batch.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { canMeasureMemory } from '../plan/measure-command.mjs';

const GNU_TIME = '/usr/bin/time';

/**
 * Runs `command ...args`; resolves to `{ wallMs, maxRssKB, cpuMs, code, stdout, stderr, lines }`
 * where `lines` are `{ ms, text }` of stdout, `ms` from the spawn (cpuMs: user + system). Rejects on an exit code not in
 * `okCodes`.
 */
export function measureLines(command, args = [], { cwd, okCodes = [0] } = {}) {
  const scratch = mkdtempSync(join(tmpdir(), 'drover-bench-rollout-time-'));
  const report = join(scratch, 'rusage');
  const [file, argv] = canMeasureMemory
    ? [GNU_TIME, ['-f', '%M %U %S', '-o', report, command, ...args]]
    : [command, args];
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const since = () => Number(process.hrtime.bigint() - started) / 1e6;
    const child = spawn(file, argv, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    const lines = [];
    let partial = '';
    let stderr = '';
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk) => {
      const ms = since();
      const parts = (partial + chunk).split('\n');
      partial = parts.pop() ?? '';
      for (const text of parts) lines.push({ ms, text });
    });
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', (e) => {
      rmSync(scratch, { recursive: true, force: true });
      reject(e);
    });
    child.on('close', (code) => {
      const wallMs = since();
      if (partial) lines.push({ ms: wallMs, text: partial });
      const { maxRssKB, cpuMs } = readUsage(report);
      rmSync(scratch, { recursive: true, force: true });
      const stdout = lines.map((l) => l.text).join('\n');
      if (!okCodes.includes(code)) {
        const shown = [command, ...args].join(' ');
        reject(new Error(`\`${shown}\` exited with ${code}\n${(stderr || stdout).trim()}`));
        return;
      }
      resolve({ wallMs, maxRssKB, cpuMs, code, stdout, stderr, lines });
    });
  });
}

// The last line: GNU time writes "Command exited with non-zero status N" first on failure.
function readUsage(file) {
  try {
    const lines = readFileSync(file, 'utf8').trim().split('\n');
    const [kb, user, system] = lines[lines.length - 1].split(' ').map(Number);
    return { maxRssKB: kb, cpuMs: (user + system) * 1000 };
  } catch {
    return { maxRssKB: NaN, cpuMs: NaN };
  }
}

const ANSI = /\x1b\[[0-9;]*m/g;
const PROGRESS = /^\s+\S+ \(([0-9a-f]{8})\) on \S+: ([a-z-]+)/;

/** The allocation events of an apply's output: `{ ms, alloc, status }`. */
export function progressEvents(lines) {
  const out = [];
  for (const { ms, text } of lines) {
    const m = PROGRESS.exec(text.replace(ANSI, ''));
    if (m) out.push({ ms, alloc: m[1], status: m[2] });
  }
  return out;
}

/**
 * A rolling update's time by phase, summed over its batches (a batch begins with the first
 * `stopping` after a `healthy`):
 *   startup  spawn → the first allocation event (start-up, loading, planning, state lock)
 *   stop     a batch's first `stopping` → its first `starting` (old allocations stopped)
 *   start    first `starting` → last `running` (new containers created and started)
 *   gate     last `running` → last `healthy` (health gates)
 *   between  last `healthy` → the next batch's first `stopping`
 *   finish   the last `healthy` → exit (the deployment recorded, state written, exit)
 * Returns undefined when the output holds no rollout.
 */
export function rolloutPhases(lines, exitMs) {
  const events = progressEvents(lines);
  if (events.length === 0) return undefined;
  const batches = [];
  let cur;
  for (const e of events) {
    if (e.status === 'stopping' && (!cur || cur.healthy !== undefined)) {
      cur = { stopping: e.ms };
      batches.push(cur);
    }
    if (!cur) continue;
    if (e.status === 'starting') cur.starting ??= e.ms;
    if (e.status === 'running') cur.running = e.ms;
    if (e.status === 'healthy') cur.healthy = e.ms;
  }
  const phases = { batches: batches.length, startup: events[0].ms };
  for (const k of ['stop', 'start', 'gate', 'between']) phases[k] = 0;
  batches.forEach((b, i) => {
    const starting = b.starting ?? b.stopping;
    const running = b.running ?? starting;
    const healthy = b.healthy ?? running;
    phases.stop += starting - b.stopping;
    phases.start += running - starting;
    phases.gate += healthy - running;
    const next = batches[i + 1];
    if (next) phases.between += next.stopping - healthy;
  });
  const last = batches[batches.length - 1];
  phases.finish = exitMs - (last?.healthy ?? events[events.length - 1].ms);
  return phases;
}
