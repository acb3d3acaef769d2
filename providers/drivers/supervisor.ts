/**
 * The POSIX-sh supervisor of process tasks (raw_exec now, exec and java later) and the small
 * files it reads. A host needs nothing but `sh` (dash, busybox ash and bash all run it) and the
 * usual utilities (`setsid`, `mkfifo`, `cat`, `env`, `date`, `sleep`).
 *
 * Files in the task directory `<alloc_dir>/<task>/`:
 *   supervisor.sh    this script
 *   supervisor.conf  restart policy, kill signal and timeout, log directory and rotation (sourced)
 *   task.env         `export NAME='value'` lines (sourced before the task starts)
 *   task.envargs     `set -- 'a.b=1' …`: variables sh cannot export, for `env` to set
 *   task.argv        `set -- "$@" 'arg0' 'arg1' …`: the argv, single-quoted so any byte but NUL
 *                    survives; appended to the envargs words
 *   status           key=value lines, replaced atomically (write status.tmp, then rename)
 *   supervisor.pid   while the supervisor runs
 *   stop             written by drover before it signals the supervisor: kill signal and timeout
 *
 * Design: `sh supervisor.sh run DIR` loops over attempts. Each attempt is
 * `sh supervisor.sh task DIR`, the leader of a new session (so its process group is the task's
 * and can be signalled as a whole). It is started with `setsid setsid …` in the foreground rather
 * than with `&`, because a shell without job control starts asynchronous lists with SIGINT and
 * SIGQUIT ignored and no child could undo that — and SIGINT is Nomad's default kill_signal. The
 * attempt reports its pid and, when the task ends, its exit code through a FIFO; the supervisor
 * `wait`s on the FIFO's reader, which a trapped signal interrupts at once (a foreground child
 * would delay the trap until it exited). On TERM, INT or HUP the supervisor sends kill_signal to
 * the task's process group, waits up to kill_timeout, then SIGKILLs the group, records `dead` and
 * exits.
 *
 * Logs, as Nomad's logmon writes them: `<alloc>/alloc/logs/<task>.stdout.<n>` (and `.stderr.`),
 * `n` counting up from 0. A file is filled to `max_file_size` MB, then output goes on into
 * `n + 1`; a file is never renamed, and once there are more than `max_files` the lowest index is
 * deleted. One rotator per stream (awk, so a line costs no fork) reads a FIFO that the
 * supervisor keeps open for writing across attempts, so a restart neither ends nor reopens the
 * rotation; a new supervisor goes on at the highest index on disk. `disabled` sends both streams
 * to /dev/null and writes no file.
 */

/** Names of the supervisor's files inside the task directory. */
export const SUPERVISOR_FILES = {
  script: 'supervisor.sh',
  conf: 'supervisor.conf',
  env: 'task.env',
  envargs: 'task.envargs',
  argv: 'task.argv',
  status: 'status',
  pid: 'supervisor.pid',
  stop: 'stop',
  log: 'supervisor.log',
} as const;

/** The streams a task writes, each rotated on its own. */
export type LogStream = 'stdout' | 'stderr';

/**
 * The supervisor script. It reads `supervisor.conf` (TASK, LOG_DIR, LOG_MAX_FILES, LOG_MAX_BYTES,
 * LOG_DISABLED, ATTEMPTS, INTERVAL_S, DELAY, MODE, KILL_SIGNAL, KILL_TIMEOUT_DS) from its task
 * directory. Keep it dash-compatible: no
 * `local`, no arrays, no `[[`, no `$BASHPID`.
 */
export const SUPERVISOR_SCRIPT = String.raw`# drover task supervisor (POSIX sh); providers/drivers/supervisor.ts explains the design.
# Usage: sh supervisor.sh run TASK_DIR    supervise the task, apply the restart policy
#        sh supervisor.sh task TASK_DIR   one attempt of the task (started by "run")
dir=$2
cd "$dir" || exit 111

if [ "$1" = task ]; then
  # Open the FIFO first: "run" waits for this end before anything else.
  exec 3>task.fifo || exit 111
  echo "pid $$" >&3
  echo "$$" >task.pid
  # Caught, not ignored: the task starts with default dispositions, and this shell survives
  # kill_signal long enough to report the task's exit code.
  trap : INT TERM HUP QUIT
  . ./task.env
  set --
  . ./task.envargs
  . ./task.argv
  # env(1) executes a program, never a shell builtin, and passes names sh cannot export.
  env -- "$@" 3>&-
  echo "exit $?" >&3
  exit 0
fi

. ./supervisor.conf
setsid_bin=$(command -v setsid 2>/dev/null)
if sleep 0.01 2>/dev/null; then tick=0.1 ticks_per_s=10; else tick=1 ticks_per_s=1; fi
echo "$$" >supervisor.pid.tmp && mv -f supervisor.pid.tmp supervisor.pid

restarts=0 count=0 window=0 started_at= pid= last_pid= code= stopping=0 interrupted=0 reader= sleeper=
rot_out= rot_err=

now() { date +%s; }
stamp() { date -u +%Y-%m-%dT%H:%M:%SZ; }

# status STATE PID EXIT_CODE FINISHED_AT FAILED MESSAGE
status() {
  printf 'state=%s\npid=%s\nexit_code=%s\nrestarts=%s\nstarted_at=%s\nfinished_at=%s\nfailed=%s\nmessage=%s\nsupervisor_pid=%s\n' \
    "$1" "$2" "$3" "$restarts" "$started_at" "$4" "$5" "$6" "$$" >status.tmp && mv -f status.tmp status
}

# The task's process group; dash wants "--" before a negative pid, busybox refuses it.
signal_task() {
  kill -s "$1" -- "-$2" 2>/dev/null || kill -s "$1" "-$2" 2>/dev/null || kill -s "$1" "$2" 2>/dev/null
}

# kill -0 also succeeds on a zombie, and an orphan stays one until init reaps it.
alive() {
  kill -0 "$1" 2>/dev/null || return 1
  [ -r "/proc/$1/status" ] || return 0
  while read -r key value _; do
    [ "$key" = State: ] && { [ "$value" != Z ]; return; }
  done <"/proc/$1/status"
  return 0
}

task_ended() {
  if [ -f task.result ]; then
    while read -r key _; do [ "$key" = exit ] && return 0; done <task.result
  fi
  ! alive "$pid"
}

# kill_signal, up to kill_timeout for the task to end, then SIGKILL to whatever is left.
terminate() {
  [ -n "$pid" ] || return 0
  signal_task "$KILL_SIGNAL" "$pid"
  n=0
  limit=$(((KILL_TIMEOUT_DS * ticks_per_s + 9) / 10))
  while [ "$n" -lt "$limit" ] && ! task_ended; do
    sleep "$tick"
    n=$((n + 1))
  done
  signal_task KILL "$pid"
}

on_signal() {
  interrupted=1
  [ "$stopping" = 1 ] && return
  stopping=1
  [ -f stop ] && . ./stop
  terminate
}
trap on_signal TERM INT HUP

# A trapped signal interrupts wait; wait again until the child has really ended.
wait_child() {
  while :; do
    interrupted=0
    wait "$1"
    [ "$interrupted" = 1 ] || return 0
    [ -n "$sleeper" ] && kill "$sleeper" 2>/dev/null
  done
}

# The rotators end when the last writer closes; up to 2 s for them to write what is left, so
# that a task recorded dead has all of its output on disk.
close_logs() {
  exec 5>&- 6>&-
  n=0
  while [ "$n" -lt $((2 * ticks_per_s)) ] && { alive "$rot_out" || alive "$rot_err"; }; do
    sleep "$tick"
    n=$((n + 1))
  done
}

finish() { # EXIT_CODE FAILED MESSAGE
  close_logs
  status dead "$last_pid" "$1" "$(stamp)" "$2" "$3"
  rm -f task.fifo task.pid supervisor.pid
  exit 0
}

launch() {
  rm -f task.fifo task.result task.pid
  mkfifo task.fifo || finish 111 true "cannot create task.fifo"
  if [ -n "$setsid_bin" ]; then
    # The first setsid runs in place (its caller leads no group); the second one forks.
    "$setsid_bin" "$setsid_bin" sh ./supervisor.sh task "$dir" </dev/null >&5 2>&6 5>&- 6>&-
  else
    sh ./supervisor.sh task "$dir" </dev/null >&5 2>&6 5>&- 6>&- &
  fi
  {
    read -r _ pid <&4
    cat <&4 >task.result &
    reader=$!
  } 4<task.fifo
  last_pid=$pid
  started_at=$(stamp)
  status running "$pid" "" "" false ""
}

# The numeric suffixes N of BASE.N on disk.
log_indexes() {
  for f in "$1".*; do
    i=${'${'}f##*.}
    case $i in '' | *[!0-9]*) continue ;; esac
    [ -f "$f" ] && echo "$i"
  done
}

# Bytes from standard input into BASE.N files of at most ROT_MAX bytes each (the last line
# completed with a newline); prints the index that falls out of the newest ROT_KEEP.
ROTATE_AWK='
BEGIN {
  base = ENVIRON["ROT_BASE"]; max = ENVIRON["ROT_MAX"] + 0; keep = ENVIRON["ROT_KEEP"] + 0
  idx = ENVIRON["ROT_IDX"] + 0; size = ENVIRON["ROT_SIZE"] + 0; file = base "." idx
  printf "" >>file; fflush(file)
}
{
  rest = $0 "\n"
  while (rest != "") {
    if (size >= max) {
      close(file); idx++; file = base "." idx; size = 0
      if (idx >= keep) { print idx - keep; fflush() }
    }
    part = substr(rest, 1, max - size)
    printf "%s", part >>file
    size += length(part); rest = substr(rest, length(part) + 1)
  }
  fflush(file)
}'
# mawk reads a pipe in whole buffers unless told otherwise: lines would wait for 4 KB to come.
case $(awk -W version 2>&1 </dev/null) in *mawk*) awk_interactive=1 ;; *) awk_interactive= ;; esac

rotate() { # STREAM: the task's STREAM on stdin, into $LOG_DIR/$TASK.STREAM.N
  base="$LOG_DIR/$TASK.$1" idx=0
  for i in $(log_indexes "$base"); do [ "$i" -gt "$idx" ] && idx=$i; done
  for i in $(log_indexes "$base"); do [ "$i" -le $((idx - LOG_MAX_FILES)) ] && rm -f "$base.$i"; done
  size=0
  [ -f "$base.$idx" ] && size=$(($(wc -c <"$base.$idx")))
  ROT_BASE=$base ROT_IDX=$idx ROT_SIZE=$size ROT_MAX=$LOG_MAX_BYTES ROT_KEEP=$LOG_MAX_FILES \
    LC_ALL=C awk ${'${'}awk_interactive:+-W interactive} "$ROTATE_AWK" |
    while read -r old; do rm -f "$base.$old"; done
}

# fds 5 and 6: the write ends of the task's stdout and stderr, held across attempts.
if [ "$LOG_DISABLED" = 1 ]; then
  exec 5>/dev/null 6>/dev/null
else
  mkdir -p "$LOG_DIR"
  rm -f stdout.fifo stderr.fifo
  mkfifo stdout.fifo stderr.fifo || finish 111 true "cannot create the log FIFOs"
  rotate stdout <stdout.fifo &
  rot_out=$!
  rotate stderr <stderr.fifo &
  rot_err=$!
  exec 5>stdout.fifo 6>stderr.fifo
  rm -f stdout.fifo stderr.fifo
fi

while :; do
  [ "$stopping" = 1 ] || [ -f stop ] && finish "$code" false "stopped"
  launch
  [ "$stopping" = 1 ] && terminate
  wait_child "$reader"
  code=137
  while read -r key value; do [ "$key" = exit ] && code=$value; done <task.result
  # Leftovers of this attempt in its process group go with it.
  signal_task KILL "$pid"
  pid=
  [ "$stopping" = 1 ] || [ -f stop ] && finish "$code" false "stopped"
  [ "$code" = 0 ] && finish 0 false "exited"

  # Nomad's restart tracker: attempts per interval, counted from the first failure in it.
  t=$(now)
  if [ $((t - window)) -ge "$INTERVAL_S" ]; then window=$t count=0; fi
  count=$((count + 1))
  if [ "$count" -gt "$ATTEMPTS" ]; then
    [ "$MODE" = fail ] && finish "$code" true "exit code $code; exceeded $ATTEMPTS restart attempts in $INTERVAL_S s and mode is fail"
    delay=$((window + INTERVAL_S - t))
    [ "$delay" -lt 0 ] && delay=0
  else
    delay=$DELAY
  fi
  status pending "" "$code" "$(stamp)" false "exit code $code; restarting in $delay s"
  sleep "$delay" &
  sleeper=$!
  wait_child "$sleeper"
  sleeper=
  [ "$stopping" = 1 ] || [ -f stop ] && finish "$code" false "stopped"
  restarts=$((restarts + 1))
done
`;

/** Quotes one word for POSIX sh: single quotes, with `'` written as `'\''`. */
export function shQuote(word: string): string {
  if (word.includes('\0')) throw new Error('a shell word cannot contain a NUL byte');
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

/** A name sh can `export`: letters, digits and `_`, not starting with a digit. */
export function isShellName(name: string): boolean {
  return /^[A-Za-z_][A-Za-z0-9_]*$/.test(name);
}

/** Signals the supervisor accepts for kill_signal, without the SIG prefix. */
const SIGNALS = new Set([
  'HUP',
  'INT',
  'QUIT',
  'ILL',
  'TRAP',
  'ABRT',
  'BUS',
  'FPE',
  'KILL',
  'USR1',
  'SEGV',
  'USR2',
  'PIPE',
  'ALRM',
  'TERM',
  'CHLD',
  'CONT',
  'STOP',
  'TSTP',
  'TTIN',
  'TTOU',
  'URG',
  'XCPU',
  'XFSZ',
  'VTALRM',
  'PROF',
  'WINCH',
  'IO',
  'SYS',
]);

/** `SIGTERM`, `sigterm` or `TERM` → `TERM`; undefined for anything `kill -s` would not know. */
export function signalName(signal: string): string | undefined {
  const bare = signal.trim().toUpperCase().replace(/^SIG/, '');
  return SIGNALS.has(bare) ? bare : undefined;
}

/**
 * `task.env`: one `export NAME='value'` line per variable sh can export, sorted for stable
 * output. Names sh cannot export (Nomad allows `NOMAD_META_a.b`) go to `task.envargs`.
 */
export function renderEnvFile(env: Readonly<Record<string, string>>): string {
  const lines = Object.keys(env)
    .filter(isShellName)
    .sort()
    .map((name) => `export ${name}=${shQuote(env[name] ?? '')}`);
  return lines.join('\n') + '\n';
}

/**
 * `task.envargs`: `set -- 'NAME=value' …` for the variables sh cannot export. They become the
 * first words of `env -- "$@"`, which sets them and then executes the argv.
 */
export function renderEnvArgsFile(env: Readonly<Record<string, string>>): string {
  const words = Object.keys(env)
    .filter((name) => !isShellName(name) && name !== '' && !name.includes('='))
    .sort()
    .map((name) => shQuote(`${name}=${env[name] ?? ''}`));
  return ['set --', ...words].join(' ') + '\n';
}

/** `task.argv`: the argv appended to the words `task.envargs` set. */
export function renderArgvFile(argv: readonly string[]): string {
  if (argv.length === 0) throw new Error('a task needs a command');
  return `set -- "$@" ${argv.map(shQuote).join(' ')}\n`;
}

export interface SupervisorConfig {
  task: string;
  /** `<alloc_dir>/alloc/logs`. */
  logDir: string;
  /** The task's `logs` block: files kept per stream, MB per file, or no logs at all. */
  logs: LogRotation;
  restart: { attempts: number; intervalMs: number; delayMs: number; mode: 'fail' | 'delay' };
  /** `kill -s` name, e.g. `INT`. */
  killSignal: string;
  killTimeoutMs: number;
}

export interface LogRotation {
  maxFiles: number;
  maxFileSizeMb: number;
  disabled: boolean;
}

/** `supervisor.conf`: shell assignments the supervisor sources. */
export function renderSupervisorConf(conf: SupervisorConfig): string {
  const values: [string, string][] = [
    ['TASK', conf.task],
    ['LOG_DIR', conf.logDir],
    // At least one file of at least one byte: Nomad's validation refuses less anyway.
    ['LOG_MAX_FILES', String(Math.max(1, Math.trunc(conf.logs.maxFiles)))],
    ['LOG_MAX_BYTES', String(Math.max(1, Math.trunc(conf.logs.maxFileSizeMb * MB)))],
    ['LOG_DISABLED', conf.logs.disabled ? '1' : '0'],
    ['ATTEMPTS', String(Math.max(0, Math.trunc(conf.restart.attempts)))],
    // Whole seconds: the restart window is compared with `date +%s`.
    ['INTERVAL_S', String(Math.max(0, Math.ceil(conf.restart.intervalMs / 1000)))],
    ['DELAY', seconds(conf.restart.delayMs)],
    ['MODE', conf.restart.mode],
    ['KILL_SIGNAL', conf.killSignal],
    ...killTimeoutAssignment(conf.killTimeoutMs),
  ];
  return values.map(([k, v]) => `${k}=${shQuote(v)}`).join('\n') + '\n';
}

/** The `stop` file: the kill signal and timeout drover wants now, overriding the conf. */
export function renderStopFile(killSignal: string, killTimeoutMs: number): string {
  const values: [string, string][] = [
    ['KILL_SIGNAL', killSignal],
    ...killTimeoutAssignment(killTimeoutMs),
  ];
  return values.map(([k, v]) => `${k}=${shQuote(v)}`).join('\n') + '\n';
}

const MB = 1024 * 1024;

/** Tenths of a second, the supervisor's polling step. */
function killTimeoutAssignment(ms: number): [string, string][] {
  return [['KILL_TIMEOUT_DS', String(Math.max(0, Math.ceil(ms / 100)))]];
}

/** Milliseconds as a `sleep` operand: "15", "0.5". */
function seconds(ms: number): string {
  const s = Math.max(0, ms) / 1000;
  return Number.isInteger(s) ? String(s) : s.toFixed(3).replace(/0+$/, '');
}

/**
 * Starts the supervisor of `taskDir`, detached: a new session (setsid, twice so that it forks
 * without `&`, see above), no terminal, stdio to supervisor.log. Falls back to nohup + `&` on a
 * host without setsid (the task then starts with SIGINT ignored).
 */
export function supervisorLaunchCommand(taskDir: string): string {
  const dir = shQuote(taskDir);
  const run = `sh ./${SUPERVISOR_FILES.script} run ${dir} </dev/null >>${SUPERVISOR_FILES.log} 2>&1`;
  return [
    `cd ${dir} || exit 1`,
    `if command -v setsid >/dev/null 2>&1; then setsid setsid ${run}; else nohup ${run} & fi`,
  ].join('\n');
}

/**
 * Prints a task's STREAM across its rotated files, oldest first: everything, or the last TAIL
 * lines (TAIL >= 0), then with FOLLOW=1 what is written next, into whichever file the rotator
 * has moved on to. Usage: `sh -c LOG_READ_SCRIPT sh BASE TAIL FOLLOW` with BASE
 * `<logs>/<task>.<stream>`. What it prints is measured first (the newest file up to its size
 * then), so following neither repeats nor skips a byte. A file once its successor exists is
 * complete: the rotator has one writer and moves on only when a file is full.
 */
export const LOG_READ_SCRIPT = String.raw`base=$1 tail=$2 follow=$3
indexes() {
  for f in "$base".*; do
    i=${'${'}f##*.}
    case $i in '' | *[!0-9]*) continue ;; esac
    [ -f "$f" ] && echo "$i"
  done | sort -n
}
files=$(indexes)
last=0
for i in $files; do last=$i; done
end=0
[ -f "$base.$last" ] && end=$(($(wc -c <"$base.$last")))
first=0
if [ "$tail" -ge 0 ]; then
  lines=0
  for i in $(printf '%s
' $files | sort -rn); do
    first=$i
    [ "$i" = "$last" ] && n=$(head -c "$end" "$base.$i" | wc -l) || n=$(wc -l <"$base.$i")
    lines=$((lines + n))
    [ "$lines" -ge "$tail" ] && break
  done
fi
emit() {
  for i in $files; do
    [ "$i" -lt "$first" ] && continue
    if [ "$i" = "$last" ]; then head -c "$end" "$base.$i"; else cat "$base.$i"; fi
  done 2>/dev/null
}
if [ "$tail" -ge 0 ]; then emit | tail -n "$tail"; else emit; fi
[ "$follow" = 1 ] || exit 0
if sleep 0.01 2>/dev/null; then tick=0.25; else tick=1; fi
idx=$last off=$end
while :; do
  if [ -e "$base.$((idx + 1))" ]; then complete=1; else complete=0; fi
  size=0
  [ -f "$base.$idx" ] && size=$(($(wc -c <"$base.$idx")))
  if [ "$size" -gt "$off" ]; then
    tail -c +"$((off + 1))" "$base.$idx" | head -c "$((size - off))"
    off=$size
  fi
  if [ "$complete" = 1 ]; then idx=$((idx + 1)) off=0; else sleep "$tick"; fi
done
`;

/** The argv that prints a task's log (see LOG_READ_SCRIPT); tail undefined: every line. */
export function logReadArgv(
  logDir: string,
  task: string,
  stream: LogStream,
  opts: { tail?: number; follow: boolean },
): string[] {
  const tail = opts.tail === undefined ? -1 : Math.max(0, Math.trunc(opts.tail));
  return [
    'sh',
    '-c',
    LOG_READ_SCRIPT,
    'sh',
    `${logDir}/${task}.${stream}`,
    String(tail),
    opts.follow ? '1' : '0',
  ];
}
