/** drover.hcl's `hook` blocks: decoded in file order with their defaults, errors at their positions. */
import { describe, expect, it } from 'vitest';
import { loadTestConfig, positioned } from './support.js';

function load(source: string) {
  const { config, diags } = loadTestConfig(source);
  return { config, found: positioned(diags), diags };
}

describe('hook blocks', () => {
  it('keeps file order, fills the 5m timeout, and keeps jobs filters of per-job hooks', () => {
    const { config, found } = load(`
hook "post-apply" {
  command = ["./notify.sh"]
}
hook "pre-apply" {
  command = ["./scripts/migrate.sh", "--fast"]
  timeout = "90s"
}
hook "pre-job" {
  command = ["sh", "-c", "echo $DROVER_JOB"]
  jobs    = ["api"]
  timeout = 2000000000
}
hook "pre-apply" {
  command = ["./second.sh"]
}
`);
    expect(found).toEqual([]);
    expect(config?.hooks).toEqual([
      { kind: 'post-apply', command: ['./notify.sh'], timeout_ms: 300_000 },
      { kind: 'pre-apply', command: ['./scripts/migrate.sh', '--fast'], timeout_ms: 90_000 },
      {
        kind: 'pre-job',
        command: ['sh', '-c', 'echo $DROVER_JOB'],
        timeout_ms: 2000,
        jobs: ['api'],
      },
      { kind: 'pre-apply', command: ['./second.sh'], timeout_ms: 300_000 },
    ]);
  });

  it('has no hooks without hook blocks', () => {
    expect(load('').config?.hooks).toBeUndefined();
  });

  it('refuses an unknown kind, a missing or empty command and a bad timeout, at their positions', () => {
    const { config, found } = load(`hook "pre-deploy" {
  command = ["x"]
}
hook "post-apply" {
  timeout = "5m"
}
hook "pre-apply" {
  command = []
}
hook "post-apply" {
  command = ["./x"]
  jobs    = ["api"]
}
hook "on-failure" {
  command = ["./x"]
  timeout = "5 minutes"
}
`);
    expect(config).toBeUndefined();
    expect(found).toEqual([
      ['error', 'Invalid value for "kind"', 1, 6],
      ['error', 'Missing required argument', 4, 1],
      ['error', 'Invalid value for "command"', 8, 13],
      ['error', 'Invalid value for "timeout"', 16, 13],
    ]);
    // jobs on a post-apply hook is a rule, checked once the schema passes: shown on its own below.
  });

  it('says jobs filters only per-job hooks, at the argument', () => {
    const { found } = load(`hook "post-apply" {
  command = ["./x"]
  jobs    = ["api"]
}
`);
    expect(found).toEqual([['error', 'Unsupported argument', 3, 3]]);
  });

  it('refuses an empty program and a zero timeout', () => {
    const { found } = load(`hook "pre-job" {
  command = ["", "a"]
  timeout = "0s"
}
`);
    expect(found).toEqual([
      ['error', 'Invalid hook command', 2, 13],
      ['error', 'Invalid hook timeout', 3, 13],
    ]);
  });
});
