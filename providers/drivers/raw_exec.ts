/**
 * The `raw_exec` driver: runs a command on the host without isolation, under the POSIX-sh
 * supervisor (supervisor.ts), reaching the host only through the transport so the same code
 * works on the local machine and over ssh.
 */
import type { DriverHandle } from '../../src/state/types.js';
import type { ConfigProblem, Detection, ShellDetection, TaskContext } from '../types.js';
import { stringListProblems } from './exec.js';
import { ProcessDriver } from './process-driver.js';
import { startProcessTask } from './process-common.js';

const NAME = 'raw_exec';

/** Options of Nomad's raw_exec that drover accepts and does not apply. */
const ACCEPTED_NOT_APPLIED = [
  'cgroup_v1_override',
  'cgroup_v2_override',
  'oom_score_adj',
  'work_dir',
  'denied_envvars',
];

/** The task config keys raw_exec reads, as Nomad names them. */
export interface RawExecConfig {
  command: string;
  args?: string[];
}

/** Checks a raw_exec `config` block: `command` a non-empty string, `args` a list of strings. */
export function validateRawExecConfig(config: Record<string, unknown>): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  const command = config.command;
  if (command === undefined) {
    problems.push({
      pointer: '',
      summary: 'Missing required argument',
      detail: 'The raw_exec driver needs "command", the program to run.',
    });
  } else if (typeof command !== 'string') {
    problems.push({
      pointer: '/command',
      summary: 'Incorrect attribute value type',
      detail: '"command" must be a string.',
    });
  } else if (command.trim() === '') {
    problems.push({
      pointer: '/command',
      summary: 'Invalid value',
      detail: '"command" must not be empty.',
    });
  } else if (command.includes('\0')) {
    problems.push(nulProblem('/command'));
  }

  problems.push(...stringListProblems(config, 'args'));

  for (const key of Object.keys(config)) {
    if (key === 'command' || key === 'args') continue;
    const pointer = `/${key.replace(/~/g, '~0').replace(/\//g, '~1')}`;
    if (ACCEPTED_NOT_APPLIED.includes(key)) {
      problems.push({
        pointer,
        severity: 'warning',
        summary: 'Option not applied',
        detail: `"${key}" is a raw_exec option of Nomad that drover accepts but does not apply.`,
      });
    } else {
      problems.push({
        pointer,
        summary: 'Unsupported argument',
        detail: `An argument named "${key}" is not expected in a raw_exec config; it takes "command" and "args".`,
      });
    }
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

/** The argv a valid raw_exec config runs. */
export function rawExecArgv(config: Record<string, unknown> | undefined): string[] {
  const command = config?.command;
  if (typeof command !== 'string' || command === '') {
    throw new Error('raw_exec: the task config has no "command"');
  }
  const args = Array.isArray(config?.args) ? config.args : [];
  return [command, ...args.map((a: unknown) => String(a))];
}

export class RawExecDriver extends ProcessDriver {
  readonly name = NAME;

  validateConfig(config: Record<string, unknown>): ConfigProblem[] {
    return validateRawExecConfig(config);
  }

  /** Needs sh and mkfifo; without setsid tasks would start with SIGINT ignored (unhealthy). */
  shellDetection(): ShellDetection {
    return {
      script: 'for c in mkfifo setsid env; do command -v "$c" >/dev/null 2>&1 && echo "$c=1"; done',
      timeoutMs: 15_000,
      read(r): Detection {
        const found = new Set(r.stdout.split('\n').map((l) => l.replace(/=1$/, '')));
        const detected = r.code === 0 && found.has('mkfifo') && found.has('env');
        return {
          detected,
          healthy: detected && found.has('setsid'),
          attributes: detected ? { 'driver.raw_exec': '1' } : {},
        };
      },
    };
  }

  protected taskArgv(ctx: TaskContext): string[] {
    return rawExecArgv(ctx.task.config);
  }

  async start(ctx: TaskContext): Promise<DriverHandle> {
    return startProcessTask(NAME, ctx, this.taskArgv(ctx));
  }
}
