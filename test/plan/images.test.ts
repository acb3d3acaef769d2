import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { ImageTransfer } from '../../src/generated/plan.js';
import { planHash } from '../../src/plan/hash.js';
import {
  formatBytes,
  renderImageTransfers,
  shortId,
  withImageTransfers,
} from '../../src/plan/images.js';
import { readPlanfile, writePlanfile } from '../../src/plan/planfile.js';
import { renderPlanText } from '../../src/plan/render-text.js';
import { groupPlan, jobPlan, loadJob, placement, plan } from './plan-builder.js';

const dir = mkdtempSync(join(tmpdir(), 'drover-plan-images-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const ID = `sha256:${'0123456789abcdef'.repeat(4)}`;

function sample() {
  const job = loadJob(
    'job "web" {\n  group "web" {\n    task "t" {\n      driver = "docker"\n      config {\n        image = "app:dev"\n      }\n    }\n  }\n}\n',
  );
  return plan([
    jobPlan({
      next: job,
      groups: [
        groupPlan('web', {
          counts: { create: 1 },
          placements: [placement('web', 'web', 0, { version: 0 })],
        }),
      ],
    }),
  ]);
}

const copy = (node: string, over: Partial<ImageTransfer> = {}): ImageTransfer => ({
  action: 'copy',
  image: 'app:dev',
  node,
  engine: 'docker',
  source: 'docker',
  id: ID,
  size: 45_123_456,
  jobs: ['web'],
  ...over,
});

describe('sizes and ids', () => {
  it('shows sizes in powers of 1000, as Docker does', () => {
    expect([0, 812, 4_200, 45_123_456, 9_950_000, 1_300_000_000, 2e13].map(formatBytes)).toEqual([
      '0 B',
      '812 B',
      '4.2 kB',
      '45 MB',
      '9.9 MB',
      '1.3 GB',
      '20 TB',
    ]);
  });

  it('shortens ids to twelve hex digits and leaves anything else alone', () => {
    expect(shortId(ID)).toBe('sha256:0123456789ab');
    expect(shortId('sha256:abc')).toBe('sha256:abc');
  });
});

describe('plans that copy images', () => {
  it('lists each copy and pull, sorted by node, in the text before the jobs', () => {
    const p = withImageTransfers(sample(), [
      copy('web-2', { engine: 'podman' }),
      { action: 'pull', image: 'redis:7', node: 'web-1', engine: 'docker', jobs: ['web'] },
      copy('web-1'),
    ]);
    expect(p.images?.map((i) => [i.node, i.image])).toEqual([
      ['web-1', 'app:dev'],
      ['web-1', 'redis:7'],
      ['web-2', 'app:dev'],
    ]);
    const text = renderPlanText(p);
    expect(text).toContain(
      [
        'Images:',
        '  image "app:dev" (sha256:0123456789ab, 45 MB) is copied to node "web-1"',
        '  image "redis:7" is on neither node "web-1" nor this machine: the node pulls it',
        '  image "app:dev" (sha256:0123456789ab, 45 MB) is copied to node "web-2" (docker here → podman there)',
        '',
        '+ Job: "web"',
      ].join('\n'),
    );
  });

  it('are sealed again: the hash covers the images, and a planfile keeps them', () => {
    const before = sample();
    const p = withImageTransfers(before, [copy('web-1')]);
    expect(p.hash).toBe(planHash(p));
    expect(p.hash).not.toBe(before.hash);
    const path = join(dir, 'images.plan');
    writePlanfile(path, p);
    expect(readPlanfile(path)).toEqual({ plan: p });
    // A planfile whose copy was edited by hand no longer verifies.
    const edited = { ...p, images: [copy('web-1', { id: `sha256:${'f'.repeat(64)}` })] };
    expect(planHash(edited)).not.toBe(p.hash);
  });

  it('shows an image named from a sensitive variable as (sensitive)', () => {
    const base = sample();
    const marked = {
      ...base,
      jobs: base.jobs.map((j) => ({
        ...j,
        payload: { ...j.payload!, sensitive: ['/group/0/task/0/config/image'] },
      })),
    };
    const p = withImageTransfers(marked, [copy('web-1')]);
    const text = renderPlanText(p);
    expect(text).toContain(
      '  image (sensitive) (sha256:0123456789ab, 45 MB) is copied to node "web-1"',
    );
    expect(text).not.toContain('app:dev');
    // The plan itself keeps the name: apply needs it.
    expect(p.images![0]!.image).toBe('app:dev');
  });

  it('without images the plan has no images property and renders as before', () => {
    const p = withImageTransfers(sample(), []);
    expect('images' in p).toBe(false);
    expect(p.hash).toBe(sample().hash);
    expect(renderImageTransfers(p.images)).toEqual([]);
    expect(renderPlanText(p)).not.toContain('Images:');
  });
});
