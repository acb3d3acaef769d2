/**
 * A throwaway drover project on the local node (raw_exec), driven by the built CLI as a user
 * drives it: a temp dir with drover.hcl, jobspecs written into it, and a cleanup that stops
 * every job it applied and checks that no process of its allocations is left.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { drover, type CliResult } from '../e2e/cli.js';
import { processesWithEnv } from '../providers/process-harness.js';

export interface Project {
  dir: string;
  allocRoot: string;
  cli(args: string[], env?: Record<string, string>): Promise<CliResult>;
  write(name: string, text: string): string;
  /** The local state file's bytes ('' before the first write). */
  stateText(): string;
  /** What is on the host: allocation dirs and live processes of this project's allocations. */
  hostView(): string;
  /** Stops and purges `jobs`, kills any process left (reported), removes the dir. */
  close(jobs: readonly string[]): Promise<string[]>;
}

/** A project on the local node; allocations under `<dir>/alloc`. */
export function localProject(prefix: string): Project {
  return project(prefix, (allocRoot) => localNode(allocRoot));
}

export function localNode(allocRoot: string): string {
  return `node "local" {\n  transport  = "local"\n  alloc_root = "${allocRoot}"\n}\n`;
}

/**
 * A project whose drover.hcl is `config(allocRoot)`: the local allocations (the processes the
 * cleanup looks for) go under `allocRoot`.
 */
export function project(
  prefix: string,
  config: (allocRoot: string) => string,
  /** Other alloc roots whose task processes the cleanup looks for (an SSH node on this host). */
  otherRoots: readonly string[] = [],
): Project {
  const dir = mkdtempSync(join(tmpdir(), `drover-rel-${prefix}-`));
  const allocRoot = join(dir, 'alloc');
  writeFileSync(join(dir, 'drover.hcl'), config(allocRoot));
  const statePath = join(dir, '.drover/state.json');
  const processes = (): number[] =>
    processesWithEnv((env) =>
      env.some((v) =>
        [allocRoot, ...otherRoots].some((r) => v.startsWith(`NOMAD_ALLOC_DIR=${r}/`)),
      ),
    );
  return {
    dir,
    allocRoot,
    cli: (args, env) => drover(dir, args, env ? { env } : {}),
    write(name, text) {
      const path = join(dir, name);
      writeFileSync(path, text);
      return path;
    },
    stateText: () => (existsSync(statePath) ? readFileSync(statePath, 'utf8') : ''),
    hostView: () =>
      JSON.stringify({
        dirs: existsSync(allocRoot) ? readdirSync(allocRoot).sort() : [],
        processes: processes().length,
      }),
    async close(jobs) {
      const problems: string[] = [];
      for (const job of jobs) {
        const r = await drover(dir, ['stop', '-auto-approve', '-purge', job]);
        // A job whose apply was refused never reached the state: nothing to stop.
        if (r.code !== 0 && !/no job .* in (state|namespace)/.test(r.stderr))
          problems.push(`stop ${job}: exit ${r.code} ${r.stderr.trim()}`);
      }
      const left = processes();
      for (const pid of left) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // Gone meanwhile.
        }
      }
      if (left.length > 0) problems.push(`${left.length} task processes left after stop`);
      // A killed supervisor may still be writing its last lines: retry.
      rmSync(dir, { recursive: true, force: true, maxRetries: 10, retryDelay: 200 });
      return problems;
    },
  };
}

/** A raw_exec job that sleeps, with one env value to change between versions. */
export function sleeperJob(name: string, version: string): string {
  return `job "${name}" {
  # Healthy as soon as it runs: the part measures refusals, not deployment waits.
  update {
    min_healthy_time = "0s"
  }
  group "app" {
    task "app" {
      driver = "raw_exec"
      config {
        command = "/bin/sleep"
        args    = ["600"]
      }
      env {
        VERSION = "${version}"
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

/** Whether CLI output shows a stack trace (a user error never does). */
export function hasStackTrace(text: string): boolean {
  return (
    /\n\s+at .+\(.+:\d+:\d+\)/.test(text) || /\bTypeError|RangeError|ReferenceError\b/.test(text)
  );
}
