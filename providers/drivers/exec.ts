/**
 * The `exec` driver: Nomad's isolated fork/exec, as far as a host reached without an agent
 * allows. The task runs under the POSIX-sh supervisor of raw_exec (process-common.ts), through a
 * small wrapper (`isolate.sh`) that
 *   - joins a cgroup v2 of its own (`<cgroup2 mount>/drover.slice/<alloc>.<task>.scope`, with
 *     `memory.max` and `cpu.weight`) when the SSH user may create and enter one,
 *   - else lowers `ulimit -v` to the memory limit (address space, a cruder bound),
 *   - resolves a bare command in `local/` and the task directory first, as Nomad does,
 *   - and drops to the task's `user` with setpriv, runuser or su when drover runs as root.
 * Nomad's chroot, PID/IPC namespaces and capabilities are not built: `detect` says what a host
 * offers (`driver.exec.cgroups`, `driver.exec.user_switch`). The java driver reuses this layer.
 */
import { posix } from 'node:path';
import type { NormalizedTask as Task } from '../../src/generated/normalized-job.js';
import type { DriverHandle } from '../../src/state/types.js';
import { MEMORY_NO_LIMIT } from '../../src/jobspec/rules.js';
import type {
  ConfigProblem,
  Detection,
  ExecOptions,
  ShellDetection,
  TaskContext,
  Transport,
} from '../types.js';
import { ProcessDriver } from './process-driver.js';
import {
  CLEANUP_FILE,
  START_INFO_FILE,
  execInProcessTask,
  hereDocument,
  startProcessTask,
  taskLayout,
  type ProcessTaskHandle,
  type TaskLayout,
} from './process-common.js';
import { shQuote } from './supervisor.js';

const NAME = 'exec';

// ---------------------------------------------------------------------------------------------
// Config validation (shared with java)

/** A JSON pointer to a key of the config block. */
export function keyPointer(key: string): string {
  return `/${key.replace(/~/g, '~0').replace(/\//g, '~1')}`;
}

/** Problems of an optional string attribute; `required` adds the missing-argument error. */
export function stringProblems(
  config: Record<string, unknown>,
  key: string,
  opts: { required?: string } = {},
): ConfigProblem[] {
  const value = config[key];
  if (value === undefined || value === null) {
    return opts.required === undefined
      ? []
      : [{ pointer: '', summary: 'Missing required argument', detail: opts.required }];
  }
  const pointer = keyPointer(key);
  if (typeof value !== 'string') {
    return [
      { pointer, summary: 'Incorrect attribute value type', detail: `"${key}" must be a string.` },
    ];
  }
  if (value.trim() === '') {
    return [{ pointer, summary: 'Invalid value', detail: `"${key}" must not be empty.` }];
  }
  return value.includes('\0') ? [nulProblem(pointer)] : [];
}

/** Problems of an optional list-of-strings attribute. */
export function stringListProblems(config: Record<string, unknown>, key: string): ConfigProblem[] {
  const value = config[key];
  if (value === undefined || value === null) return [];
  const pointer = keyPointer(key);
  if (!Array.isArray(value)) {
    return [
      {
        pointer,
        summary: 'Incorrect attribute value type',
        detail: `"${key}" must be a list of strings.`,
      },
    ];
  }
  const problems: ConfigProblem[] = [];
  value.forEach((item: unknown, i) => {
    // Numbers and bools convert to strings, as HCL does for Nomad's list(string) arguments.
    if (typeof item === 'number' || typeof item === 'boolean') return;
    if (typeof item !== 'string') {
      problems.push({
        pointer: `${pointer}/${i}`,
        summary: 'Incorrect attribute value type',
        detail: `Element ${i} of "${key}" must be a string.`,
      });
    } else if (item.includes('\0')) {
      problems.push(nulProblem(`${pointer}/${i}`));
    }
  });
  return problems;
}

/**
 * Keys the driver does not read: a warning for Nomad options drover accepts but does not apply,
 * an error for anything else.
 */
export function unknownKeyProblems(
  driver: string,
  config: Record<string, unknown>,
  known: readonly string[],
  notApplied: Readonly<Record<string, string>>,
): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  const a = /^[aeiou]/.test(driver) ? 'an' : 'a';
  for (const key of Object.keys(config)) {
    if (known.includes(key)) continue;
    const why = notApplied[key];
    problems.push(
      why !== undefined
        ? {
            pointer: keyPointer(key),
            severity: 'warning',
            summary: 'Option not applied',
            detail: `"${key}" is ${a} ${driver} option of Nomad that drover accepts but does not apply: ${why}.`,
          }
        : {
            pointer: keyPointer(key),
            summary: 'Unsupported argument',
            detail: `An argument named "${key}" is not expected in ${a} ${driver} config; it takes ${known.map((k) => `"${k}"`).join(', ')}.`,
          },
    );
  }
  return problems;
}

function nulProblem(pointer: string): ConfigProblem {
  return {
    pointer,
    summary: 'Invalid value',
    detail: 'A program argument cannot contain a NUL character.',
  };
}

/** Nomad options of exec (and java) that need namespaces or capabilities drover does not set. */
export const NAMESPACE_OPTIONS: Readonly<Record<string, string>> = {
  pid_mode: 'tasks share the host PID namespace',
  ipc_mode: 'tasks share the host IPC namespace',
  cap_add: 'tasks keep the capabilities of their user',
  cap_drop: 'tasks keep the capabilities of their user',
};

const EXEC_KEYS = ['command', 'args'] as const;

/** Checks an exec `config` block: `command` a non-empty string, `args` a list of strings. */
export function validateExecConfig(config: Record<string, unknown>): ConfigProblem[] {
  return [
    ...stringProblems(config, 'command', {
      required: 'The exec driver needs "command", the program to run.',
    }),
    ...stringListProblems(config, 'args'),
    ...unknownKeyProblems(NAME, config, EXEC_KEYS, {
      ...NAMESPACE_OPTIONS,
      work_dir: 'tasks start in their task directory',
    }),
  ];
}

/** The argv a valid exec config runs. */
export function execArgv(config: Record<string, unknown> | undefined): string[] {
  const command = config?.command;
  if (typeof command !== 'string' || command === '') {
    throw new Error('exec: the task config has no "command"');
  }
  const args = Array.isArray(config?.args) ? config.args : [];
  return [command, ...args.map((a: unknown) => String(a))];
}

// ---------------------------------------------------------------------------------------------
// Isolation: what to apply, from the task

/** Programs that start a command as another user, in the order drover tries them. */
export type UserSwitchTool = 'setpriv' | 'runuser' | 'su';
export const USER_SWITCH_TOOLS: readonly UserSwitchTool[] = ['setpriv', 'runuser', 'su'];

/** What the host side of a task's isolation is asked to apply. */
export interface IsolationSpec {
  /** `memory.max` (and the ulimit fallback), MB: memory_max when set, else memory. */
  memoryMaxMb?: number;
  /** `memory.low`, MB: the reserved memory when memory_max raises the ceiling above it. */
  memoryLowMb?: number;
  /** `cpu.weight`, from the task's CPU shares (MHz). */
  cpuWeight?: number;
  /** Lower `ulimit -v` to memoryMaxMb when no cgroup can be had. */
  ulimitFallback: boolean;
  /** Run as this user (task.user). */
  user?: string;
  /** Resolve a bare command in `local/` and the task directory first (Nomad's exec). */
  resolveCommand: boolean;
  /** Login variables to set for the task's user, those the task's env does not set itself. */
  loginVars: string[];
}

/** Host-side knobs: where cgroups live, which user-switching programs to try. */
export interface IsolationOptions {
  /**
   * The cgroup v2 directory under which `drover.slice` is made and used. Default: the host's
   * cgroup2 mount point (from /proc/self/mounts).
   */
  cgroupRoot?: string;
  /** Default: setpriv, runuser, su. */
  userSwitch?: readonly UserSwitchTool[];
}

/**
 * cgroup v2's `cpu.weight` (1..10000) for cgroup v1 CPU shares (2..262144), on the curve current
 * container runtimes use: log-quadratic through 2 → 1, 1024 → 100 and 262144 → 10000, so a
 * task's default-like share stays near the default weight.
 */
export function cpuWeight(shares: number): number | undefined {
  if (!Number.isFinite(shares) || shares <= 0) return undefined;
  if (shares <= 2) return 1;
  if (shares >= 262_144) return 10_000;
  const l = Math.log2(shares);
  const exponent = (l * l + 125 * l) / 612 - 7 / 34;
  return Math.min(10_000, Math.max(1, Math.ceil(10 ** exponent)));
}

/** The isolation a task asks for: its resources and user. */
export function isolationSpec(
  task: Task,
  env: Readonly<Record<string, string>>,
  opts: { ulimitFallback: boolean; resolveCommand: boolean },
): IsolationSpec {
  const memory = positive(task.resources.memory);
  const memoryMax = positive(task.resources.memory_max);
  const weight = cpuWeight(task.resources.cpu);
  const user = task.user?.trim() ? task.user.trim() : undefined;
  // memory_max = -1 (Nomad's no-limit sentinel): no memory limit, hence no task cgroup either
  // (the cgroup is made only with a memory limit), so cpu.weight is not applied then.
  const unlimited = task.resources.memory_max === MEMORY_NO_LIMIT;
  return {
    ...(unlimited
      ? {}
      : memoryMax !== undefined && (memory === undefined || memoryMax > memory)
        ? { memoryMaxMb: memoryMax, ...(memory !== undefined ? { memoryLowMb: memory } : {}) }
        : memory !== undefined
          ? { memoryMaxMb: memory }
          : {}),
    ...(weight !== undefined ? { cpuWeight: weight } : {}),
    ulimitFallback: opts.ulimitFallback,
    ...(user !== undefined ? { user } : {}),
    resolveCommand: opts.resolveCommand,
    loginVars: ['HOME', 'USER', 'LOGNAME'].filter((name) => !(name in env)),
  };
}

function positive(n: number | undefined): number | undefined {
  return n !== undefined && Number.isFinite(n) && n > 0 ? Math.trunc(n) : undefined;
}

/** A user name or uid drover passes to id(1) and the switching programs. */
export function isUserName(user: string): boolean {
  return /^[A-Za-z0-9_][A-Za-z0-9_.-]*\$?$/.test(user);
}

// ---------------------------------------------------------------------------------------------
// Isolation: host-side scripts

/** Files the isolation layer adds to the task directory. */
export const ISOLATION_FILES = {
  wrapper: 'isolate.sh',
  conf: 'isolation.conf',
} as const;

/** Where drover's cgroups live under the cgroup root, and the name of a task's own one. */
export const CGROUP_PARENT = 'drover.slice';
export function cgroupScopeName(allocId: string, task: string): string {
  return `${allocId}.${task}.scope`;
}

/**
 * Shell functions shared by detect and start. `cg_parent` prints `<root>/drover.slice` once the
 * memory (and, where there is one, cpu) controller is enabled for its children; `cg_scope` makes
 * one child with the limits and checks that a process may move into it (moving needs write
 * access to cgroup.procs of the common ancestor as well, which a non-root SSH session rarely has).
 * Writes go through `{ …; } 2>/dev/null` because a failed redirection reports before `2>` applies.
 */
const CGROUP_FUNCTIONS = String.raw`has_word() { case " $1 " in *" $2 "*) return 0 ;; esac; return 1; }
cg_read() { v=; [ -r "$1" ] && read -r v <"$1"; echo "$v"; }
cg_root() {
  if [ -n "$CG_ROOT" ]; then echo "$CG_ROOT"; return 0; fi
  [ -r /proc/self/mounts ] || return 1
  while read -r _ mnt type _; do
    [ "$type" = cgroup2 ] && { echo "$mnt"; return 0; }
  done </proc/self/mounts
  return 1
}
cg_enable() { # DIR CONTROLLER...
  d=$1; shift
  for c in "$@"; do
    has_word "$(cg_read "$d/cgroup.subtree_control")" "$c" || { echo "+$c" >"$d/cgroup.subtree_control"; } 2>/dev/null
  done
  has_word "$(cg_read "$d/cgroup.subtree_control")" memory
}
cg_parent() {
  root=$(cg_root) || return 1
  [ -n "$root" ] && [ -d "$root" ] || return 1
  avail=$(cg_read "$root/cgroup.controllers")
  has_word "$avail" memory || return 1
  want=memory; has_word "$avail" cpu && want="memory cpu"
  cg_enable "$root" $want || return 1
  [ -d "$root/${CGROUP_PARENT}" ] || mkdir "$root/${CGROUP_PARENT}" 2>/dev/null || return 1
  cg_enable "$root/${CGROUP_PARENT}" $want || return 1
  echo "$root/${CGROUP_PARENT}"
}
cg_scope() { # PARENT NAME MEMORY_MAX MEMORY_LOW CPU_WEIGHT
  s="$1/$2"
  [ -d "$s" ] || mkdir "$s" 2>/dev/null || return 1
  { echo "$3" >"$s/memory.max"; } 2>/dev/null || { rmdir "$s" 2>/dev/null; return 1; }
  [ -n "$4" ] && { echo "$4" >"$s/memory.low"; } 2>/dev/null
  [ -n "$5" ] && { echo "$5" >"$s/cpu.weight"; } 2>/dev/null
  sh -c 'echo $$ >"$1/cgroup.procs"' sh "$s" 2>/dev/null || { rmdir "$s" 2>/dev/null; return 1; }
  echo "$s"
}`;

/**
 * The rest of the task's start set-up, after the variables the TypeScript side sets: the cgroup
 * (or the ulimit fallback), the user (looked up, allowed, its directories handed over), then the
 * wrapper's conf, the cleanup hook's inputs and the handle's `start.info` lines.
 */
const PREPARE_BODY = String.raw`q() { printf "'%s'" "$(printf '%s' "$1" | sed "s/'/'\\''/g")"; }
CGROUP= ULIMIT_V_KB= SWITCH= RUN_UID= RUN_GID= RUN_HOME= memory_limit=none
if [ -n "$MEM_MAX_MB" ]; then
  if parent=$(cg_parent) && CGROUP=$(cg_scope "$parent" "$SCOPE_NAME" $((MEM_MAX_MB * 1048576)) "$([ -n "$MEM_LOW_MB" ] && echo $((MEM_LOW_MB * 1048576)))" "$CPU_WEIGHT"); then
    memory_limit=cgroup
  elif [ "$ULIMIT_FALLBACK" = 1 ]; then
    CGROUP= ULIMIT_V_KB=$((MEM_MAX_MB * 1024)) memory_limit=ulimit
  else
    CGROUP=
  fi
fi
if [ -n "$RUN_USER" ]; then
  RUN_UID=$(id -u "$RUN_USER" 2>/dev/null) && RUN_GID=$(id -g "$RUN_USER" 2>/dev/null) || {
    echo "there is no user \"$RUN_USER\" on this host (task user)" >&2; exit 1; }
  if [ "$RUN_UID" != "$(id -u)" ]; then
    if [ "$(id -u)" != 0 ]; then
      echo "the task runs as \"$RUN_USER\", which needs root, and drover connects as \"$(id -un 2>/dev/null || id -u)\"" >&2; exit 1
    fi
    for t in $SWITCH_TOOLS; do command -v "$t" >/dev/null 2>&1 && { SWITCH=$t; break; }; done
    [ -n "$SWITCH" ] || { echo "the task runs as \"$RUN_USER\" but none of $SWITCH_TOOLS is installed" >&2; exit 1; }
    RUN_HOME=$( { getent passwd "$RUN_USER" || awk -F: -v u="$RUN_USER" '$1 == u' /etc/passwd; } 2>/dev/null | head -n 1 | cut -d: -f6)
    own_dirs "$RUN_UID:$RUN_GID" || exit 1
    share_dirs || exit 1
  fi
fi
{
  echo "CGROUP=$(q "$CGROUP")"
  echo "ULIMIT_V_KB=$(q "$ULIMIT_V_KB")"
  echo "RESOLVE=$(q "$RESOLVE")"
  echo "SWITCH=$(q "$SWITCH")"
  echo "RUN_USER=$(q "$RUN_USER")"
  echo "RUN_UID=$(q "$RUN_UID")"
  echo "RUN_GID=$(q "$RUN_GID")"
  echo "RUN_HOME=$(q "$RUN_HOME")"
  echo "LOGIN_VARS=$(q "$LOGIN_VARS")"
} >${ISOLATION_FILES.conf} || exit 1
{
  echo "handle.memory_limit=$memory_limit"
  [ -n "$CGROUP" ] && echo "handle.cgroup=$CGROUP"
  [ -n "$RUN_USER" ] && echo "handle.user=$RUN_USER"
} >${START_INFO_FILE}
exit 0`;

/**
 * `isolate.sh COMMAND [ARG…]`: what runs between the supervisor's attempt and the task, in the
 * same process (every step `exec`s), so signals and the exit code stay the task's.
 */
export const ISOLATE_SCRIPT = String.raw`# drover: joins the task's cgroup, applies the fallback memory limit, resolves the command as
# Nomad's exec driver does and runs it as the task's user. providers/drivers/exec.ts explains.
. "$(dirname "$0")/${ISOLATION_FILES.conf}" || exit 126
if [ -n "$CGROUP" ]; then
  { echo $$ >"$CGROUP/cgroup.procs"; } 2>/dev/null || { echo "drover: cannot enter cgroup $CGROUP" >&2; exit 126; }
fi
if [ -n "$ULIMIT_V_KB" ]; then
  # Fails only when the hard limit is lower still, which then bounds the task already.
  { ulimit -v "$ULIMIT_V_KB"; } 2>/dev/null
fi
cmd=$1
if [ "$RESOLVE" = 1 ]; then
  case $cmd in
    */*) ;;
    *) for d in local .; do
         if [ -f "$d/$cmd" ]; then
           cmd=$d/$cmd
           [ -x "$cmd" ] || chmod +x "$cmd" 2>/dev/null
           break
         fi
       done ;;
  esac
fi
shift
set -- "$cmd" "$@"
if [ -n "$SWITCH" ]; then
  for v in $LOGIN_VARS; do
    case $v in HOME) [ -n "$RUN_HOME" ] && export HOME="$RUN_HOME" ;; USER | LOGNAME) export "$v=$RUN_USER" ;; esac
  done
  case $SWITCH in
    setpriv) exec setpriv --reuid="$RUN_UID" --regid="$RUN_GID" --init-groups -- "$@" ;;
    runuser) exec runuser -u "$RUN_USER" -- "$@" ;;
    su)
      # util-linux su -c puts the command in a session of its own, out of reach of the
      # supervisor's signals to the task's process group; --session-command keeps it there.
      if su --help 2>&1 | grep -q -e --session-command; then
        exec su -s /bin/sh --session-command 'exec "$0" "$@"' -- "$RUN_USER" "$@"
      fi
      exec su -s /bin/sh -c 'exec "$0" "$@"' -- "$RUN_USER" "$@" ;;
  esac
  echo "drover: unknown user switch $SWITCH" >&2
  exit 126
fi
exec "$@"
`;

/**
 * The cleanup hook (run once the task is dead, by stop and destroy): ends whatever is left in the
 * task's cgroup, even processes that left the task's process group, and removes the cgroup.
 * Only a directory with the kernel's cgroup.controllers is treated as a live cgroup.
 */
export const CLEANUP_SCRIPT = String.raw`. ./${ISOLATION_FILES.conf} 2>/dev/null || exit 0
[ -n "$CGROUP" ] && [ -d "$CGROUP" ] || exit 0
if [ -f "$CGROUP/cgroup.controllers" ]; then
  if [ -f "$CGROUP/cgroup.kill" ]; then
    { echo 1 >"$CGROUP/cgroup.kill"; } 2>/dev/null
  else
    while read -r p; do kill -s KILL "$p" 2>/dev/null; done <"$CGROUP/cgroup.procs"
  fi
  if sleep 0.01 2>/dev/null; then tick=0.1 n=50; else tick=1 n=5; fi
  while [ -n "$(cat "$CGROUP/cgroup.procs" 2>/dev/null)" ] && [ "$n" -gt 0 ]; do sleep "$tick"; n=$((n - 1)); done
fi
rmdir "$CGROUP" 2>/dev/null
exit 0
`;

/** Shell assignments, one per line, values quoted. */
function assignments(values: Readonly<Record<string, string>>): string {
  return Object.entries(values)
    .map(([k, v]) => `${k}=${shQuote(v)}`)
    .join('\n');
}

/**
 * The `prepare` step of a task's start (run in its task directory): writes the wrapper and the
 * cleanup hook, sets up the cgroup or the fallback and the user, and records what it applied.
 */
export function buildPrepareScript(
  layout: TaskLayout,
  ids: { allocId: string; task: string },
  spec: IsolationSpec,
  opts: IsolationOptions = {},
): string {
  const q = shQuote;
  if (spec.user !== undefined && !isUserName(spec.user)) {
    throw new Error(`task user ${JSON.stringify(spec.user)} is not a user name`);
  }
  return [
    hereDocument(posix.join(layout.taskDir, ISOLATION_FILES.wrapper), ISOLATE_SCRIPT),
    hereDocument(posix.join(layout.taskDir, CLEANUP_FILE), CLEANUP_SCRIPT),
    assignments({
      CG_ROOT: opts.cgroupRoot ?? '',
      SCOPE_NAME: cgroupScopeName(ids.allocId, ids.task),
      MEM_MAX_MB: spec.memoryMaxMb === undefined ? '' : String(spec.memoryMaxMb),
      MEM_LOW_MB: spec.memoryLowMb === undefined ? '' : String(spec.memoryLowMb),
      CPU_WEIGHT: spec.cpuWeight === undefined ? '' : String(spec.cpuWeight),
      ULIMIT_FALLBACK: spec.ulimitFallback ? '1' : '',
      RUN_USER: spec.user ?? '',
      SWITCH_TOOLS: (opts.userSwitch ?? USER_SWITCH_TOOLS).join(' '),
      LOGIN_VARS: spec.loginVars.join(' '),
      RESOLVE: spec.resolveCommand ? '1' : '',
    }),
    // The task's own directories go to its user; the allocation's shared ones are open to all.
    `own_dirs() { chown -R "$1" ${[layout.localDir, layout.secretsDir, layout.tmpDir].map(q).join(' ')}; }`,
    `share_dirs() { chmod 1777 ${[layout.dataDir, layout.sharedTmpDir].map(q).join(' ')}; }`,
    CGROUP_FUNCTIONS,
    PREPARE_BODY,
  ].join('\n');
}

/** The argv the supervisor runs: the task's argv behind the wrapper. */
export function isolatedArgv(layout: TaskLayout, argv: readonly string[]): string[] {
  return ['sh', posix.join(layout.taskDir, ISOLATION_FILES.wrapper), ...argv];
}

/** Starts a task behind the isolation layer (exec and java). */
export async function startIsolatedTask(
  driver: string,
  ctx: TaskContext,
  argv: readonly string[],
  spec: IsolationSpec,
  opts: IsolationOptions = {},
): Promise<ProcessTaskHandle> {
  const layout = taskLayout(ctx.allocDir, ctx.task.name);
  const prepare = buildPrepareScript(
    layout,
    { allocId: ctx.allocId, task: ctx.task.name },
    spec,
    opts,
  );
  return startProcessTask(driver, ctx, isolatedArgv(layout, argv), { prepare });
}

/** `drover exec` inside the task's isolation: its cgroup and user. */
export async function execIsolated(
  handle: ProcessTaskHandle,
  transport: Transport,
  argv: readonly string[],
  opts: ExecOptions,
): Promise<number> {
  if (argv.length === 0) throw new Error('exec needs a command');
  return execInProcessTask(
    handle,
    transport,
    isolatedArgv(taskLayout(handle.alloc_dir, handle.task), argv),
    opts,
  );
}

// ---------------------------------------------------------------------------------------------
// Detection

/** What a host offers the exec driver. */
export interface ExecHostFacts {
  tools: Set<string>;
  cgroups: 'v2' | 'none';
  userSwitch: UserSwitchTool | 'none';
}

/**
 * One round trip: the supervisor's tools, whether a task cgroup with a memory limit can be made
 * and entered (made and removed again), and how drover could switch users (root only).
 */
export function buildExecDetectScript(opts: IsolationOptions = {}): string {
  const tools = (opts.userSwitch ?? USER_SWITCH_TOOLS).join(' ');
  return [
    'for c in mkfifo setsid env; do command -v "$c" >/dev/null 2>&1 && echo "tool=$c"; done',
    assignments({ CG_ROOT: opts.cgroupRoot ?? '' }),
    CGROUP_FUNCTIONS,
    'if parent=$(cg_parent) && s=$(cg_scope "$parent" "probe-$$.scope" max "" ""); then',
    '  rmdir "$s" 2>/dev/null; echo cgroups=v2',
    'else echo cgroups=none; fi',
    'sw=none',
    `if [ "$(id -u)" = 0 ]; then for t in ${tools}; do command -v "$t" >/dev/null 2>&1 && { sw=$t; break; }; done; fi`,
    'echo "user_switch=$sw"',
  ].join('\n');
}

export function parseExecDetect(stdout: string): ExecHostFacts {
  const tools = new Set<string>();
  let cgroups: ExecHostFacts['cgroups'] = 'none';
  let userSwitch: ExecHostFacts['userSwitch'] = 'none';
  for (const line of stdout.split('\n')) {
    const [key, value = ''] = line.split('=', 2);
    if (key === 'tool') tools.add(value);
    else if (key === 'cgroups' && value === 'v2') cgroups = 'v2';
    else if (key === 'user_switch' && (USER_SWITCH_TOOLS as readonly string[]).includes(value)) {
      userSwitch = value as UserSwitchTool;
    }
  }
  return { tools, cgroups, userSwitch };
}

// ---------------------------------------------------------------------------------------------
// The driver

/**
 * A process driver whose tasks run isolated (exec, java): it keeps the isolation options its
 * starts use, and `drover exec` enters the task's isolation.
 */
export abstract class IsolatedProcessDriver extends ProcessDriver {
  protected readonly opts: IsolationOptions;

  constructor(opts: IsolationOptions = {}) {
    super();
    this.opts = opts;
  }

  override async exec(
    handle: DriverHandle,
    transport: Transport,
    argv: readonly string[],
    opts: ExecOptions,
  ): Promise<number> {
    return execIsolated(this.handle(handle), transport, argv, opts);
  }
}

export class ExecDriver extends IsolatedProcessDriver {
  readonly name = NAME;

  validateConfig(config: Record<string, unknown>): ConfigProblem[] {
    return validateExecConfig(config);
  }

  /**
   * Needs sh, mkfifo and env (healthy with setsid too). Attributes: `driver.exec = "1"`,
   * `driver.exec.cgroups` ("v2" when tasks get a cgroup with memory and CPU limits, "none" when
   * they get `ulimit -v` instead) and `driver.exec.user_switch` (the program that runs tasks as
   * their `user`, "none" when drover does not connect as root).
   */
  shellDetection(): ShellDetection {
    return {
      script: buildExecDetectScript(this.opts),
      timeoutMs: 15_000,
      read(r): Detection {
        const facts = parseExecDetect(r.stdout);
        const detected = r.code === 0 && facts.tools.has('mkfifo') && facts.tools.has('env');
        return {
          detected,
          healthy: detected && facts.tools.has('setsid'),
          attributes: detected
            ? {
                'driver.exec': '1',
                'driver.exec.cgroups': facts.cgroups,
                'driver.exec.user_switch': facts.userSwitch,
              }
            : {},
        };
      },
    };
  }

  async start(ctx: TaskContext): Promise<DriverHandle> {
    const spec = isolationSpec(ctx.task, ctx.env, { ulimitFallback: true, resolveCommand: true });
    return startIsolatedTask(NAME, ctx, this.taskArgv(ctx), spec, this.opts);
  }

  protected taskArgv(ctx: TaskContext): string[] {
    return execArgv(ctx.task.config);
  }
}
