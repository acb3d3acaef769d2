/**
 * The `java` driver: Nomad's java driver on the exec driver's isolation layer (exec.ts) and the
 * POSIX-sh supervisor. It runs `java [-Xmx<memory>m] [jvm_options] [-cp class_path]
 * (-jar jar_path | class) [args]` in the task directory, `java` from the host's PATH.
 * The heap gets the task's memory unless the options (or the task's JAVA_TOOL_OPTIONS,
 * JDK_JAVA_OPTIONS, _JAVA_OPTIONS) size it; a cgroup bounds the whole JVM where the host allows,
 * and there is no `ulimit -v` fallback because a JVM reserves far more address space than heap.
 */
import type { DriverHandle } from '../../src/state/types.js';
import type { ConfigProblem, Detection, ShellDetection, TaskContext } from '../types.js';
import {
  IsolatedProcessDriver,
  NAMESPACE_OPTIONS,
  isolationSpec,
  startIsolatedTask,
  stringListProblems,
  stringProblems,
  unknownKeyProblems,
} from './exec.js';

const NAME = 'java';

// ---------------------------------------------------------------------------------------------
// Config

/** The task config keys java reads, as Nomad names them. */
export interface JavaConfig {
  jar_path?: string;
  class?: string;
  class_path?: string;
  jvm_options?: string[];
  args?: string[];
}

const JAVA_KEYS = ['jar_path', 'class', 'class_path', 'jvm_options', 'args'] as const;

/** Checks a java `config` block: a jar or a class to run, strings and lists of strings. */
export function validateJavaConfig(config: Record<string, unknown>): ConfigProblem[] {
  const problems: ConfigProblem[] = [
    ...stringProblems(config, 'jar_path'),
    ...stringProblems(config, 'class'),
    ...stringProblems(config, 'class_path'),
    ...stringListProblems(config, 'jvm_options'),
    ...stringListProblems(config, 'args'),
  ];
  const given = (key: string): boolean => config[key] !== undefined && config[key] !== null;
  if (!given('jar_path') && !given('class')) {
    problems.push({
      pointer: '',
      summary: 'Missing required argument',
      detail:
        'The java driver needs "jar_path" (a jar whose manifest names the main class) or "class" (a main class, found on "class_path").',
    });
  }
  if (given('jar_path') && given('class')) {
    problems.push({
      pointer: '/class',
      severity: 'warning',
      summary: 'Class ignored',
      detail:
        'With "jar_path", java -jar runs the main class of the jar\'s manifest; "class" is passed to it as its first argument.',
    });
  }
  if (given('jar_path') && given('class_path')) {
    problems.push({
      pointer: '/class_path',
      severity: 'warning',
      summary: 'Class path ignored',
      detail:
        'With "jar_path", java -jar ignores -cp; list other jars in the Class-Path of the jar\'s manifest instead.',
    });
  }
  problems.push(
    ...unknownKeyProblems(NAME, config, JAVA_KEYS, {
      ...NAMESPACE_OPTIONS,
      work_dir: 'tasks start in their task directory',
    }),
  );
  return problems;
}

// ---------------------------------------------------------------------------------------------
// The command

/** JVM options that size the heap, after which drover adds no -Xmx. */
const HEAP_OPTION = /^-(Xmx|XX:MaxHeapSize=|XX:MaxRAM=|XX:MaxRAMPercentage=|XX:MaxRAMFraction=)/;

/** Whether the options, or a variable the JVM reads options from, size the heap. */
export function heapSized(
  jvmOptions: readonly string[],
  env: Readonly<Record<string, string>> = {},
): boolean {
  const fromEnv = ['JAVA_TOOL_OPTIONS', 'JDK_JAVA_OPTIONS', '_JAVA_OPTIONS'].flatMap((name) =>
    (env[name] ?? '').split(/\s+/),
  );
  return [...jvmOptions, ...fromEnv].some((option) => HEAP_OPTION.test(option));
}

/**
 * `java [-Xmx<memory>m] [jvm_options] [-cp class_path] (-jar jar_path | class) [args]`, in
 * Nomad's order; -Xmx from the task's memory (MB) when nothing else sizes the heap.
 */
export function javaArgv(
  config: Record<string, unknown> | undefined,
  memoryMb?: number,
  env: Readonly<Record<string, string>> = {},
): string[] {
  const str = (key: string): string | undefined => {
    const v = config?.[key];
    return typeof v === 'string' && v !== '' ? v : undefined;
  };
  const list = (key: string): string[] => {
    const v = config?.[key];
    return Array.isArray(v) ? v.map((x: unknown) => String(x)) : [];
  };
  const jar = str('jar_path');
  const main = str('class');
  if (jar === undefined && main === undefined) {
    throw new Error('java: the task config has neither "jar_path" nor "class"');
  }
  const jvm = list('jvm_options');
  const classPath = str('class_path');
  const heap =
    memoryMb !== undefined && Number.isFinite(memoryMb) && memoryMb > 0 && !heapSized(jvm, env)
      ? [`-Xmx${Math.trunc(memoryMb)}m`]
      : [];
  return [
    'java',
    ...heap,
    ...jvm,
    ...(classPath !== undefined ? ['-cp', classPath] : []),
    ...(jar !== undefined ? ['-jar', jar] : []),
    ...(main !== undefined ? [main] : []),
    ...list('args'),
  ];
}

// ---------------------------------------------------------------------------------------------
// Detection

export interface JavaVersion {
  /** `17.0.15`, `1.8.0_192`, `11.0.11`. */
  version: string;
  /** The runtime line: `OpenJDK Runtime Environment (build 17.0.15+6-Debian-1deb12u1)`. */
  runtime: string;
  /** The VM line: `OpenJDK 64-Bit Server VM (build 17.0.15+6-…, mixed mode, sharing)`. */
  vm: string;
}

/**
 * Reads `java -version` output (the JVM prints it on stderr): a version line
 * (`openjdk version "17.0.15" 2025-04-15`, `java version "1.8.0_80"`, `openjdk 11.0.11
 * 2021-04-20 LTS`), then the runtime line, then the VM line. Lines the JVM adds first about
 * picked-up option variables are skipped. Undefined when the shape is not that.
 */
export function parseJavaVersion(output: string): JavaVersion | undefined {
  const lines = output
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !/Picked up \S*_OPTIONS/.test(l));
  const [first, runtime, vm] = lines;
  if (first === undefined || runtime === undefined || vm === undefined) return undefined;
  const quoted = /"([^"]*)"/.exec(first)?.[1];
  const version = /\d[\d._]*/.exec(quoted ?? first)?.[0];
  if (version === undefined) return undefined;
  return { version: version.replace(/[._]+$/, ''), runtime, vm };
}

/** The supervisor's tools, then `java -version` (both streams) and its exit code. */
const JAVA_DETECT_SCRIPT = [
  'for c in mkfifo setsid env; do command -v "$c" >/dev/null 2>&1 && echo "tool=$c"; done',
  'echo "@@java"',
  'if command -v java >/dev/null 2>&1; then java -version 2>&1; echo "@@exit=$?"; else echo "@@exit=missing"; fi',
].join('\n');

export function parseJavaDetect(stdout: string): {
  tools: Set<string>;
  exit: string;
  java?: JavaVersion;
} {
  const marker = stdout.indexOf('@@java\n');
  const head = marker < 0 ? stdout : stdout.slice(0, marker);
  const rest = marker < 0 ? '' : stdout.slice(marker + '@@java\n'.length);
  const exitAt = rest.lastIndexOf('@@exit=');
  const exit = exitAt < 0 ? 'missing' : rest.slice(exitAt + '@@exit='.length).trim();
  const tools = new Set(
    head
      .split('\n')
      .filter((l) => l.startsWith('tool='))
      .map((l) => l.slice('tool='.length)),
  );
  const java = exit === '0' ? parseJavaVersion(rest.slice(0, exitAt)) : undefined;
  return { tools, exit, ...(java ? { java } : {}) };
}

// ---------------------------------------------------------------------------------------------
// The driver

export class JavaDriver extends IsolatedProcessDriver {
  readonly name = NAME;

  validateConfig(config: Record<string, unknown>): ConfigProblem[] {
    return validateJavaConfig(config);
  }

  /**
   * Detected when `java -version` runs (and the supervisor's tools are there); healthy with
   * setsid too. Fills Nomad's `driver.java`, `driver.java.version`, `driver.java.runtime` and
   * `driver.java.vm`.
   */
  shellDetection(): ShellDetection {
    return {
      script: JAVA_DETECT_SCRIPT,
      timeoutMs: 30_000,
      read(r): Detection {
        const facts = parseJavaDetect(r.stdout);
        const detected =
          r.code === 0 && facts.exit === '0' && facts.tools.has('mkfifo') && facts.tools.has('env');
        const attributes: Record<string, string> = {};
        if (detected) {
          attributes['driver.java'] = '1';
          if (facts.java) {
            attributes['driver.java.version'] = facts.java.version;
            attributes['driver.java.runtime'] = facts.java.runtime;
            attributes['driver.java.vm'] = facts.java.vm;
          }
        }
        return { detected, healthy: detected && facts.tools.has('setsid'), attributes };
      },
    };
  }

  async start(ctx: TaskContext): Promise<DriverHandle> {
    const argv = this.taskArgv(ctx);
    const spec = isolationSpec(ctx.task, ctx.env, { ulimitFallback: false, resolveCommand: false });
    return startIsolatedTask(NAME, ctx, argv, spec, this.opts);
  }

  protected taskArgv(ctx: TaskContext): string[] {
    return javaArgv(ctx.task.config, ctx.task.resources.memory, ctx.env);
  }
}
