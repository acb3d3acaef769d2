import { describe, expect, it } from 'vitest';
import { allocById, findAlloc } from '../../src/cli/alloc-lookup.js';
import { printAllocStatus } from '../../src/cli/commands/alloc-status.js';
import type { Output } from '../../src/cli/output.js';
import { plainStyler } from '../../src/diag/render.js';
import { emptyState } from '../../src/state/snapshot.js';
import type { Allocation, StateSnapshot } from '../../src/state/types.js';
import { Diagnostics } from '../../src/diag/diagnostic.js';
import { loadJobSource } from '../../src/jobspec/load.js';
import { encodeStoredJob } from '../../src/jobspec/stored.js';
import { alloc } from '../scheduler/fixtures.js';

function captured(json = false): { o: Output; text: () => string } {
  const lines: string[] = [];
  const o: Output = {
    out: (t) => void lines.push(t),
    err: (t) => void lines.push(`err: ${t}`),
    json,
    style: plainStyler,
    errStyle: plainStyler,
    stdoutIsTTY: false,
  };
  return { o, text: () => lines.join('\n') };
}

const failed: Allocation = alloc({
  index: 0,
  id: 'aaaa1111-0000-4000-8000-000000000001',
  job: 'report',
  group: 'app',
  node: 'n1',
  client_status: 'failed',
  desired_status: 'stop',
  created_at: '2026-01-01T00:00:00.000Z',
  next_allocation: 'aaaa2222-0000-4000-8000-000000000002',
  ports: [{ label: 'http', value: 21000, host_ip: '127.0.0.1' }],
  task_states: {
    srv: {
      state: 'dead',
      failed: true,
      restarts: 0,
      started_at: '2026-01-01T00:00:00.000Z',
      finished_at: '2026-01-01T00:00:05.000Z',
      exit_code: 3,
    },
  },
});
const replacement: Allocation = alloc({
  index: 0,
  id: 'aaaa2222-0000-4000-8000-000000000002',
  job: 'report',
  group: 'app',
  node: 'n2',
  client_status: 'complete',
  created_at: '2026-01-01T00:00:10.000Z',
  previous_allocation: failed.id,
  reschedule_tracker: {
    events: [
      { time: '2026-01-01T00:00:10.000Z', prev_alloc: failed.id, prev_node: 'n1', delay_ms: 5000 },
    ],
  },
});

function state(): StateSnapshot {
  const s = emptyState('00000000-0000-4000-8000-000000000000');
  return {
    ...s,
    allocations: { [failed.id]: failed, [replacement.id]: replacement },
    events: [
      {
        seq: 1,
        time: failed.created_at,
        who: 't',
        what: 'alloc.place',
        alloc: failed.id,
        detail: 'report.app[0] placed on n1',
      },
      {
        seq: 2,
        time: '2026-01-01T00:00:05.000Z',
        who: 't',
        what: 'alloc.failed',
        alloc: failed.id,
        detail: 'task "srv" exited with code 3',
      },
      {
        seq: 3,
        time: '2026-01-01T00:00:10.000Z',
        who: 't',
        what: 'alloc.stop',
        alloc: failed.id,
        detail: 'rescheduled: replaced by aaaa2222',
      },
    ],
  };
}

describe('finding an allocation', () => {
  it('by a unique id prefix; an ambiguous one lists the candidates', () => {
    expect(allocById(state(), 'aaaa2').id).toBe(replacement.id);
    expect(() => allocById(state(), 'aaaa')).toThrow(
      /"aaaa" matches 2 allocations; give more of the id:\n {2}aaaa1111-\S+ {2}report\.app\[0\] {2}failed\n {2}aaaa2222-\S+ {2}report\.app\[0\] {2}complete/,
    );
    expect(() => allocById(state(), 'report')).toThrow('no allocation matches "report"');
  });

  it('by job: the newest running one, or in any status for logs', () => {
    expect(() => findAlloc(state(), 'report')).toThrow('no allocation or running job matches');
    expect(findAlloc(state(), 'report', { anyStatus: true }).id).toBe(replacement.id);
  });
});

describe('alloc status', () => {
  it("shows the allocation, its task's end and events, and its replacement", () => {
    const { o, text } = captured();
    printAllocStatus(o, state(), failed);
    const out = text();
    expect(out).toMatch(/^ID\s+= aaaa1111-0000-4000-8000-000000000001$/m);
    expect(out).toMatch(/^Client Status\s+= failed$/m);
    expect(out).toMatch(/^Replacement Alloc ID\s+= aaaa2222-0000-4000-8000-000000000002$/m);
    expect(out).toMatch(/^http\s+127\.0\.0\.1:21000/m);
    expect(out).toMatch(/^Task "srv" is "dead"$/m);
    expect(out).toMatch(/^Exit Code\s+= 3$/m);
    expect(out).toMatch(/^Finished At\s+= 2026-01-01T00:00:05.000Z$/m);
    // Newest event first.
    const events = out.slice(out.indexOf('Recent Events:'));
    expect(events.indexOf('alloc.stop')).toBeLessThan(events.indexOf('alloc.failed'));
    expect(events).toContain('task "srv" exited with code 3');
  });

  it('shows the reschedule history and the previous allocation; -json has it all', () => {
    const { o, text } = captured();
    printAllocStatus(o, state(), replacement);
    expect(text()).toMatch(/^Previous Allocation\s+= aaaa1111-0000-4000-8000-000000000001$/m);
    expect(text()).toMatch(
      /Reschedule History:\nTime.*\n2026-01-01T00:00:10.000Z\s+aaaa1111\S+\s+n1\s+5s/,
    );
    const j = captured(true);
    printAllocStatus(j.o, state(), failed);
    const parsed = JSON.parse(j.text()) as {
      next_allocation: string;
      tasks: Record<string, { exit_code: number; events: unknown[] }>;
    };
    expect(parsed.next_allocation).toBe(replacement.id);
    expect(parsed.tasks.srv!.exit_code).toBe(3);
    expect(parsed.tasks.srv!.events).toHaveLength(3);
  });
});

describe('alloc status of a failed allocation not replaced yet', () => {
  const source = `job "report" {
  type = "batch"
  group "app" {
    reschedule {
      attempts  = 2
      interval  = "1h"
      delay     = "30s"
      unlimited = false
    }
    task "srv" {
      driver = "raw_exec"
      config {
        command = "/bin/false"
      }
    }
  }
}
`;
  function withJob(): StateSnapshot {
    const d = new Diagnostics();
    const j = loadJobSource(source, 'r.hcl', { inputs: { vars: [], varFiles: [], env: {} } }, d)!;
    const s = state();
    s.jobs.report = {
      stopped: false,
      versions: [
        {
          version: 0,
          submitted_at: failed.created_at,
          source,
          filename: 'r.hcl',
          submitted: j.submitted,
          ...encodeStoredJob(j.job),
          stable: false,
          status: 'dead',
        },
      ],
    };
    return s;
  }
  const waiting = {
    ...failed,
    desired_status: 'run' as const,
    next_allocation: undefined,
    version: 0,
  };

  it('says when its replacement is due, or that the attempts are used up', () => {
    const { o, text } = captured();
    printAllocStatus(o, withJob(), waiting, Date.parse('2026-01-01T00:00:10.000Z'));
    expect(text()).toMatch(
      /^Reschedule Eligibility\s+= due at 2026-01-01T00:00:35.000Z \(attempt 1 of 2\)$/m,
    );
    const used = {
      ...waiting,
      reschedule_tracker: {
        events: [0, 1].map((i) => ({
          time: '2026-01-01T00:00:00.000Z',
          prev_alloc: `p${i}`,
          prev_node: 'n1',
          delay_ms: 30_000,
        })),
      },
    };
    const j = captured(true);
    printAllocStatus(j.o, withJob(), used, Date.parse('2026-01-01T00:01:00.000Z'));
    expect(JSON.parse(j.text())).toMatchObject({
      reschedule_eligibility: { eligible: false, text: 'no: 2 of 2 attempts within 1h used' },
    });
  });
});
