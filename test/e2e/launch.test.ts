/**
 * Periodic and parameterized jobs through the real CLI: apply records them and starts nothing,
 * status shows the next launch, `job periodic force` runs a child to completion, `job dispatch`
 * launches children that see their meta and payload (raw_exec on the local node, and a Docker
 * container), refusals exit 1 with Nomad's message, and the idempotency token returns the child.
 */
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureTestImages, localDocker } from '../support/docker.js';
import { drover } from './cli.js';

const tag = process.pid;
const dir = mkdtempSync(join(tmpdir(), 'drover-e2e-launch-'));
const allocRoot = join(dir, 'alloc');
writeFileSync(
  join(dir, 'drover.hcl'),
  `node "local" {\n  transport  = "local"\n  alloc_root = "${allocRoot}"\n}\n`,
);

const nightly = `e2e-nightly-${tag}`;
const resize = `e2e-resize-${tag}`;
const boxed = `e2e-boxed-${tag}`;

writeFileSync(
  join(dir, 'nightly.nomad.hcl'),
  `job "${nightly}" {
  type = "batch"

  periodic {
    crons            = ["15 3 * * *"]
    time_zone        = "Europe/Berlin"
    prohibit_overlap = true
  }

  group "run" {
    task "hello" {
      driver = "raw_exec"

      config {
        command = "/bin/sh"
        args    = ["-c", "echo launched as $NOMAD_JOB_ID"]
      }
    }
  }
}
`,
);

const parameterized = (id: string, driver: string, config: string) => `job "${id}" {
  type = "batch"

  parameterized {
    payload       = "required"
    meta_required = ["image"]
    meta_optional = ["quality"]
  }

  meta {
    quality = "90"
  }

  group "work" {
    restart {
      attempts = 0
      mode     = "fail"
    }

    task "resize" {
      driver = "${driver}"

      config {
${config}
      }

      dispatch_payload {
        file = "request.json"
      }
    }
  }
}
`;

writeFileSync(
  join(dir, 'resize.nomad.hcl'),
  parameterized(
    resize,
    'raw_exec',
    `        command = "/bin/sh"
        args    = ["-c", "echo image=$NOMAD_META_image quality=$NOMAD_META_quality; cat $NOMAD_TASK_DIR/request.json"]`,
  ),
);
writeFileSync(
  join(dir, 'boxed.nomad.hcl'),
  parameterized(
    boxed,
    'docker',
    `        image   = "drover-test/busybox:v1"
        command = "sh"
        args    = ["-c", "echo image=$NOMAD_META_image; cat /local/request.json"]`,
  ),
);
writeFileSync(join(dir, 'request.json'), '{"width": 640}\n');

interface StatusJson {
  status: string;
  parent?: string;
  periodic?: boolean;
  parameterized?: boolean;
  next_launch?: string | null;
  children?: { id: string; status: string }[];
  allocations: { id: string; client_status: string }[];
}

async function status(id: string): Promise<StatusJson> {
  const r = await drover(dir, ['status', id, '-json']);
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as StatusJson;
}

/** What the child's one task printed, read back with `drover logs ALLOC`. */
async function childOutput(child: string): Promise<string> {
  const s = await status(child);
  expect(s.allocations.map((a) => a.client_status)).toEqual(['complete']);
  const logs = await drover(dir, ['logs', s.allocations[0]!.id]);
  expect(logs.code, logs.stderr).toBe(0);
  return logs.stdout;
}

const childId = (stdout: string, label: string): string => {
  const m = new RegExp(`^${label} = (\\S+)`, 'm').exec(stdout);
  expect(m, stdout).not.toBeNull();
  return m![1]!;
};

beforeAll(async () => {
  await ensureTestImages();
});

afterAll(async () => {
  const s = await drover(dir, ['status', '-json']);
  const ids = s.code === 0 ? (JSON.parse(s.stdout) as { jobs: { id: string }[] }).jobs : [];
  for (const { id } of ids) await drover(dir, ['stop', '-auto-approve', '-purge', id]);
  // Purge removed them; anything a failed test left behind goes too.
  const left = await localDocker().listContainers({
    all: true,
    filters: JSON.stringify({ label: ['drover.job'] }),
  });
  for (const c of left)
    if (c.Labels['drover.job']?.startsWith(`${boxed}/`))
      await localDocker().getContainer(c.Id).remove({ force: true });
  rmSync(dir, { recursive: true, force: true });
});

describe('a periodic job', () => {
  it('is recorded by apply, which starts nothing and shows the next launch', async () => {
    const r = await drover(dir, ['apply', '-auto-approve', join(dir, 'nightly.nomad.hcl')]);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toMatch(
      /Periodic job: nothing runs now; next launch \d{4}-\d\d-\d\dT03:15:00\+0[12]:00 \(Europe\/Berlin\)/,
    );
    // The fingerprint makes the allocation root (to know it is writable); nothing is under it.
    expect(existsSync(allocRoot) ? readdirSync(allocRoot) : []).toEqual([]);
    const s = await status(nightly);
    expect(s).toMatchObject({ status: 'running', periodic: true, children: [], allocations: [] });
    expect(s.next_launch).toMatch(/T03:15:00\+0[12]:00$/);
    const text = await drover(dir, ['status', nightly]);
    expect(text.stdout).toMatch(/Next Launch += \S+T03:15:00/);
  });

  it('job periodic force runs a child <id>/periodic-<unix> to completion', async () => {
    const before = Math.floor(Date.now() / 1000);
    const r = await drover(dir, ['job', 'periodic', 'force', '-auto-approve', nightly]);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const child = childId(r.stdout, 'Launched Job ID');
    const unix = Number(child.slice(`${nightly}/periodic-`.length));
    expect(child.startsWith(`${nightly}/periodic-`)).toBe(true);
    expect(unix).toBeGreaterThanOrEqual(before);
    expect(await childOutput(child)).toContain(`launched as ${child}`);
    const child0 = await status(child);
    expect(child0).toMatchObject({ status: 'complete', parent: nightly });
    expect((await status(nightly)).children).toEqual([{ id: child, status: 'complete' }]);
  });
});

describe('a parameterized job', () => {
  it('is recorded by apply, which starts nothing', async () => {
    const r = await drover(dir, ['apply', '-auto-approve', join(dir, 'resize.nomad.hcl')]);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toContain('Parameterized job: nothing runs now');
    expect(await status(resize)).toMatchObject({ parameterized: true, allocations: [] });
  });

  it('job dispatch launches a child that sees its meta and payload', async () => {
    const r = await drover(dir, [
      'job',
      'dispatch',
      '-auto-approve',
      '-meta',
      'image=cat.png',
      '-meta',
      'quality=70',
      resize,
      join(dir, 'request.json'),
    ]);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const child = childId(r.stdout, 'Dispatched Job ID');
    expect(child).toMatch(new RegExp(`^${resize}/dispatch-\\d+-[0-9a-f]{8}$`));
    const out = await childOutput(child);
    expect(out).toContain('image=cat.png quality=70');
    expect(out).toContain('{"width": 640}');
    expect((await status(resize)).children).toEqual([{ id: child, status: 'complete' }]);
  });

  it('reads the payload from standard input, and keeps the job meta the dispatch leaves out', async () => {
    const r = await drover(
      dir,
      ['job', 'dispatch', '-auto-approve', '-meta', 'image=dog.png', resize, '-'],
      { stdin: '{"width": 320}' },
    );
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const out = await childOutput(childId(r.stdout, 'Dispatched Job ID'));
    expect(out).toContain('image=dog.png quality=90');
    expect(out).toContain('{"width": 320}');
  });

  it('refuses a dispatch without a required meta key, exit 1, and launches nothing', async () => {
    const before = (await status(resize)).children!.length;
    const r = await drover(dir, [
      'job',
      'dispatch',
      '-auto-approve',
      resize,
      join(dir, 'request.json'),
    ]);
    expect(r.code, r.stdout + r.stderr).toBe(1);
    expect(r.stderr).toContain('Dispatch did not provide required meta keys: image');
    const unknown = await drover(dir, [
      'job',
      'dispatch',
      '-auto-approve',
      '-meta',
      'image=a',
      '-meta',
      'color=red',
      resize,
      join(dir, 'request.json'),
    ]);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('Dispatch request included unpermitted metadata keys: color');
    const noPayload = await drover(dir, [
      'job',
      'dispatch',
      '-auto-approve',
      '-meta',
      'image=a',
      resize,
    ]);
    expect(noPayload.code).toBe(1);
    expect(noPayload.stderr).toContain('Payload is not provided but required by parameterized job');
    expect((await status(resize)).children).toHaveLength(before);
  });

  it('returns the existing child for a second dispatch with the same idempotency token', async () => {
    const args = [
      'job',
      'dispatch',
      '-auto-approve',
      '-idempotency-token',
      `tok-${tag}`,
      '-meta',
      'image=same.png',
      resize,
      join(dir, 'request.json'),
    ];
    const first = await drover(dir, args);
    expect(first.code, first.stdout + first.stderr).toBe(0);
    const child = childId(first.stdout, 'Dispatched Job ID');
    const before = (await status(resize)).children!.length;
    const again = await drover(dir, args);
    expect(again.code, again.stdout + again.stderr).toBe(0);
    expect(childId(again.stdout, 'Dispatched Job ID')).toBe(child);
    expect((await status(resize)).children).toHaveLength(before);
  });

  it('writes the payload into a Docker container’s /local', async () => {
    const applied = await drover(dir, ['apply', '-auto-approve', join(dir, 'boxed.nomad.hcl')]);
    expect(applied.code, applied.stdout + applied.stderr).toBe(0);
    const r = await drover(dir, [
      'job',
      'dispatch',
      '-auto-approve',
      '-meta',
      'image=boxed.png',
      boxed,
      join(dir, 'request.json'),
    ]);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const out = await childOutput(childId(r.stdout, 'Dispatched Job ID'));
    expect(out).toContain('image=boxed.png');
    expect(out).toContain('{"width": 640}');
  });

  it('saves a dispatch with -out for apply to run exactly it, and streams the child with -json', async () => {
    const planfile = join(dir, 'dispatch.plan');
    const saved = await drover(dir, [
      'job',
      'dispatch',
      '-out',
      planfile,
      '-meta',
      'image=later.png',
      resize,
      join(dir, 'request.json'),
    ]);
    expect(saved.code, saved.stdout + saved.stderr).toBe(0);
    const child = childId(saved.stdout, 'Dispatched Job ID');
    expect(saved.stdout).toContain(`Saved the plan to ${planfile}`);
    expect((await status(resize)).children!.map((c) => c.id)).not.toContain(child);
    const applied = await drover(dir, ['apply', '-json', planfile]);
    expect(applied.code, applied.stdout + applied.stderr).toBe(0);
    expect(await childOutput(child)).toContain('image=later.png');

    const streamed = await drover(dir, [
      'job',
      'dispatch',
      '-auto-approve',
      '-json',
      '-meta',
      'image=json.png',
      resize,
      join(dir, 'request.json'),
    ]);
    expect(streamed.code, streamed.stderr).toBe(0);
    const lines = streamed.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { type: string; job?: string; parent?: string });
    expect(lines[0]).toMatchObject({ type: 'launch', parent: resize, existing: false });
    expect(lines.map((l) => l.type)).toContain('result');
    expect(lines.at(-1)).toMatchObject({ type: 'result', applied: true, exit_code: 0 });
  });

  it('is not periodic: job periodic force refuses it with exit 1', async () => {
    const r = await drover(dir, ['job', 'periodic', 'force', '-auto-approve', resize]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`job "${resize}" is not periodic`);
  });

  it('stops and purges a child like any job', async () => {
    const child = (await status(resize)).children![0]!.id;
    const r = await drover(dir, ['stop', '-auto-approve', '-purge', child]);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect((await status(resize)).children!.map((c) => c.id)).not.toContain(child);
  });
});
