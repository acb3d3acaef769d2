import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  actorFrom,
  branchFrom,
  formatAuthor,
  gitContext,
  gitRunner,
  inCI,
} from '../../src/audit/identity.js';

describe('actor', () => {
  it('is user@host, or DROVER_ACTOR when set', () => {
    expect(actorFrom({}, 'ada', 'box')).toBe('ada@box');
    expect(actorFrom({ DROVER_ACTOR: 'github:ada' }, 'runner', 'ci-7')).toBe('github:ada');
    expect(actorFrom({ DROVER_ACTOR: '  ' }, 'ada', 'box')).toBe('ada@box');
  });

  it('knows CI from the CI variable', () => {
    expect(inCI({ CI: 'true' })).toBe(true);
    expect(inCI({ CI: '1' })).toBe(true);
    expect(inCI({ CI: 'false' })).toBe(false);
    expect(inCI({ CI: '' })).toBe(false);
    expect(inCI({})).toBe(false);
  });

  it('formats the git author', () => {
    expect(formatAuthor('Ada Lovelace', 'ada@example.com')).toBe('Ada Lovelace <ada@example.com>');
    expect(formatAuthor('Ada', undefined)).toBe('Ada');
    expect(formatAuthor(undefined, 'ada@example.com')).toBe('<ada@example.com>');
    expect(formatAuthor(' ', '')).toBeUndefined();
  });

  it("takes the branch from git, or from the CI's variables on a detached HEAD", () => {
    expect(branchFrom('main', { GITHUB_REF_NAME: 'other' })).toBe('main');
    expect(branchFrom('HEAD', { GITHUB_HEAD_REF: 'pr-branch', GITHUB_REF_NAME: '7/merge' })).toBe(
      'pr-branch',
    );
    expect(branchFrom('HEAD', { CI_COMMIT_REF_NAME: 'release' })).toBe('release');
    expect(branchFrom('HEAD', {})).toBeUndefined();
    expect(branchFrom(undefined, {})).toBeUndefined();
  });
});

describe('git context (a real git work tree)', () => {
  let repo: string;
  let outside: string;
  let head: string;
  const git = (...args: string[]) =>
    execFileSync('git', args, { cwd: repo, encoding: 'utf8' }).trim();

  beforeAll(() => {
    repo = mkdtempSync(join(tmpdir(), 'drover-git-'));
    outside = mkdtempSync(join(tmpdir(), 'drover-nogit-'));
    git('init', '-q', '-b', 'main');
    git('config', 'user.name', 'Ada Lovelace');
    git('config', 'user.email', 'ada@example.com');
    writeFileSync(join(repo, 'web.nomad.hcl'), 'job "web" {}\n');
    git('add', '-A');
    // Committed by someone else than the work tree's user: CI reads HEAD's author.
    execFileSync('git', ['commit', '-qm', 'web'], {
      cwd: repo,
      env: {
        ...process.env,
        GIT_AUTHOR_NAME: 'Grace Hopper',
        GIT_AUTHOR_EMAIL: 'grace@example.com',
      },
    });
    head = git('rev-parse', 'HEAD');
  });
  afterAll(() => {
    rmSync(repo, { recursive: true, force: true });
    rmSync(outside, { recursive: true, force: true });
  });

  it("records HEAD, the branch and the work tree's user", () => {
    expect(gitContext(gitRunner(repo), {})).toEqual({
      commit: head,
      branch: 'main',
      author: 'Ada Lovelace <ada@example.com>',
    });
  });

  it("records HEAD's author in CI", () => {
    expect(gitContext(gitRunner(repo), { CI: 'true' }).author).toBe(
      'Grace Hopper <grace@example.com>',
    );
  });

  it('on a detached HEAD, records the branch CI names', () => {
    git('checkout', '-q', '--detach');
    try {
      expect(gitContext(gitRunner(repo), { CI: 'true', GITHUB_REF_NAME: 'main' })).toMatchObject({
        commit: head,
        branch: 'main',
      });
      expect(gitContext(gitRunner(repo), {}).branch).toBeUndefined();
    } finally {
      git('checkout', '-q', 'main');
    }
  });

  it('records nothing outside a work tree, without an error', () => {
    expect(gitContext(gitRunner(outside), { CI: 'true' })).toEqual({});
  });
});
