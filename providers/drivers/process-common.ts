/**
 * What every process driver (raw_exec, exec, java) shares: the alloc directory
 * layout, the shell scripts that start, probe, stop and remove supervised tasks (built as data,
 * then run through the transport in one round trip each, so the same code works over ssh), the
 * parsing of what they print, and Nomad's rule for which task changes need a new task.
 */
import { posix } from 'node:path';
import type { Readable } from 'node:stream';
import type { NormalizedTask as Task } from '../../src/generated/normalized-job.js';
import type { DriverHandle } from '../../src/state/types.js';
import {
  requireCapability,
  type ChangeClass,
  type ExecOptions,
  type LogOptions,
  type Shell,
  type TaskContext,
  type TaskStatus,
  type Transport,
} from '../types.js';
import {
  SUPERVISOR_FILES,
  SUPERVISOR_SCRIPT,
  renderArgvFile,
  renderEnvArgsFile,
  renderEnvFile,
  renderStopFile,
  renderSupervisorConf,
  logReadArgv,
  shQuote,
  signalName,
  supervisorLaunchCommand,
  type LogRotation,
  type SupervisorConfig,
} from './supervisor.js';

// ---------------------------------------------------------------------------------------------
// Layout

/** Where one task of one allocation lives on its host (docs/architecture.md, "On the hosts"). */
export interface TaskLayout {
  allocDir: string;
  /** `alloc/`, shared by the allocation's tasks. */
  sharedDir: string;
  logsDir: string;
  dataDir: string;
  sharedTmpDir: string;
  /** `<task>/`: the task's working directory and the supervisor's files. */
  taskDir: string;
  localDir: string;
  secretsDir: string;
  tmpDir: string;
  /** The first of the rotated files (`<task>.stdout.0`, `.1`, …: LOG_READ_SCRIPT reads them all). */
  stdoutLog: string;
  stderrLog: string;
}

export function taskLayout(allocDir: string, task: string): TaskLayout {
  if (task === '' || task === '.' || task === '..' || task.includes('/') || task === 'alloc') {
    throw new Error(`task name ${JSON.stringify(task)} cannot name a directory of its own`);
  }
  const join = (...parts: string[]): string => posix.join(...parts);
  const sharedDir = join(allocDir, 'alloc');
  const logsDir = join(sharedDir, 'logs');
  const taskDir = join(allocDir, task);
  return {
    allocDir,
    sharedDir,
    logsDir,
    dataDir: join(sharedDir, 'data'),
    sharedTmpDir: join(sharedDir, 'tmp'),
    taskDir,
    localDir: join(taskDir, 'local'),
    secretsDir: join(taskDir, 'secrets'),
    tmpDir: join(taskDir, 'tmp'),
    stdoutLog: join(logsDir, `${task}.stdout.0`),
    stderrLog: join(logsDir, `${task}.stderr.0`),
  };
}

// ---------------------------------------------------------------------------------------------
// Handles

/** The handle of a supervised process task, as recorded in state. */
export interface ProcessTaskHandle extends DriverHandle {
  alloc_dir: string;
  task: string;
  /** The task's first attempt: the leader of its process group. */
  pid: number;
  supervisor_pid?: number;
  /** `kill -s` name and timeout the task was started with (stop may override them). */
  kill_signal: string;
  kill_timeout_ms: number;
  /** The task's logs block said `disabled = true`: no log files to read. */
  logs_disabled?: boolean;
}

/** The handle's fields, checked: a handle comes back from a state file. */
export function asProcessHandle(handle: DriverHandle, driver: string): ProcessTaskHandle {
  const { alloc_dir, task, pid, kill_signal, kill_timeout_ms } = handle;
  if (
    handle.driver !== driver ||
    typeof alloc_dir !== 'string' ||
    typeof task !== 'string' ||
    typeof pid !== 'number'
  ) {
    throw new Error(`not a ${driver} task handle: ${JSON.stringify(handle)}`);
  }
  return {
    ...handle,
    alloc_dir,
    task,
    pid,
    kill_signal: typeof kill_signal === 'string' ? kill_signal : DEFAULT_KILL_SIGNAL,
    kill_timeout_ms:
      typeof kill_timeout_ms === 'number' ? kill_timeout_ms : DEFAULT_KILL_TIMEOUT_MS,
  };
}

// ---------------------------------------------------------------------------------------------
// Settings from the task

/** Nomad's defaults for process drivers: SIGINT, then SIGKILL after 5 s. */
export const DEFAULT_KILL_SIGNAL = 'INT';
export const DEFAULT_KILL_TIMEOUT_MS = 5_000;

/** kill_signal (with Nomad's default) and kill_timeout of a task; a negative timeout is none. */
export function killSettings(task: Task): { signal: string; timeoutMs: number } {
  const signal = task.kill_signal === undefined ? undefined : signalName(task.kill_signal);
  return {
    signal: signal ?? DEFAULT_KILL_SIGNAL,
    timeoutMs: Math.max(0, task.kill_timeout),
  };
}

/** The group restart policy of a TaskContext for the supervisor (negative values mean none). */
export function restartSettings(restart: TaskContext['restart']): SupervisorConfig['restart'] {
  return {
    attempts: Math.max(0, Math.trunc(restart.attempts)),
    intervalMs: Math.max(0, restart.intervalMs),
    delayMs: Math.max(0, restart.delayMs),
    mode: restart.mode === 'delay' ? 'delay' : 'fail',
  };
}

// ---------------------------------------------------------------------------------------------
// Scripts

/**
 * Finding a task's processes without its supervisor (whose pid files may name processes that
 * are gone while their children still run). Two ways, united:
 *   - the session: each attempt leads a session of its own (supervisor.ts), which its children
 *     stay in unless they call setsid; the kernel does not reuse a pid while it names a session,
 *     so the dead leader's pid still finds them. Used only on the boot that recorded it
 *     (`task.boot`), since after a reboot that number may be anyone's.
 *   - the environment: every descendant inherits `NOMAD_ALLOC_ID` and `NOMAD_TASK_NAME` (unless
 *     it rewrites its environment), which a user may read in `/proc/<pid>/environ` of its own
 *     processes; daemons that left the session are found this way.
 * Callers set `m_alloc` (the allocation id), `m_task` (a task name, or empty for every task of
 * the allocation) and `m_sids` (session ids, space-separated). Zombies are skipped: an orphan
 * stays one until something reaps it, and a container's PID 1 may never do so.
 */
const TREE_FUNCTIONS = `if printf 'a\\0' | grep -qzx a 2>/dev/null; then nul_grep=1; else nul_grep=; fi
# env_pids: the pids whose environment holds the markers, one grep over every environ file.
env_pids() {
  if [ -n "$nul_grep" ]; then
    for f in $(grep -lzxF -e "NOMAD_ALLOC_ID=$m_alloc" /proc/[0-9]*/environ 2>/dev/null); do
      [ -z "$m_task" ] || grep -qzxF -e "NOMAD_TASK_NAME=$m_task" "$f" 2>/dev/null || continue
      p=\${f#/proc/}; echo "\${p%/environ}"
    done
  else
    for f in /proc/[0-9]*/environ; do
      tr '\\0' '\\n' <"$f" 2>/dev/null | grep -qxF -e "NOMAD_ALLOC_ID=$m_alloc" || continue
      [ -z "$m_task" ] || tr '\\0' '\\n' <"$f" 2>/dev/null | grep -qxF -e "NOMAD_TASK_NAME=$m_task" || continue
      p=\${f#/proc/}; echo "\${p%/environ}"
    done
  fi
}
task_procs() {
  marked=" $(env_pids | tr '\\n' ' ') "
  for f in /proc/[0-9]*/stat; do
    p=\${f#/proc/}; p=\${p%/stat}
    [ "$p" = "$$" ] && continue
    line=; { read -r line <"$f"; } 2>/dev/null || continue
    set -- \${line##*) }
    [ "$1" = Z ] && continue
    found=
    case $marked in *" $p "*) found=1 ;; esac
    for sid in $m_sids; do [ "$4" = "$sid" ] && found=1; done
    [ -n "$found" ] && echo "$p"
  done
}
# The session of the attempt whose pid file is in directory $1, on the boot that wrote it.
task_session() {
  b=; [ -f "$1/task.boot" ] && read -r b <"$1/task.boot"
  [ -n "$b" ] && [ "$b" = "$(cat /proc/sys/kernel/random/boot_id 2>/dev/null)" ] && pidfile "$1/task.pid"
}
# sweep SIGNAL TIMEOUT_DS: SIGNAL to every process of the task, up to the timeout for them to
# end, then SIGKILL to whatever is left.
sweep() {
  sig=$1 limit=$((($2 * ticks_per_s + 9) / 10)) n=0
  pids=$(task_procs)
  [ -n "$pids" ] || return 0
  kill -s "$sig" $pids 2>/dev/null
  while [ "$n" -lt "$limit" ]; do
    pids=$(task_procs)
    [ -n "$pids" ] || return 0
    sleep "$tick"
    n=$((n + 1))
  done
  pids=$(task_procs)
  [ -n "$pids" ] && kill -s KILL $pids 2>/dev/null
  i=0
  while [ -n "$(task_procs)" ] && [ "$i" -lt 20 ]; do sleep "$tick"; i=$((i + 1)); done
  return 0
}`;

/**
 * Shell functions the scripts below share. `alive` treats a zombie as dead (an orphan stays one
 * until init reaps it); `ours` refuses a pid the kernel has given to some other program since
 * the pid file was written (after a reboot, say).
 */
const PROC_FUNCTIONS = String.raw`alive() {
  kill -0 "$1" 2>/dev/null || return 1
  [ -r "/proc/$1/status" ] || return 0
  while read -r key value _; do
    [ "$key" = State: ] && { [ "$value" != Z ]; return; }
  done <"/proc/$1/status"
  return 0
}
ours() {
  alive "$1" || return 1
  [ -r "/proc/$1/cmdline" ] || return 0
  case $(tr '\0' ' ' <"/proc/$1/cmdline") in *supervisor.sh*) return 0 ;; esac
  return 1
}
pidfile() { p=; [ -f "$1" ] && read -r p <"$1"; echo "$p"; }
state() { s=; [ -f status ] && while IFS='=' read -r k v; do [ "$k" = state ] && s=$v; done <status; echo "$s"; }
kill_group() {
  kill -s "$1" -- "-$2" 2>/dev/null || kill -s "$1" "-$2" 2>/dev/null || kill -s "$1" "$2" 2>/dev/null
}
if sleep 0.01 2>/dev/null; then tick=0.1 ticks_per_s=10; else tick=1 ticks_per_s=1; fi
${TREE_FUNCTIONS}`;

/** Lines about the host that the probe adds to the status file's (`probe.*` keys). */
const PROBE_LINES = String.raw`sp=$(pidfile supervisor.pid)
if [ -n "$sp" ] && ours "$sp"; then echo probe.supervisor=alive; else echo probe.supervisor=gone; fi
tp=$(pidfile task.pid)
if [ -n "$tp" ] && ours "$tp"; then echo probe.task=alive; else echo probe.task=gone; fi`;

/** `cat > path` of `content` through a quoted here-document whose delimiter it does not hold. */
export function hereDocument(path: string, content: string): string {
  const body = content.endsWith('\n') ? content : `${content}\n`;
  const lines = new Set(body.split('\n'));
  let delimiter = 'DROVER_EOF';
  for (let i = 1; lines.has(delimiter); i++) delimiter = `DROVER_EOF_${i}`;
  return `cat >${shQuote(path)} <<'${delimiter}'\n${body}${delimiter}`;
}

export interface StartFiles {
  conf: SupervisorConfig;
  env: Readonly<Record<string, string>>;
  argv: readonly string[];
  /**
   * Shell lines run (in a subshell, in the task directory) after the supervisor's files are
   * written and before a new supervisor starts: a driver's set-up of the host (exec's cgroup and
   * user). It may write `START_INFO_FILE` and `CLEANUP_FILE`; exiting non-zero with a message on
   * stderr refuses the start.
   */
  prepare?: string;
}

/**
 * Hooks a driver's `prepare` may leave in the task directory. `start.info` holds
 * `handle.<key>=<value>` lines that every start (a retried one too) prints and that become fields
 * of the task's handle; `cleanup.sh` is run by sh once the task is dead, by stop and by destroy
 * (to remove what prepare created, e.g. a cgroup).
 */
export const START_INFO_FILE = 'start.info';
export const CLEANUP_FILE = 'cleanup.sh';

/** Handle fields a `start.info` line may not set. */
const CORE_HANDLE_FIELDS = new Set([
  'driver',
  'alloc_dir',
  'task',
  'pid',
  'supervisor_pid',
  'kill_signal',
  'kill_timeout_ms',
  'logs_disabled',
]);

/**
 * One round trip that creates the alloc and task directories, writes the supervisor's files,
 * starts it detached (unless one already supervises this task: a retried apply) and prints the
 * first status (plus `probe.*` lines) once there is one, or `probe.start=timeout` and the tail
 * of supervisor.log.
 */
export function buildStartScript(layout: TaskLayout, files: StartFiles): string {
  const q = shQuote;
  const file = (name: string): string => posix.join(layout.taskDir, name);
  return [
    'umask 022',
    `mkdir -p ${[layout.logsDir, layout.dataDir, layout.sharedTmpDir, layout.localDir, layout.tmpDir].map(q).join(' ')} || exit 1`,
    `mkdir -p -m 700 ${q(layout.secretsDir)} || exit 1`,
    `cd ${q(layout.taskDir)} || exit 1`,
    PROC_FUNCTIONS,
    `if ours "$(pidfile ${SUPERVISOR_FILES.pid})"; then echo probe.start=running; else`,
    hereDocument(file(SUPERVISOR_FILES.script), SUPERVISOR_SCRIPT),
    hereDocument(file(SUPERVISOR_FILES.conf), renderSupervisorConf(files.conf)),
    // The environment may hold secrets.
    `(umask 077; ${hereDocument(file(SUPERVISOR_FILES.env), renderEnvFile(files.env))}\n)`,
    `(umask 077; ${hereDocument(file(SUPERVISOR_FILES.envargs), renderEnvArgsFile(files.env))}\n)`,
    hereDocument(file(SUPERVISOR_FILES.argv), renderArgvFile(files.argv)),
    `rm -f ${SUPERVISOR_FILES.status} ${SUPERVISOR_FILES.stop} task.fifo task.result task.pid ${START_INFO_FILE} ${CLEANUP_FILE}`,
    ...(files.prepare === undefined ? [] : [`(\n${files.prepare}\n) || exit 1`]),
    // The boot on which task.pid's session is ours (TREE_FUNCTIONS).
    'cat /proc/sys/kernel/random/boot_id >task.boot 2>/dev/null || :',
    `(${supervisorLaunchCommand(layout.taskDir)}\n) || exit 1`,
    'fi',
    // Up to 10 s for the supervisor to record the first attempt.
    `i=0; limit=$((10 * ticks_per_s))`,
    `while [ ! -s ${SUPERVISOR_FILES.status} ] && [ "$i" -lt "$limit" ]; do sleep "$tick"; i=$((i + 1)); done`,
    `if [ -s ${SUPERVISOR_FILES.status} ]; then cat ${SUPERVISOR_FILES.status}; else echo probe.start=timeout; tail -n 5 ${SUPERVISOR_FILES.log} 2>/dev/null | sed 's/^/probe.log=/'; fi`,
    `[ -f ${START_INFO_FILE} ] && cat ${START_INFO_FILE}`,
    PROBE_LINES,
  ].join('\n');
}

/**
 * The markers TREE_FUNCTIONS finds a task's processes by: the allocation id is the last
 * component of its directory (`<alloc_root>/<alloc-id>`), as NOMAD_ALLOC_ID says.
 */
function treeMarkers(allocDir: string, task: string): string[] {
  return [`m_alloc=${shQuote(posix.basename(allocDir))}`, `m_task=${shQuote(task)}`];
}

/** Runs the task directory's cleanup hook, if any, once the task is dead (cwd: the task dir). */
const RUN_CLEANUP = `[ -f ${CLEANUP_FILE} ] && [ "$(state)" = dead ] && { sh ./${CLEANUP_FILE} >/dev/null 2>&1 || :; }`;

/** Prints the status file and `probe.*` lines; `probe.dir=missing` when the task dir is gone. */
export function buildProbeScript(layout: TaskLayout): string {
  return [
    `cd ${shQuote(layout.taskDir)} 2>/dev/null || { echo probe.dir=missing; exit 0; }`,
    PROC_FUNCTIONS,
    `[ -f ${SUPERVISOR_FILES.status} ] && cat ${SUPERVISOR_FILES.status}`,
    PROBE_LINES,
  ].join('\n');
}

/**
 * Looks for a task directory a start created: `probe.dir=missing` when there is none, else the
 * status file, the supervisor's pid file and `start.info`, so a handle can be rebuilt.
 */
export function buildRecoverScript(layout: TaskLayout): string {
  return [
    `cd ${shQuote(layout.taskDir)} 2>/dev/null || { echo probe.dir=missing; exit 0; }`,
    'echo probe.dir=present',
    `[ -f ${SUPERVISOR_FILES.status} ] && cat ${SUPERVISOR_FILES.status}`,
    `[ -s ${SUPERVISOR_FILES.pid} ] && echo "probe.supervisor_pid=$(cat ${SUPERVISOR_FILES.pid})"`,
    `[ -f ${START_INFO_FILE} ] && cat ${START_INFO_FILE}`,
    // The kill settings the task was started with, which a recovered handle keeps.
    `[ -f ${SUPERVISOR_FILES.conf} ] && (. ./${SUPERVISOR_FILES.conf}; echo "probe.kill_signal=$KILL_SIGNAL"; echo "probe.kill_timeout_ds=$KILL_TIMEOUT_DS")`,
    'exit 0',
  ].join('\n');
}

/**
 * Drift: the task's main process as the host sees it. Its processes are found as a stop finds
 * them (TREE_FUNCTIONS: its session, or the NOMAD_ALLOC_ID and NOMAD_TASK_NAME markers, so a
 * process started again by hand with them is found too); the oldest that is not the supervisor
 * (whose `task` shell runs the task's argv as its child). Prints `drift.pid=`, then its command
 * line and environment in hex (`od`: POSIX, and NUL-safe): `drift.cmdline=`, `drift.environ=`.
 */
export function buildDriftScript(layout: TaskLayout): string {
  return [
    `cd ${shQuote(layout.taskDir)} 2>/dev/null || { echo drift.pid=; exit 0; }`,
    PROC_FUNCTIONS,
    ...treeMarkers(layout.allocDir, posix.basename(layout.taskDir)),
    'm_sids=$(task_session .)',
    "procs=\" $(task_procs | tr '\\n' ' ') \"",
    'main=',
    'for p in $(printf "%s\\n" $procs | sort -n); do',
    '  case $(tr \'\\0\' \' \' <"/proc/$p/cmdline" 2>/dev/null) in *supervisor.sh*|"") continue ;; esac',
    '  main=$p; break',
    'done',
    'echo "drift.pid=$main"',
    // No task process, but its supervisor lives and says `pending`: it waits out the restart
    // delay, as the restart policy says (not drift).
    'sup=; read -r sp <supervisor.pid 2>/dev/null',
    'case $(tr \'\\0\' \' \' <"/proc/$sp/cmdline" 2>/dev/null) in *supervisor.sh*) grep -q "^state=pending" status 2>/dev/null && sup=yes ;; esac',
    'echo "drift.supervised=$sup"',
    '[ -n "$main" ] || exit 0',
    'hex() { od -An -v -tx1 "$1" 2>/dev/null | tr -d \' \\n\'; }',
    'echo "drift.cmdline=$(hex /proc/$main/cmdline)"',
    'echo "drift.environ=$(hex /proc/$main/environ)"',
    'exit 0',
  ].join('\n');
}

/** The handle a recover script's output describes; undefined when no task directory exists. */
export function handleFromRecovery(
  driver: string,
  ref: { allocDir: string; task: string },
  kv: ReadonlyMap<string, string>,
): ProcessTaskHandle | undefined {
  if (kv.get('probe.dir') !== 'present') return undefined;
  const tenths = kv.get('probe.kill_timeout_ds');
  return processHandle(driver, ref.allocDir, ref.task, kv, {
    signal: signalName(kv.get('probe.kill_signal') ?? '') ?? DEFAULT_KILL_SIGNAL,
    timeoutMs:
      tenths !== undefined && /^\d+$/.test(tenths) ? Number(tenths) * 100 : DEFAULT_KILL_TIMEOUT_MS,
  });
}

/**
 * A task's handle from the supervisor's status lines (`pid`, `supervisor_pid`, or the pid file's
 * `probe.supervisor_pid`) and `start.info`'s `handle.*` lines.
 */
function processHandle(
  driver: string,
  allocDir: string,
  task: string,
  kv: ReadonlyMap<string, string>,
  kill: { signal: string; timeoutMs: number },
): ProcessTaskHandle {
  const pid = Number(kv.get('pid'));
  const supervisorPid = Number(kv.get('supervisor_pid') ?? kv.get('probe.supervisor_pid'));
  return {
    ...startInfo(kv),
    driver,
    alloc_dir: allocDir,
    task,
    pid: Number.isInteger(pid) ? pid : 0,
    ...(Number.isInteger(supervisorPid) && supervisorPid > 0
      ? { supervisor_pid: supervisorPid }
      : {}),
    kill_signal: kill.signal,
    kill_timeout_ms: kill.timeoutMs,
  };
}

/**
 * Stops a supervised task: writes the `stop` file (signal, timeout), sends TERM to the
 * supervisor and waits until it records `dead` (kill_timeout plus 5 s at most). If the
 * supervisor is gone or does not answer, SIGKILLs the task's process group itself and records
 * `dead`. Then runs the task directory's cleanup hook, if any. Prints the final status.
 */
export function buildStopScript(layout: TaskLayout, signal: string, timeoutMs: number): string {
  const graceTicks = `$(( (${Math.ceil(timeoutMs / 100)} + 50) * ticks_per_s / 10 ))`;
  return [
    `cd ${shQuote(layout.taskDir)} 2>/dev/null || { echo probe.dir=missing; exit 0; }`,
    PROC_FUNCTIONS,
    ...treeMarkers(layout.allocDir, posix.basename(layout.taskDir)),
    'm_sids=$(task_session .)',
    'sp=',
    'if [ "$(state)" != dead ]; then',
    hereDocument(
      posix.join(layout.taskDir, SUPERVISOR_FILES.stop),
      renderStopFile(signal, timeoutMs),
    ),
    `  sp=$(pidfile ${SUPERVISOR_FILES.pid})`,
    '  if [ -n "$sp" ] && ours "$sp"; then',
    '    kill -s TERM "$sp" 2>/dev/null',
    `    i=0; limit=${graceTicks}`,
    '    while [ "$(state)" != dead ] && [ "$i" -lt "$limit" ] && alive "$sp"; do sleep "$tick"; i=$((i + 1)); done',
    '  fi',
    'fi',
    // A stuck supervisor could start the task again while it is swept.
    'if [ "$(state)" != dead ] && [ -n "$sp" ] && ours "$sp"; then kill -s KILL "$sp" 2>/dev/null; fi',
    // Whatever of the task still runs, the supervisor gone or not: its children, daemons.
    `sweep ${shQuote(signal)} ${Math.ceil(timeoutMs / 100)}`,
    'if [ "$(state)" != dead ]; then',
    '  # The supervisor is gone or stuck: record the end of the task here.',
    '  r=0 sa= lp=',
    `  [ -f ${SUPERVISOR_FILES.status} ] && while IFS='=' read -r k v; do case $k in restarts) r=$v ;; started_at) sa=$v ;; pid) lp=$v ;; esac; done <${SUPERVISOR_FILES.status}`,
    `  printf 'state=dead\\npid=%s\\nexit_code=\\nrestarts=%s\\nstarted_at=%s\\nfinished_at=%s\\nfailed=false\\nmessage=%s\\n' "$lp" "$r" "$sa" "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "stopped by drover; the supervisor was not running" >status.tmp && mv -f status.tmp ${SUPERVISOR_FILES.status}`,
    `  rm -f ${SUPERVISOR_FILES.pid} task.pid task.fifo`,
    'fi',
    RUN_CLEANUP,
    `cat ${SUPERVISOR_FILES.status}`,
    PROBE_LINES,
  ].join('\n');
}

/**
 * Removes an allocation directory after SIGKILLing whatever its supervisors still run and running
 * its tasks' cleanup hooks. Refuses
 * paths that cannot be an alloc dir (relative, `/`, or a single component).
 */
export function buildDestroyScript(allocDir: string): string {
  const normal = posix.normalize(allocDir);
  if (!posix.isAbsolute(normal) || normal.split('/').filter(Boolean).length < 2) {
    throw new Error(`refusing to remove ${JSON.stringify(allocDir)}: not an allocation directory`);
  }
  const d = shQuote(normal);
  return [
    `[ -e ${d} ] || exit 0`,
    PROC_FUNCTIONS,
    ...treeMarkers(normal, ''),
    'm_sids=',
    `for f in ${d}/*/${SUPERVISOR_FILES.pid}; do`,
    '  p=$(pidfile "$f")',
    '  [ -n "$p" ] && ours "$p" && kill -s KILL "$p" 2>/dev/null',
    'done',
    `for t in ${d}/*/; do m_sids="$m_sids $(task_session "$t")"; done`,
    'sweep KILL 0',
    `for f in ${d}/*/${CLEANUP_FILE}; do`,
    `  [ -f "$f" ] && (cd "\${f%/*}" && sh ./${CLEANUP_FILE}) >/dev/null 2>&1`,
    'done',
    `rm -rf ${d}`,
  ].join('\n');
}

/** Runs argv in the task directory with the task's environment (drover exec). */
export function buildExecScript(layout: TaskLayout, argv: readonly string[]): string {
  return [
    `cd ${shQuote(layout.taskDir)} || exit 127`,
    `. ./${SUPERVISOR_FILES.env}`,
    'set --',
    `. ./${SUPERVISOR_FILES.envargs}`,
    renderArgvFile(argv).trimEnd(),
    'exec env -- "$@"',
  ].join('\n');
}

/** The command that prints a task's stdout or stderr across its rotated files. */
export function logArgv(layout: TaskLayout, task: string, opts: LogOptions): string[] {
  return logReadArgv(layout.logsDir, task, opts.stderr ? 'stderr' : 'stdout', {
    follow: opts.follow,
    ...(opts.tail === undefined ? {} : { tail: opts.tail }),
  });
}

/** The task's `logs` block as the supervisor takes it (Nomad's defaults: 10 files of 10 MB). */
export function logRotation(task: Task): LogRotation {
  const logs = task.logs as Partial<Task['logs']> | undefined;
  return {
    maxFiles: logs?.max_files ?? 10,
    maxFileSizeMb: logs?.max_file_size ?? 10,
    disabled: logs?.disabled === true || logs?.enabled === false,
  };
}

// ---------------------------------------------------------------------------------------------
// Parsing

/** `key=value` lines (the first `=` splits); later lines win. */
export function parseKeyValues(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of text.split('\n')) {
    const eq = line.indexOf('=');
    if (eq > 0) out.set(line.slice(0, eq), line.slice(eq + 1));
  }
  return out;
}

/** The TaskStatus a status file and the probe lines describe. */
export function statusFromProbe(kv: ReadonlyMap<string, string>): TaskStatus {
  const restarts = Number(kv.get('restarts') ?? '0');
  const base = {
    failed: kv.get('failed') === 'true',
    restarts: Number.isFinite(restarts) ? restarts : 0,
    ...optional('startedAt', kv.get('started_at')),
    ...optional('finishedAt', kv.get('finished_at')),
  };
  const exitText = kv.get('exit_code');
  const exitCode = exitText !== undefined && /^\d+$/.test(exitText) ? Number(exitText) : undefined;
  const message = kv.get('message') || undefined;
  const supervisorAlive = kv.get('probe.supervisor') === 'alive';

  if (kv.get('probe.dir') === 'missing') {
    return { state: 'missing', failed: false, restarts: 0, message: 'the task directory is gone' };
  }
  const state = kv.get('state');
  if (state === 'dead') {
    return {
      state: 'dead',
      ...base,
      ...optional('exitCode', exitCode),
      ...optional('message', message),
    };
  }
  if (!supervisorAlive) {
    const taskAlive = kv.get('probe.task') === 'alive';
    return {
      state: 'missing',
      ...base,
      message:
        state === undefined
          ? 'no status was recorded and no supervisor runs'
          : `the supervisor exited without recording the end of the task${taskAlive ? ' (the task still runs)' : ''}`,
    };
  }
  if (state === 'running') return { state: 'running', ...base, ...optional('message', message) };
  // Between attempts (restart delay) or before the first one.
  return {
    state: 'pending',
    ...base,
    ...optional('exitCode', exitCode),
    ...optional('message', message),
  };
}

function optional<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return (value === undefined || value === '' ? {} : { [key]: value }) as { [P in K]?: V };
}

// ---------------------------------------------------------------------------------------------
// Operations (through the transport only)

/** Starts argv under the supervisor; throws with the host's words when it cannot. */
export async function startProcessTask(
  driver: string,
  ctx: TaskContext,
  argv: readonly string[],
  opts: { prepare?: string } = {},
): Promise<ProcessTaskHandle> {
  const layout = taskLayout(ctx.allocDir, ctx.task.name);
  const kill = killSettings(ctx.task);
  const logs = logRotation(ctx.task);
  const script = buildStartScript(layout, {
    conf: {
      task: ctx.task.name,
      logDir: layout.logsDir,
      logs,
      restart: restartSettings(ctx.restart),
      killSignal: kill.signal,
      killTimeoutMs: kill.timeoutMs,
    },
    env: ctx.env,
    argv,
    ...(opts.prepare === undefined ? {} : { prepare: opts.prepare }),
  });
  const r = await shellOf(ctx.transport, driver).sh(script, { timeoutMs: 60_000 });
  const kv = parseKeyValues(r.stdout);
  const where = `task "${ctx.task.name}" of allocation ${ctx.allocId} on node ${ctx.node.name}`;
  if (r.code !== 0) {
    throw new Error(
      `${driver}: cannot start ${where}: ${oneLine(r.stderr) || `exit code ${r.code}`}`,
    );
  }
  if (kv.get('probe.start') === 'timeout') {
    const log = r.stdout
      .split('\n')
      .filter((l) => l.startsWith('probe.log='))
      .map((l) => l.slice('probe.log='.length))
      .join('; ');
    throw new Error(`${driver}: the supervisor of ${where} did not start${log ? `: ${log}` : ''}`);
  }
  const handle = processHandle(driver, ctx.allocDir, ctx.task.name, kv, kill);
  return logs.disabled ? { ...handle, logs_disabled: true } : handle;
}

/** The `handle.<key>` lines of a start's output, as handle fields (never the core ones). */
export function startInfo(kv: ReadonlyMap<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of kv) {
    const name = key.startsWith('handle.') ? key.slice('handle.'.length) : '';
    if (name !== '' && !CORE_HANDLE_FIELDS.has(name)) out[name] = value;
  }
  return out;
}

/** The transport's shell, through which a process driver does everything on the host. */
export function shellOf(transport: Transport, driver: string): Shell {
  return requireCapability(transport, 'shell', `the ${driver} driver`);
}

/**
 * Sends a signal to a running task's process group (the pid its supervisor recorded leads it),
 * as Nomad's executor signals a task; the supervisor itself is left alone.
 */
export async function signalProcessTask(
  handle: ProcessTaskHandle,
  transport: Transport,
  signal: string,
): Promise<void> {
  const name = signalName(signal);
  if (!name) throw new Error(`unknown signal ${JSON.stringify(signal)}`);
  const layout = taskLayout(handle.alloc_dir, handle.task);
  const script = [
    `cd ${shQuote(layout.taskDir)} || exit 1`,
    "state=$(sed -n 's/^state=//p' status 2>/dev/null)",
    "pid=$(sed -n 's/^pid=//p' status 2>/dev/null)",
    '[ "$state" = running ] && [ -n "$pid" ] || { echo "the task is not running" >&2; exit 1; }',
    `kill -s ${name} -- "-$pid" 2>/dev/null || kill -s ${name} "-$pid" 2>/dev/null || kill -s ${name} "$pid"`,
  ].join('\n');
  const r = await shellOf(transport, handle.driver).sh(script, { timeoutMs: 30_000 });
  if (r.code !== 0)
    throw new Error(
      `cannot signal task "${handle.task}": ${oneLine(r.stderr) || `exit code ${r.code}`}`,
    );
}

export async function inspectProcessTask(
  handle: ProcessTaskHandle,
  transport: Transport,
): Promise<TaskStatus> {
  const r = await shellOf(transport, handle.driver).sh(
    buildProbeScript(taskLayout(handle.alloc_dir, handle.task)),
    {
      timeoutMs: 30_000,
    },
  );
  if (r.code !== 0) throw new Error(`cannot inspect task "${handle.task}": ${oneLine(r.stderr)}`);
  return statusFromProbe(parseKeyValues(r.stdout));
}

export async function stopProcessTask(
  handle: ProcessTaskHandle,
  transport: Transport,
  opts: { killTimeoutMs: number; signal?: string },
): Promise<TaskStatus> {
  const signal =
    (opts.signal === undefined ? undefined : signalName(opts.signal)) ?? handle.kill_signal;
  const timeoutMs = Number.isFinite(opts.killTimeoutMs)
    ? Math.max(0, opts.killTimeoutMs)
    : handle.kill_timeout_ms;
  const layout = taskLayout(handle.alloc_dir, handle.task);
  const r = await shellOf(transport, handle.driver).sh(buildStopScript(layout, signal, timeoutMs), {
    timeoutMs: timeoutMs + 30_000,
  });
  if (r.code !== 0) throw new Error(`cannot stop task "${handle.task}": ${oneLine(r.stderr)}`);
  return statusFromProbe(parseKeyValues(r.stdout));
}

export async function destroyProcessTask(
  handle: ProcessTaskHandle,
  transport: Transport,
): Promise<void> {
  const r = await shellOf(transport, handle.driver).sh(buildDestroyScript(handle.alloc_dir), {
    timeoutMs: 60_000,
  });
  if (r.code !== 0) {
    throw new Error(
      `cannot remove ${handle.alloc_dir}: ${oneLine(r.stderr) || `exit code ${r.code}`}`,
    );
  }
}

export function processTaskLogs(
  handle: ProcessTaskHandle,
  transport: Transport,
  opts: LogOptions,
): Readable {
  if (handle.logs_disabled === true) {
    throw new Error(
      `task "${handle.task}" writes no logs: its logs block says disabled = true (Nomad's logs.disabled)`,
    );
  }
  return shellOf(transport, handle.driver).stream(
    logArgv(taskLayout(handle.alloc_dir, handle.task), handle.task, opts),
    opts.signal,
  );
}

/** Runs argv in the task's directory and environment; output is buffered, not interactive. */
export async function execInProcessTask(
  handle: ProcessTaskHandle,
  transport: Transport,
  argv: readonly string[],
  opts: ExecOptions,
): Promise<number> {
  if (argv.length === 0) throw new Error('exec needs a command');
  const stdin = opts.stdin === undefined ? undefined : await readAll(opts.stdin);
  const r = await shellOf(transport, handle.driver).sh(
    buildExecScript(taskLayout(handle.alloc_dir, handle.task), argv),
    {
      ...(stdin === undefined ? {} : { stdin }),
    },
  );
  opts.stdout.write(r.stdout);
  opts.stderr.write(r.stderr);
  return r.code;
}

async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) {
    chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer));
  }
  return Buffer.concat(chunks);
}

function oneLine(text: string): string {
  return text.trim().split('\n').filter(Boolean).slice(-3).join('; ');
}

// ---------------------------------------------------------------------------------------------
// Change classification

/**
 * Task fields whose change Nomad applies in place (scheduler/util.go `tasksUpdated` does not
 * compare them): services and checks, shutdown_delay, kill_timeout, kill_signal (the stop
 * passes the current one), the restart policy (but `render_templates`), log rotation (but
 * `disabled`), constraints (the scheduler rechecks them), and a few bookkeeping fields. Every
 * other field, known today or added later, forces a new task.
 */
const IN_PLACE_FIELDS = new Set([
  'name',
  'service',
  'shutdown_delay',
  'kill_timeout',
  'kill_signal',
  'restart',
  'logs',
  'constraint',
  'leader',
  'kind',
  'scaling',
  'action',
  'dispatch_payload',
  'schedule',
]);

/**
 * Nomad's rule for a task: `none` when nothing differs, `destructive` when the driver, user,
 * config, env, resources, artifacts, templates, vault, consul, volume mounts, meta, identities,
 * affinities, lifecycle … differ, else `in-place`. Group-level inputs (networks, ephemeral
 * disk, group meta) are the caller's to compare. Absent, null, `[]` and `{}` are the same.
 */
export function classifyTaskChange(prior: Task, next: Task): ChangeClass {
  const a = normalize(prior) as Record<string, unknown> | undefined;
  const b = normalize(next) as Record<string, unknown> | undefined;
  if (deepEqual(a, b)) return 'none';
  const keys = new Set([...Object.keys(a ?? {}), ...Object.keys(b ?? {})]);
  for (const key of keys) {
    const x = a?.[key];
    const y = b?.[key];
    if (deepEqual(x, y)) continue;
    if (key === 'restart') {
      if (Boolean(field(x, 'render_templates')) !== Boolean(field(y, 'render_templates'))) {
        return 'destructive';
      }
    } else if (key === 'logs') {
      if (logsDisabled(x) !== logsDisabled(y)) return 'destructive';
    } else if (key === 'resources') {
      // iops is deprecated and ignored.
      if (!deepEqual(without(x, 'iops'), without(y, 'iops'))) return 'destructive';
    } else if (!IN_PLACE_FIELDS.has(key)) {
      return 'destructive';
    }
  }
  return 'in-place';
}

function field(value: unknown, key: string): unknown {
  return typeof value === 'object' && value !== null
    ? (value as Record<string, unknown>)[key]
    : undefined;
}

function logsDisabled(logs: unknown): boolean {
  return field(logs, 'disabled') === true || field(logs, 'enabled') === false;
}

function without(value: unknown, key: string): unknown {
  if (typeof value !== 'object' || value === null) return value;
  const copy: Record<string, unknown> = { ...(value as Record<string, unknown>) };
  delete copy[key];
  return normalize(copy);
}

/** Drops absent, null, empty lists and empty maps, recursively. */
function normalize(value: unknown): unknown {
  if (value === null || value === undefined) return undefined;
  if (Array.isArray(value)) {
    const items = value.map(normalize);
    return items.length === 0 ? undefined : items;
  }
  if (typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      const n = normalize(v);
      if (n !== undefined) out[k] = n;
    }
    return Object.keys(out).length === 0 ? undefined : out;
  }
  return value;
}

function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a) && Array.isArray(b)) {
    return a.length === b.length && a.every((x, i) => deepEqual(x, b[i]));
  }
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  if (ka.length !== kb.length) return false;
  return ka.every((k) =>
    deepEqual((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]),
  );
}
