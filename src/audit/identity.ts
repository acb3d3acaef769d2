/**
 * Who acts, and from which git checkout: the one place events, job versions and audit records
 * get their `actor`, git author, commit and branch from. The pure rules take the environment
 * and git's answers as data; `currentIdentity` reads them (git runs at most once per process).
 */
import { execFileSync } from 'node:child_process';
import { hostname } from 'node:os';
import { currentUser } from '../state/store.js';

export interface GitContext {
  commit?: string;
  branch?: string;
  /** `Name <email>`. */
  author?: string;
}

export interface Identity {
  /** `DROVER_ACTOR` when set (CI), else `user@host`. */
  actor: string;
  /** Absent outside a git work tree. */
  git: GitContext;
}

type Env = Readonly<Record<string, string | undefined>>;

/** `DROVER_ACTOR` (trimmed) when set and not empty, else `user@host`. */
export function actorFrom(env: Env, user: string, host: string): string {
  const given = env.DROVER_ACTOR?.trim();
  return given ? given : `${user}@${host}`;
}

/** The actor of this process: cheap (no git), what every event names. */
export function currentActor(env: Env = process.env): string {
  return actorFrom(env, currentUser(), hostname());
}

/** Whether drover runs in CI, where the work tree's git config is the runner's, not a person's. */
export function inCI(env: Env): boolean {
  const ci = env.CI?.toLowerCase();
  return ci !== undefined && ci !== '' && ci !== 'false' && ci !== '0';
}

/** `Name <email>`, `Name` or `<email>` from what git gave; undefined when it gave nothing. */
export function formatAuthor(
  name: string | undefined,
  email: string | undefined,
): string | undefined {
  const n = name?.trim();
  const e = email?.trim();
  if (n && e) return `${n} <${e}>`;
  return n || (e ? `<${e}>` : undefined);
}

/**
 * The branch to record: git's, or (on a detached HEAD, as CI checkouts often are) the branch
 * the CI names, from GitHub Actions' or GitLab CI's variables.
 */
export function branchFrom(gitBranch: string | undefined, env: Env): string | undefined {
  if (gitBranch && gitBranch !== 'HEAD') return gitBranch;
  return (
    env.GITHUB_HEAD_REF?.trim() ||
    env.GITHUB_REF_NAME?.trim() ||
    env.CI_COMMIT_REF_NAME?.trim() ||
    undefined
  );
}

/** Runs git; its stdout trimmed, or undefined when git is missing or fails (not a work tree). */
export type RunGit = (args: string[]) => string | undefined;

export function gitRunner(cwd: string): RunGit {
  return (args) => {
    try {
      return execFileSync('git', args, {
        cwd,
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'ignore'],
        timeout: 5_000,
        // Reading only: never take the index lock a user's own git command may need.
        env: { ...process.env, GIT_OPTIONAL_LOCKS: '0' },
      }).trim();
    } catch {
      return undefined;
    }
  };
}

/**
 * The git context of the work tree: HEAD's commit and branch, and the author (HEAD's in CI,
 * the work tree's user.name and user.email elsewhere). Nothing outside a work tree.
 */
export function gitContext(git: RunGit, env: Env): GitContext {
  if (git(['rev-parse', '--is-inside-work-tree']) !== 'true') return {};
  const commit = git(['rev-parse', '--verify', '-q', 'HEAD']) || undefined;
  const branch = branchFrom(git(['rev-parse', '--abbrev-ref', 'HEAD']), env);
  const author =
    inCI(env) && commit
      ? formatAuthor(...splitAuthor(git(['log', '-1', '--format=%an%x00%ae', 'HEAD'])))
      : formatAuthor(git(['config', 'user.name']), git(['config', 'user.email']));
  return {
    ...(commit ? { commit } : {}),
    ...(branch ? { branch } : {}),
    ...(author ? { author } : {}),
  };
}

function splitAuthor(text: string | undefined): [string | undefined, string | undefined] {
  const [name, email] = (text ?? '').split('\0');
  return [name, email];
}

let cached: Identity | undefined;

/** Who acts in this process, from where; git is asked once. */
export function currentIdentity(): Identity {
  cached ??= {
    actor: currentActor(),
    git: gitContext(gitRunner(process.cwd()), process.env),
  };
  return cached;
}
