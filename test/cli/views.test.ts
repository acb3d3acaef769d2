import { describe, expect, it } from 'vitest';
import type { ProgressEvent } from '../../src/deploy/apply.js';
import { plainStyler } from '../../src/diag/render.js';
import type { Output } from '../../src/cli/output.js';
import { ProgressView } from '../../src/cli/views.js';

/** An Output that keeps what it is given, as a pipe (not a terminal) would show it. */
function captured(): { o: Output; lines: string[] } {
  const lines: string[] = [];
  const o: Output = {
    out: (t) => void lines.push(t),
    err: (t) => void lines.push(`err: ${t}`),
    json: false,
    style: plainStyler,
    errStyle: plainStyler,
    stdoutIsTTY: false,
  };
  return { o, lines };
}

const alloc = (status: string, detail?: string): ProgressEvent => ({
  kind: 'alloc',
  alloc: 'c9e56bc0-0000-4000-8000-000000000000',
  name: 'pyweb.web[0]',
  node: 'local',
  status,
  ...(detail ? { detail } : {}),
});
const job = (status: string, detail?: string): ProgressEvent => ({
  kind: 'job',
  job: 'pyweb',
  status,
  ...(detail ? { detail } : {}),
});

const WHY = 'not healthy by healthy_deadline (6s): http check (service "pyweb") is critical';

describe('ProgressView', () => {
  it('leaves why a deployment failed to the summary, so it is said once', () => {
    const { o, lines } = captured();
    const view = new ProgressView(o);
    for (const ev of [
      alloc('starting'),
      alloc('running'),
      alloc('unhealthy', WHY),
      job('failed', `Failed: pyweb.web[0]: ${WHY}`),
    ])
      view.onEvent(ev);
    expect(lines).toEqual([
      '  pyweb.web[0] (c9e56bc0) on local: starting',
      '  pyweb.web[0] (c9e56bc0) on local: running',
      '  pyweb.web[0] (c9e56bc0) on local: unhealthy',
      'pyweb: failed',
    ]);
  });

  it('keeps the other details, and the reasons of a rollback (the summary lists none)', () => {
    const { o, lines } = captured();
    const view = new ProgressView(o);
    for (const ev of [
      alloc('stopping', 'replaced by 551f47bc'),
      job('reverting', 'rolling back to job version 0'),
      alloc('failed', 'task "server" exited with code 1'),
      job('failed', 'Failed: pyweb.web[0]: task "server" exited with code 1'),
      alloc('unhealthy', WHY),
    ])
      view.onEvent(ev);
    expect(lines).toEqual([
      '  pyweb.web[0] (c9e56bc0) on local: stopping (replaced by 551f47bc)',
      'pyweb: reverting (rolling back to job version 0)',
      '  pyweb.web[0] (c9e56bc0) on local: failed (task "server" exited with code 1)',
      'pyweb: failed',
      '  pyweb.web[0] (c9e56bc0) on local: unhealthy',
    ]);
  });

  it('prints nothing in JSON mode', () => {
    const { o, lines } = captured();
    new ProgressView({ ...o, json: true }).onEvent(alloc('unhealthy', WHY));
    expect(lines).toEqual([]);
  });
});
