// The raw_exec tasks an apply-many run started, found through the files their supervisors keep
// in the node's alloc_root (providers/drivers/supervisor.ts): `<alloc>/<task>/supervisor.pid`
// and `task.pid` (the leader of the task's process group). Ended by those ids only.
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

/** `{ supervisors, tasks }`: the pids that are alive now, from every task dir under `allocRoot`. */
export function taskProcesses(allocRoot) {
  const supervisors = [];
  const tasks = [];
  if (!existsSync(allocRoot)) return { supervisors, tasks };
  for (const alloc of readdirSync(allocRoot, { withFileTypes: true })) {
    if (!alloc.isDirectory()) continue;
    const allocDir = join(allocRoot, alloc.name);
    for (const task of readdirSync(allocDir, { withFileTypes: true })) {
      if (!task.isDirectory()) continue;
      const supervisor = readPid(join(allocDir, task.name, 'supervisor.pid'));
      if (supervisor && isSupervisor(supervisor)) supervisors.push(supervisor);
      const leader = readPid(join(allocDir, task.name, 'task.pid'));
      if (leader && alive(leader)) tasks.push(leader);
    }
  }
  return { supervisors, tasks };
}

/**
 * Ends every task under `allocRoot`: each supervisor gets SIGTERM (it stops its task as drover's
 * stop would), and what is still there after `graceMs` is killed, task groups included. Resolves
 * to how many supervisors there were.
 */
export async function stopTaskProcesses(allocRoot, graceMs = 10_000) {
  const { supervisors, tasks } = taskProcesses(allocRoot);
  for (const pid of supervisors) signal(pid, 'SIGTERM');
  const deadline = Date.now() + graceMs;
  while (Date.now() < deadline && [...supervisors, ...tasks].some(alive))
    await new Promise((r) => setTimeout(r, 50));
  for (const pid of supervisors) if (alive(pid)) signal(pid, 'SIGKILL');
  // A task leader is its process group's id; the group goes as a whole.
  for (const pid of tasks) if (alive(pid)) signal(-pid, 'SIGKILL');
  return supervisors.length;
}

function readPid(file) {
  try {
    const pid = Number(readFileSync(file, 'utf8').trim());
    return Number.isInteger(pid) && pid > 1 ? pid : undefined;
  } catch {
    return undefined;
  }
}

/** Alive and not a zombie. */
export function alive(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

// A pid file may outlive its process and the pid be reused: only a supervisor is signalled.
function isSupervisor(pid) {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('supervisor.sh');
  } catch {
    return false;
  }
}

function signal(pid, name) {
  try {
    process.kill(pid, name);
  } catch {
    // Already gone.
  }
}
