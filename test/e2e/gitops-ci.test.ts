/**
 * The CI workflows of examples/gitops (GitHub Actions and GitLab CI) run as CI would run them:
 * their shell steps, taken from the YAML files in order, against the real CLI, a real process
 * on the local node and a real PostgreSQL state. A pull request is planned (the plan text and
 * the planfile kept), approved by reviewers, and applied on merge: refused while under-approved,
 * applied once two people other than its author approved it. What only GitHub or GitLab can do
 * (checkout, artifacts, comments, installing drover) is done by the test in their place, and the
 * test checks those are exactly the steps it leaves out, so a changed workflow fails it.
 */
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { spawnSync } from 'node:child_process';
import * as yaml from 'js-yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuditRecord } from '../../src/state/types.js';
import { createTestDatabase, type TestDatabase } from '../support/postgres.js';
import { DROVER, drover } from './cli.js';

const gitops = fileURLToPath(new URL('../../examples/gitops/', import.meta.url));
const root = mkdtempSync(join(tmpdir(), 'drover-gitops-ci-'));
const allocRoot = join(root, 'alloc');
const bin = join(root, 'bin');
mkdirSync(allocRoot);
mkdirSync(bin);
// drover as `npm install -g drover` would put it on the PATH: this build.
writeFileSync(join(bin, 'drover'), `#!/bin/sh\nexec "${process.execPath}" "${DROVER}" "$@"\n`, {
  mode: 0o755,
});

afterAll(() => rmSync(root, { recursive: true, force: true }));

/**
 * The example's drover.hcl (its state and approvals blocks) with the example's hosts replaced
 * by the local node: what runs here.
 */
function droverHcl(): string {
  const text = readFileSync(join(gitops, 'drover.hcl'), 'utf8');
  const firstNode = text.search(/^node "/m);
  expect(firstNode).toBeGreaterThan(0);
  return `${text.slice(0, firstNode)}node "local" {\n  transport  = "local"\n  alloc_root = "${allocRoot}"\n}\n`;
}

function job(id: string, message: string): string {
  return `job "${id}" {
  group "web" {
    update {
      health_check     = "task_states"
      min_healthy_time = "0s"
    }
    task "web" {
      driver = "raw_exec"
      config {
        command = "/bin/sh"
        args    = ["-c", "echo ${message}; sleep 600"]
      }
    }
  }
}
`;
}

/** A repository of the team: drover.hcl, one job, the workflow file, in git. */
function repository(name: string, id: string, workflow: string): string {
  const dir = join(root, name, 'repo');
  mkdirSync(join(dir, 'jobs'), { recursive: true });
  writeFileSync(join(dir, 'drover.hcl'), droverHcl());
  writeFileSync(join(dir, 'jobs', 'web.nomad.hcl'), job(id, 'v1'));
  cpSync(join(gitops, workflow), join(dir, workflow), { recursive: true });
  const git = (...args: string[]) => execFileSync('git', args, { cwd: dir, encoding: 'utf8' });
  git('init', '-q', '-b', 'main');
  git('-c', 'user.name=Ada', '-c', 'user.email=ada@example.com', 'add', '-A');
  git('-c', 'user.name=Ada', '-c', 'user.email=ada@example.com', 'commit', '-qm', 'web');
  return dir;
}

let workspaces = 0;
/** A CI job's workspace: a fresh checkout of the repository, with artifacts handed to it. */
function checkout(repo: string, artifacts: string[] = [], from?: string): string {
  const dir = join(root, `workspace-${++workspaces}`);
  execFileSync('git', ['clone', '-q', repo, dir]);
  for (const f of artifacts) cpSync(join(from!, f), join(dir, f));
  return dir;
}

/** The environment every CI shell gets here: its own HOME, drover on the PATH, the database. */
function baseEnv(db: TestDatabase, home: string): Record<string, string> {
  const url = new URL(db.url);
  const env: Record<string, string> = {
    PATH: `${bin}:${process.env.PATH ?? ''}`,
    HOME: home,
    PGHOST: url.hostname,
    PGPORT: url.port,
    PGUSER: decodeURIComponent(url.username),
    PGPASSWORD: '',
    PGDATABASE: url.pathname.slice(1),
  };
  return env;
}

interface Shell {
  code: number;
  stdout: string;
  stderr: string;
}

function sh(script: string, cwd: string, env: Record<string, string>, flags: string[]): Shell {
  const r = spawnSync('bash', ['--noprofile', '--norc', ...flags, '-c', script], {
    cwd,
    env,
    encoding: 'utf8',
    timeout: 120_000,
  });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

describe('examples/gitops: GitHub Actions', () => {
  interface Step {
    name?: string;
    uses?: string;
    run?: string;
    env?: Record<string, string>;
    with?: Record<string, string>;
  }
  interface Job {
    if: string;
    env?: Record<string, string>;
    steps: Step[];
  }
  const workflow = yaml.load(
    readFileSync(join(gitops, '.github/workflows/drover.yml'), 'utf8'),
  ) as { env: Record<string, string>; jobs: Record<string, Job> };

  let db: TestDatabase;
  const id = `gh-web-${process.pid}`;
  const home = join(root, 'gh-home');
  let repo: string;
  beforeAll(async () => {
    db = await createTestDatabase('drover_gitops_gh');
    mkdirSync(home);
    repo = repository('gh', id, '.github');
  });
  afterAll(async () => {
    await stopJob(repo, id, db, home);
    await db.drop();
  });

  /** What GitHub does in the test's place: its actions, and the steps that call GitHub. */
  const GITHUB_ONLY: Record<string, string[]> = {
    plan: [
      'actions/checkout@v4',
      'install drover',
      'actions/upload-artifact@v4',
      'comment the plan',
    ],
    approve: ['actions/checkout@v4', 'install drover', 'download the planfile'],
    apply: ['actions/checkout@v4', 'install drover'],
  };

  /** Runs a job's shell steps in order, with `${{ … }}` from `context` (an unknown one fails). */
  function runJob(name: string, cwd: string, context: Record<string, string>): Shell[] {
    const job = workflow.jobs[name]!;
    const skipped = job.steps
      .filter((s) => s.uses || /^\s*gh |\bgh run\b|\bnpm install\b/m.test(s.run ?? ''))
      .map((s) => s.uses ?? s.name);
    expect(skipped).toEqual(GITHUB_ONLY[name]);
    const expand = (v: string) =>
      String(v).replace(/\$\{\{\s*([^}]+?)\s*\}\}/g, (_m, expr: string) => {
        if (!(expr in context)) throw new Error(`the test does not know \${{ ${expr} }}`);
        return context[expr]!;
      });
    const envOf = (e: Record<string, string> = {}) =>
      Object.fromEntries(Object.entries(e).map(([k, v]) => [k, expand(v)]));
    const results: Shell[] = [];
    for (const step of job.steps) {
      if (skipped.includes(step.uses ?? step.name ?? '')) continue;
      const env = {
        ...baseEnv(db, home),
        ...envOf(workflow.env),
        ...envOf(job.env),
        ...envOf(step.env),
      };
      // As GitHub runs `run:` with bash: -e, and -o pipefail.
      const r = sh(step.run!, cwd, env, ['-e', '-o', 'pipefail']);
      results.push(r);
      if (r.code !== 0) break;
    }
    return results;
  }

  const secrets = {
    'secrets.DROVER_PGHOST': '',
    'secrets.DROVER_PGPORT': '',
    'secrets.DROVER_PGUSER': '',
    'secrets.DROVER_PGPASSWORD': '',
    'secrets.DROVER_PGDATABASE': '',
    'secrets.DROVER_DEPLOY_KEY': 'not a real key',
    'github.token': 'none',
  };
  /** The PG* values the secrets stand for: the test database. */
  const withDatabase = (ctx: Record<string, string>) => {
    const env = baseEnv(db, home);
    return {
      ...ctx,
      'secrets.DROVER_PGHOST': env.PGHOST!,
      'secrets.DROVER_PGPORT': env.PGPORT!,
      'secrets.DROVER_PGUSER': env.PGUSER!,
      'secrets.DROVER_PGDATABASE': env.PGDATABASE!,
    };
  };
  const HEAD = 'f'.repeat(40);
  let planned: string;

  it('runs its jobs on the events they are for', () => {
    expect(workflow.jobs.plan!.if).toBe("github.event_name == 'pull_request'");
    expect(workflow.jobs.approve!.if).toContain("github.event.review.state == 'approved'");
    expect(workflow.jobs.apply!.if).toBe("github.event_name == 'push'");
    const upload = workflow.jobs.plan!.steps.find((s) => s.uses?.startsWith('actions/upload'));
    expect(upload?.with?.path?.split('\n').filter(Boolean)).toEqual(['drover.plan', 'plan.txt']);
  });

  it('plans the pull request: the plan text for a comment, the planfile kept', () => {
    planned = checkout(repo);
    const ctx = withDatabase({
      ...secrets,
      'github.actor': 'ada',
      'github.event.pull_request.head.sha': HEAD,
      'github.event.pull_request.number': '7',
    });
    const results = runJob('plan', planned, ctx);
    expect(results.map((r) => r.code)).toEqual([0, 0, 0]);
    const plan = JSON.parse(readFileSync(join(planned, 'drover.plan'), 'utf8')) as {
      hash: string;
      author: { actor: string };
    };
    expect(plan.author.actor).toBe('ada');
    const comment = readFileSync(join(planned, 'comment.md'), 'utf8');
    expect(comment).toContain(`+ Job: "${id}"`);
    expect(comment).toContain(`Plan hash: ${plan.hash}`);
    expect(comment).toContain('This plan has 0 of 2 required approvals.');
    expect(readFileSync(join(home, '.ssh', 'drover_deploy'), 'utf8')).toBe('not a real key\n');
  });

  const review = (who: string) =>
    withDatabase({
      ...secrets,
      'github.event.review.user.login': who,
      'github.event.pull_request.head.sha': HEAD,
      'github.event.review.html_url': `https://github.example/pr/7#review-${who}`,
    });
  const push = () =>
    withDatabase({ ...secrets, 'github.actor': 'ada', 'github.sha': 'a'.repeat(40) });

  it('refuses the author approving, and the merge until two others approved', () => {
    const self = runJob('approve', checkout(repo, ['drover.plan'], planned), review('ada'));
    expect(self.at(-1)!.code).toBe(1);
    expect(self.at(-1)!.stderr).toContain('ada saved this planfile');
    const bob = runJob('approve', checkout(repo, ['drover.plan'], planned), review('bob'));
    expect(bob.at(-1)!.code).toBe(0);
    expect(bob.at(-1)!.stdout).toContain('It has 1 of 2 required approvals: bob');

    const merged = runJob('apply', checkout(repo), push());
    expect(merged.at(-1)!.code).toBe(1);
    expect(merged.at(-1)!.stderr).toMatch(
      /is not approved: it has 1 of 2 required approvals: bob at \S+; 1 more approval by another person needed/,
    );
  });

  it('applies the approved plan on merge once a second reviewer approved it', async () => {
    const carol = runJob('approve', checkout(repo, ['drover.plan'], planned), review('carol'));
    expect(carol.at(-1)!.code).toBe(0);
    const merged = runJob('apply', checkout(repo), push());
    expect(merged.at(-1)!.stderr).toBe('');
    expect(merged.at(-1)!.code).toBe(0);
    expect(merged.at(-1)!.stdout).toContain('Apply complete.');

    const env = baseEnv(db, home);
    const audit = await drover(repo, ['audit', '-json'], { env });
    const records = (JSON.parse(audit.stdout) as { records: AuditRecord[] }).records;
    const apply = records.find((r) => r.operation === 'apply')!;
    expect(apply.actor).toBe('ada');
    expect(apply.message).toBe(`merge of ${'a'.repeat(40)}`);
    expect(apply.approvals?.map((a) => [a.approver, a.message])).toEqual([
      ['bob', 'https://github.example/pr/7#review-bob'],
      ['carol', 'https://github.example/pr/7#review-carol'],
    ]);
    const status = await drover(repo, ['status', id, '-json'], { env });
    expect(status.code).toBe(0);
    expect(status.stdout).toContain('"running"');
  });
});

describe('examples/gitops: GitLab CI', () => {
  interface GlJob {
    stage: string;
    rules: { if: string; when?: string }[];
    script: string[];
    needs?: string[];
    artifacts?: { paths: string[] };
  }
  const pipeline = yaml.load(readFileSync(join(gitops, '.gitlab-ci.yml'), 'utf8')) as {
    stages: string[];
    variables: Record<string, string>;
    default: { before_script: string[] };
  } & Record<string, GlJob>;

  let db: TestDatabase;
  const id = `gl-web-${process.pid}`;
  const home = join(root, 'gl-home');
  let repo: string;
  const keyFile = join(root, 'gl-deploy-key');
  beforeAll(async () => {
    db = await createTestDatabase('drover_gitops_gl');
    mkdirSync(home);
    writeFileSync(keyFile, 'not a real key\n');
    repo = repository('gl', id, '.gitlab-ci.yml');
  });
  afterAll(async () => {
    await stopJob(repo, id, db, home);
    await db.drop();
  });

  /** A job's before_script and script in one shell, as the runner runs them (drover is installed). */
  function runJob(name: string, cwd: string, predefined: Record<string, string>): Shell {
    const job = pipeline[name]!;
    const before = pipeline.default.before_script;
    expect(before[0]).toBe('npm install -g drover');
    const expand = (v: string) =>
      v.replace(/\$([A-Z_][A-Z0-9_]*)/g, (_m, k: string) => {
        if (!(k in predefined)) throw new Error(`the test does not know $${k}`);
        return predefined[k]!;
      });
    const variables = Object.fromEntries(
      Object.entries(pipeline.variables).map(([k, v]) => [k, expand(v)]),
    );
    const env = {
      ...baseEnv(db, home),
      ...predefined,
      DROVER_DEPLOY_KEY: keyFile,
      ...variables,
    };
    return sh([...before.slice(1), ...job.script].join('\n'), cwd, env, ['-e', '-o', 'pipefail']);
  }

  let planned: string;
  const mr = (user: string) => ({
    GITLAB_USER_LOGIN: user,
    CI_PIPELINE_SOURCE: 'merge_request_event',
    CI_MERGE_REQUEST_PROJECT_URL: 'https://gitlab.example/team/fleet',
    CI_MERGE_REQUEST_IID: '12',
  });

  it('runs plan, approve (by hand) and apply in that order, on the events they are for', () => {
    expect(pipeline.stages).toEqual(['plan', 'approve', 'apply']);
    expect(pipeline.plan!.rules[0]!.if).toContain('merge_request_event');
    expect(pipeline.approve!.rules[0]).toMatchObject({ when: 'manual' });
    expect(pipeline.approve!.needs).toEqual(['plan']);
    expect(pipeline.apply!.rules[0]!.if).toContain('$CI_DEFAULT_BRANCH');
  });

  it('plans the merge request, keeping the plan text and the planfile as artifacts', () => {
    planned = checkout(repo);
    const r = runJob('plan', planned, mr('ada'));
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    for (const f of pipeline.plan!.artifacts!.paths)
      expect(readFileSync(join(planned, f))).toBeTruthy();
    expect(readFileSync(join(planned, 'plan.txt'), 'utf8')).toContain(
      'This plan has 0 of 2 required approvals.',
    );
  });

  it('approves with the manual job, once per person, and applies on merge once two did', async () => {
    const artifacts = pipeline.plan!.artifacts!.paths;
    const self = runJob('approve', checkout(repo, artifacts, planned), mr('ada'));
    expect(self.code).toBe(1);
    expect(self.stderr).toContain('ada saved this planfile');
    const push = {
      GITLAB_USER_LOGIN: 'ada',
      CI_PIPELINE_SOURCE: 'push',
      CI_COMMIT_SHA: 'b'.repeat(40),
    };
    expect(runJob('approve', checkout(repo, artifacts, planned), mr('bob')).code).toBe(0);
    const early = runJob('apply', checkout(repo), push);
    expect(early.code).toBe(1);
    expect(early.stderr).toContain('it has 1 of 2 required approvals: bob');

    expect(runJob('approve', checkout(repo, artifacts, planned), mr('carol')).code).toBe(0);
    const merged = runJob('apply', checkout(repo), push);
    expect(merged.stderr).toBe('');
    expect(merged.code).toBe(0);
    expect(merged.stdout).toContain('Apply complete.');
    const audit = await drover(repo, ['audit', '-json'], { env: baseEnv(db, home) });
    const apply = (JSON.parse(audit.stdout) as { records: AuditRecord[] }).records.find(
      (r) => r.operation === 'apply',
    )!;
    expect(apply.approvals?.map((a) => [a.approver, a.message])).toEqual([
      ['bob', 'https://gitlab.example/team/fleet/-/merge_requests/12'],
      ['carol', 'https://gitlab.example/team/fleet/-/merge_requests/12'],
    ]);
  });
});

/** Stops what a scenario started: drover.hcl without approvals, then stop -purge. */
async function stopJob(repo: string, id: string, db: TestDatabase, home: string): Promise<void> {
  const dir = join(root, `cleanup-${id}`);
  mkdirSync(dir);
  writeFileSync(
    join(dir, 'drover.hcl'),
    readFileSync(join(repo, 'drover.hcl'), 'utf8').replace(/approvals \{[^}]*\}/, ''),
  );
  const r = await drover(dir, ['stop', '-purge', '-auto-approve', id], { env: baseEnv(db, home) });
  expect(r.code).toBe(0);
}
