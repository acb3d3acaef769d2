/**
 * One drover working directory over real nodes, as a user has it: drover.hcl (state backend and
 * nodes: this machine with raw_exec, an SSH host on loopback, a Docker engine of the suite's own),
 * a folder of jobs written at a given version, the CLI run as a child process (killable), and
 * the checks every reliability part makes after a fault: the state validates, nothing runs on a
 * host that the state does not know, and the plan is empty.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { schemaProblems } from '../../../src/state/validate.js';
import type { StateSnapshot } from '../../../src/state/types.js';
import { DROVER, drover, type CliResult } from '../../e2e/cli.js';
import type { SshHost } from '../../support/sshd.js';
import type { Engine } from './engine.js';
import { allocProcesses, containers, type Found } from './hosts-scan.js';

export type StateKind = 'local' | 'postgres';

export interface FleetOptions {
  /** Job names start with it; also names the postgres schema. Lowercase, digits, dashes. */
  prefix: string;
  state: StateKind;
  /** postgres://…/db when `state` is postgres. */
  pgUrl?: string;
  ssh?: SshHost;
  engine?: Engine;
  /** Written into drover.hcl after the nodes (e.g. a `server { … }` block). */
  extraConfig?: string;
}

export interface JobShape {
  count: number;
  /** Canaries per rolling update (auto-promoted). */
  canary: number;
  /** Every task's `min_healthy_time`. */
  minHealthy: string;
  /** Extra lines inside the `update` block (e.g. `auto_revert = true`). */
  update?: string[];
  /** `healthy_deadline` and `progress_deadline` (default 30s and 60s). */
  deadlines?: { healthy: string; progress: string };
}

export const DEFAULT_SHAPE: JobShape = { count: 2, canary: 1, minHealthy: '1s' };

export interface RunningCli {
  child: ChildProcess;
  done: Promise<CliResult>;
}

export const output = (r: CliResult): string => `${r.stdout}${r.stderr}`.trim();

export class Fleet {
  readonly dir = mkdtempSync(join(tmpdir(), 'drover-rel-'));
  readonly jobsDir = join(this.dir, 'jobs');
  readonly localRoot = join(this.dir, 'alloc');
  /** Under the home of `deploy`, who creates it over SSH. */
  readonly sshRoot: string;
  readonly schema: string;

  constructor(readonly opts: FleetOptions) {
    this.sshRoot = `/home/deploy/${opts.prefix}-${process.pid}/alloc`;
    this.schema = opts.prefix.replace(/-/g, '_');
    mkdirSync(this.jobsDir);
    writeFileSync(join(this.dir, 'drover.hcl'), this.config());
  }

  private config(): string {
    const { state, pgUrl, ssh, engine, extraConfig } = this.opts;
    const blocks: string[] = [];
    if (state === 'postgres') {
      blocks.push(
        `state {\n  backend = "postgres"\n  url     = "${pgUrl}"\n  schema  = "${this.schema}"\n}`,
      );
    }
    blocks.push(`node "local" {\n  transport  = "local"\n  alloc_root = "${this.localRoot}"\n}`);
    if (ssh) {
      blocks.push(
        `node "ssh-1" {\n  transport  = "ssh"\n  address    = "${ssh.address}"\n  port       = ${ssh.port}\n` +
          `  user       = "${ssh.user}"\n  identity   = "${ssh.privateKeyPath}"\n  alloc_root = "${this.sshRoot}"\n}`,
      );
    }
    if (engine) {
      blocks.push(
        `node "engine-1" {\n  transport   = "docker"\n  docker_host = "${engine.dockerHost}"\n  alloc_root  = "${join(this.dir, 'engine-alloc')}"\n}`,
      );
    }
    if (extraConfig) blocks.push(extraConfig);
    return `${blocks.join('\n\n')}\n`;
  }

  /** The jobs of this fleet: one per node kind it has. */
  jobNames(): string[] {
    const { prefix, ssh, engine } = this.opts;
    return [
      `${prefix}-local`,
      ...(ssh ? [`${prefix}-ssh`] : []),
      ...(engine ? [`${prefix}-docker`] : []),
    ];
  }

  /** Writes every job at `version` (an env value: a new version replaces every allocation). */
  writeJobs(version: number, shape: JobShape = DEFAULT_SHAPE): void {
    const [local, ssh, docker] = [
      `${this.opts.prefix}-local`,
      `${this.opts.prefix}-ssh`,
      `${this.opts.prefix}-docker`,
    ];
    writeFileSync(
      join(this.jobsDir, 'local.nomad.hcl'),
      processJob(local, 'local', version, shape),
    );
    if (this.opts.ssh)
      writeFileSync(join(this.jobsDir, 'ssh.nomad.hcl'), processJob(ssh, 'ssh-1', version, shape));
    if (this.opts.engine)
      writeFileSync(join(this.jobsDir, 'docker.nomad.hcl'), dockerJob(docker, version, shape));
  }

  run(args: string[], env?: Record<string, string>): Promise<CliResult> {
    return drover(this.dir, args, env ? { env } : {});
  }

  /** Starts a drover command and hands back the process, to kill it. */
  start(args: string[]): RunningCli {
    const child = spawn(process.execPath, [DROVER, ...args], {
      cwd: this.dir,
      env: { ...process.env, NO_COLOR: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const done = new Promise<CliResult>((resolve, reject) => {
      child.on('error', reject);
      child.on('close', (code, signal) =>
        resolve({ code: code ?? (signal ? 128 + 9 : -1), stdout, stderr }),
      );
    });
    return { child, done };
  }

  apply(extra: string[] = []): Promise<CliResult> {
    return this.run(['apply', '-auto-approve', '-lock-timeout', '30s', ...extra, 'jobs']);
  }

  /** The state as `drover state show -json` gives it, checked against the state schema. */
  async state(): Promise<{ snapshot?: StateSnapshot; problems: string[] }> {
    const r = await this.run(['state', 'show', '-json']);
    if (r.code !== 0) return { problems: [`state show exited ${r.code}: ${firstLine(output(r))}`] };
    let snapshot: StateSnapshot;
    try {
      snapshot = JSON.parse(r.stdout) as StateSnapshot;
    } catch (e) {
      return { problems: [`state show printed no JSON: ${(e as Error).message}`] };
    }
    const bad = schemaProblems(snapshot);
    return { snapshot, problems: bad ? [`state does not validate: ${bad.join('; ')}`] : [] };
  }

  /** This fleet's allocations and deployments, one line each, to tell what a plan found. */
  private async allocationLines(): Promise<string> {
    const { snapshot } = await this.state();
    if (!snapshot) return '(no state)';
    const mine = new Set(this.jobNames());
    const allocs = Object.values(snapshot.allocations)
      .filter((a) => mine.has(a.job))
      .map(
        (a) =>
          `  alloc ${a.id.slice(0, 8)} ${a.name} v${a.version} ${a.desired_status}/${a.client_status}` +
          ` deployment ${a.deployment_id?.slice(0, 8) ?? '-'}`,
      );
    const deployments = Object.values(snapshot.deployments)
      .filter((d) => mine.has(d.job))
      .map(
        (d) =>
          `  deployment ${d.id.slice(0, 8)} ${d.job} v${d.version} ${d.status}: ` +
          JSON.stringify(d.groups),
      );
    return [...allocs, ...deployments].join('\n');
  }

  /** Containers and processes on the hosts: everything this fleet's jobs left there. */
  async onHosts(): Promise<Found[]> {
    const roots = [this.localRoot, this.sshRoot, join(this.dir, 'engine-alloc')];
    const inEngine = this.opts.engine
      ? await containers(this.opts.engine.docker, this.opts.prefix)
      : [];
    return [...inEngine, ...allocProcesses(roots)];
  }

  /**
   * What does not match after a converging apply: anything on a host that the state does not
   * know (or knows as stopped while it still runs), an allocation meant to run that is not
   * running, a state that does not validate. Empty when all is well.
   */
  async leftovers(): Promise<string[]> {
    const { snapshot, problems } = await this.state();
    if (!snapshot) return problems;
    const allocs = snapshot.allocations;
    for (const f of await this.onHosts()) {
      const a = allocs[f.alloc];
      if (!a)
        problems.push(`${f.what} of allocation ${f.alloc.slice(0, 8)} that state does not know`);
      else if (f.running && a.desired_status !== 'run')
        problems.push(
          `${f.what} still runs for ${a.desired_status} allocation ${f.alloc.slice(0, 8)}`,
        );
    }
    const mine = new Set(this.jobNames());
    for (const a of Object.values(allocs)) {
      if (mine.has(a.job) && a.desired_status === 'run' && a.client_status !== 'running')
        problems.push(
          `allocation ${a.id.slice(0, 8)} of ${a.job} is ${a.client_status}, not running`,
        );
    }
    return problems;
  }

  /**
   * `plan -detailed-exitcode`: "" when it plans nothing, else its summary line; the whole plan
   * goes to `log` (if given), to tell what was left.
   */
  async planNotEmpty(log?: (line: string) => void): Promise<string> {
    const r = await this.run(['plan', '-detailed-exitcode', 'jobs']);
    if (r.code === 0) return '';
    log?.(`the plan that should have been empty:\n${output(r)}\n${await this.allocationLines()}`);
    const changes = r.stdout.match(/^Plan: .*$/m)?.[0] ?? firstLine(output(r));
    return `plan after it exited ${r.code}: ${changes}`;
  }

  /**
   * Stops and purges this fleet's jobs, removes what is left on the hosts and the directory
   * (after `beforeRemove`, e.g. unmounting what a test mounted inside it).
   */
  async cleanup(beforeRemove?: () => Promise<void>): Promise<void> {
    await this.run(['stop', '-auto-approve', '-purge', ...this.jobNames()]).catch(() => undefined);
    if (this.opts.engine) {
      for (const c of await this.opts.engine.docker.listContainers({ all: true }).catch(() => [])) {
        if ((c.Labels['drover.job'] ?? '').startsWith(this.opts.prefix))
          await this.opts.engine.docker
            .getContainer(c.Id)
            .remove({ force: true })
            .catch(() => undefined);
      }
    }
    for (const f of await this.onHosts().catch(() => [])) {
      const pid = Number(/^process (\d+)/.exec(f.what)?.[1]);
      if (pid > 0) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // Gone.
        }
      }
    }
    await beforeRemove?.();
    rmSync(this.dir, { recursive: true, force: true });
    rmSync(this.sshRoot.replace(/\/alloc$/, ''), { recursive: true, force: true });
  }
}

export function firstLine(text: string): string {
  return (
    text
      .split('\n')
      .map((l) => l.trim())
      .find((l) => /error|refus|fail|lock/i.test(l)) ??
    text.split('\n')[0] ??
    ''
  ).slice(0, 160);
}

function updateBlock(shape: JobShape): string {
  const lines = [
    `max_parallel     = 1`,
    `canary           = ${shape.canary}`,
    ...(shape.canary > 0 ? ['auto_promote     = true'] : []),
    `min_healthy_time = "${shape.minHealthy}"`,
    `healthy_deadline = "${shape.deadlines?.healthy ?? '30s'}"`,
    `progress_deadline = "${shape.deadlines?.progress ?? '60s'}"`,
    ...(shape.update ?? []),
  ];
  return `  update {\n${lines.map((l) => `    ${l}`).join('\n')}\n  }\n`;
}

function processJob(name: string, node: string, version: number, shape: JobShape): string {
  return `job "${name}" {
${updateBlock(shape)}
  constraint {
    attribute = "\${node.unique.name}"
    value     = "${node}"
  }

  group "app" {
    count = ${shape.count}

    task "sleep" {
      driver       = "raw_exec"
      kill_timeout = "1s"

      config {
        command = "/bin/sleep"
        args    = ["3600"]
      }

      env {
        REL_VERSION = "${version}"
      }

      resources {
        cpu    = 20
        memory = 16
      }
    }
  }
}
`;
}

function dockerJob(name: string, version: number, shape: JobShape): string {
  return `job "${name}" {
${updateBlock(shape)}
  constraint {
    attribute = "\${node.unique.name}"
    value     = "engine-1"
  }

  group "app" {
    count = ${shape.count}

    task "sleep" {
      driver       = "docker"
      kill_timeout = "1s"

      config {
        image        = "drover-test/busybox:v1"
        network_mode = "host"
        command      = "sleep"
        args         = ["3600"]
      }

      env {
        REL_VERSION = "${version}"
      }

      resources {
        cpu    = 20
        memory = 16
      }
    }
  }
}
`;
}
