import { describe, expect, it } from 'vitest';
import type { NormalizedJob as Job } from '../../src/generated/normalized-job.js';
import {
  annotateJobDiff,
  diffJobs,
  naturalCompare,
  nomadRules,
  pascal,
  type ChangeSite,
  type FieldDiff,
  type JobDiff,
  type ObjectDiff,
} from '../../src/plan/diff.js';
import { loadJob } from './plan-builder.js';

/** A job with one group "g" (count 2) and one docker task "t"; `group` and `task` add lines. */
function job(
  opts: {
    job?: string;
    group?: string;
    task?: string;
    config?: string;
    count?: number;
    image?: string;
  } = {},
): Job {
  const src = `job "web" {
  ${opts.job ?? ''}
  group "g" {
    count = ${opts.count ?? 2}
    ${opts.group ?? ''}
    task "t" {
      driver = "docker"
      config {
        image = "${opts.image ?? 'app:v1'}"
        ${opts.config ?? ''}
      }
      ${opts.task ?? ''}
    }
  }
}`;
  return loadJob(src).job;
}

const group = (d: JobDiff, name = 'g') => d.groups.find((g) => g.name === name)!;
const task = (d: JobDiff, name = 't') => group(d).tasks.find((t) => t.name === name)!;
const changed = (fs: readonly FieldDiff[]) => fs.filter((f) => f.type !== 'None');
const obj = (os: readonly ObjectDiff[], name: string) => os.find((o) => o.name === name);

/** Every changed field, flattened to `name: old => new`, for compact assertions. */
function summary(d: JobDiff): string[] {
  const out: string[] = [];
  const fields = (prefix: string, fs: readonly FieldDiff[], os: readonly ObjectDiff[]): void => {
    for (const f of changed(fs)) out.push(`${prefix}${f.type} ${f.name}: ${f.old} => ${f.new}`);
    for (const o of os) fields(`${prefix}${o.type} ${o.name} > `, o.fields, o.objects);
  };
  fields('', d.fields, d.objects);
  for (const g of d.groups) {
    fields(`group ${g.name} > `, g.fields, g.objects);
    for (const t of g.tasks) fields(`task ${t.name} > `, t.fields, t.objects);
  }
  return out;
}

describe('diffJobs: what changed', () => {
  it('a new job is added with every group and task', () => {
    const d = diffJobs(undefined, job());
    expect(d.type).toBe('Added');
    expect(d.id).toBe('web');
    expect(group(d).type).toBe('Added');
    expect(task(d).type).toBe('Added');
    expect(task(d).annotations).toEqual(['forces create']);
    const image = obj(task(d).objects, 'Config')!.fields.find((f) => f.name === 'Image');
    expect(image).toMatchObject({
      type: 'Added',
      old: null,
      new: 'app:v1',
      path: ['config', 'image'],
    });
    // Inside an added task, the header says what is forced; fields carry no annotation.
    expect(image!.annotations).toEqual([]);
  });

  it('a stopped job is deleted with every group and task', () => {
    const d = diffJobs(job(), undefined);
    expect(d.type).toBe('Deleted');
    expect(group(d).type).toBe('Deleted');
    expect(task(d).annotations).toEqual(['forces destroy']);
  });

  it('the same job twice has no changes and lists no fields', () => {
    const d = diffJobs(job(), job());
    expect(d.type).toBe('None');
    expect(d.fields).toEqual([]);
    expect(group(d)).toMatchObject({ type: 'None', fields: [], objects: [] });
    expect(task(d)).toMatchObject({ type: 'None', fields: [], objects: [], annotations: [] });
  });

  it.each([
    ['count up', { count: 3 }, 'forces create'],
    ['count down', { count: 1 }, 'forces destroy'],
  ])('%s annotates Count', (_name, next, annotation) => {
    const d = diffJobs(job(), job(next));
    const count = group(d).fields.find((f) => f.name === 'Count')!;
    expect(count).toMatchObject({
      type: 'Edited',
      old: '2',
      new: String(next.count),
      path: ['count'],
    });
    expect(count.annotations).toEqual([annotation]);
    expect(task(d).type).toBe('None');
  });

  it('keeps unchanged fields of an edited group as context', () => {
    const d = diffJobs(job(), job({ count: 3 }));
    expect(group(d).fields.find((f) => f.name === 'PreventRescheduleOnLost')).toMatchObject({
      type: 'None',
      old: 'false',
      new: 'false',
    });
  });

  it.each<[string, Parameters<typeof job>[0], Parameters<typeof job>[0], string[]]>([
    ['task meta', {}, { task: 'meta {\n a = "b"\n }' }, ['task t > Added Meta[a]: null => b']],
    [
      'env keyed by name',
      { task: 'env {\n A = "1"\n B = "2"\n }' },
      { task: 'env {\n A = "1"\n B = "3"\n C = "4"\n }' },
      ['task t > Edited Env[B]: 2 => 3', 'task t > Added Env[C]: null => 4'],
    ],
    [
      'datacenters as a set: order does not matter',
      { job: 'datacenters = ["a", "b"]' },
      { job: 'datacenters = ["b", "a"]' },
      [],
    ],
    [
      'datacenters as a set: a new member',
      { job: 'datacenters = ["a"]' },
      { job: 'datacenters = ["a", "c"]' },
      ['Edited Datacenters > Added Datacenters: null => c'],
    ],
    [
      'args in order',
      { config: 'args = ["a", "b"]' },
      { config: 'args = ["b", "a"]' },
      [
        'task t > Edited Config > Edited Args[0]: a => b',
        'task t > Edited Config > Edited Args[1]: b => a',
      ],
    ],
    [
      'constraints by content: an edit is a delete and an add',
      { group: 'constraint {\n attribute = "${attr.kernel.name}"\n value = "linux"\n }' },
      { group: 'constraint {\n attribute = "${attr.kernel.name}"\n value = "darwin"\n }' },
      [
        'group g > Added Constraint > Added Attribute: null => ${attr.kernel.name}',
        'group g > Added Constraint > Added Operator: null => =',
        'group g > Added Constraint > Added Value: null => darwin',
        'group g > Deleted Constraint > Deleted Attribute: ${attr.kernel.name} => null',
        'group g > Deleted Constraint > Deleted Operator: = => null',
        'group g > Deleted Constraint > Deleted Value: linux => null',
      ],
    ],
    [
      'constraints by content: reordering changes nothing',
      {
        group:
          'constraint {\n attribute = "a"\n value = "1"\n }\n constraint {\n attribute = "b"\n value = "2"\n }',
      },
      {
        group:
          'constraint {\n attribute = "b"\n value = "2"\n }\n constraint {\n attribute = "a"\n value = "1"\n }',
      },
      [],
    ],
    [
      'ports by label',
      { group: 'network {\n port "http" {\n to = 80\n }\n }' },
      { group: 'network {\n port "http" {\n to = 8080\n }\n port "db" {}\n }' },
      [
        'group g > Edited Network > Added Port "db" > Added HostNetwork: null => default',
        'group g > Edited Network > Added Port "db" > Added Label: null => db',
        'group g > Edited Network > Edited Port "http" > Edited To: 80 => 8080',
      ],
    ],
    [
      'services matched by name when reordered',
      {
        group:
          'service {\n name = "a"\n provider = "nomad"\n }\n service {\n name = "b"\n provider = "nomad"\n tags = ["x"]\n }',
      },
      {
        group:
          'service {\n name = "b"\n provider = "nomad"\n tags = ["x", "y"]\n }\n service {\n name = "a"\n provider = "nomad"\n }',
      },
      ['group g > Edited Service > Edited Tags > Added Tags: null => y'],
    ],
    [
      'job-level update is diffed in the groups it applies to',
      { job: 'update {\n max_parallel = 1\n }' },
      { job: 'update {\n max_parallel = 2\n }' },
      ['group g > Edited Update > Edited MaxParallel: 1 => 2'],
    ],
  ])('%s', (_name, before, after, expected) => {
    expect(summary(diffJobs(job(before), job(after)))).toEqual(expected);
  });

  it('the image is a field of the Config object, with its jobspec path', () => {
    const d = diffJobs(job(), job({ image: 'app:v2' }));
    const config = obj(task(d).objects, 'Config')!;
    expect(config).toMatchObject({ type: 'Edited', path: ['config'] });
    expect(changed(config.fields)).toEqual([
      {
        type: 'Edited',
        name: 'Image',
        path: ['config', 'image'],
        old: 'app:v1',
        new: 'app:v2',
        annotations: ['forces create/destroy update'],
      },
    ]);
    expect(task(d).annotations).toEqual(['forces create/destroy update']);
  });

  it('a task added to a group that stays forces a create/destroy update of the group', () => {
    const prior = job();
    const next = job({
      group: 'task "side" {\n driver = "docker"\n config {\n image = "s"\n }\n }',
    });
    const d = diffJobs(prior, next);
    expect(group(d).type).toBe('Edited');
    expect(task(d, 'side')).toMatchObject({
      type: 'Added',
      annotations: ['forces create/destroy update'],
    });
    expect(task(d, 't').type).toBe('None');
  });

  it('groups and tasks are sorted by name, fields naturally', () => {
    const src = (n: number) => `job "j" {
  group "b" {
    task "t" {
      driver = "raw_exec"
      config {
        command = "x"
        args = [${Array.from({ length: n }, (_, i) => `"${i}"`).join(', ')}]
      }
    }
  }
  group "a" {
    task "t" {
      driver = "raw_exec"
      config { command = "x" }
    }
  }
}`;
    const d = diffJobs(undefined, loadJob(src(12)).job);
    expect(d.groups.map((g) => g.name)).toEqual(['a', 'b']);
    const args = obj(d.groups[1]!.tasks[0]!.objects, 'Config')!.fields.map((f) => f.name);
    expect(args.slice(0, 3)).toEqual(['Args[0]', 'Args[1]', 'Args[2]']);
    expect(args.indexOf('Args[10]')).toBe(args.indexOf('Args[9]') + 1);
  });
});

describe('annotations', () => {
  it('nomadRules: services, meta and kill settings are in place, the rest of a task is not', () => {
    const cases: Array<[Partial<ChangeSite>, string | undefined]> = [
      [{ path: ['priority'] }, undefined],
      [{ group: 'g', path: ['count'], old: '2', new: '3' }, 'forces create'],
      [{ group: 'g', path: ['count'], old: '2', new: '1' }, 'forces destroy'],
      [{ group: 'g', path: ['network', 'port'] }, 'forces create/destroy update'],
      [{ group: 'g', path: ['service', 'tags'] }, 'forces in-place update'],
      [{ group: 'g', path: ['meta', 'owner'] }, 'forces in-place update'],
      [{ group: 'g', task: 't', path: ['config', 'image'] }, 'forces create/destroy update'],
      [{ group: 'g', task: 't', path: ['env', 'A'] }, 'forces create/destroy update'],
      [{ group: 'g', task: 't', path: ['meta', 'a'] }, 'forces in-place update'],
      [{ group: 'g', task: 't', path: ['kill_timeout'] }, 'forces in-place update'],
      [{ group: 'g', task: 't', path: ['logs', 'max_files'] }, 'forces in-place update'],
      [{ group: 'g', task: 't', path: ['logs', 'disabled'] }, 'forces create/destroy update'],
    ];
    for (const [partial, expected] of cases) {
      const s: ChangeSite = { path: [], type: 'Edited', old: null, new: null, ...partial };
      expect(nomadRules(s), JSON.stringify(partial)).toBe(expected);
    }
  });

  it('a custom rule sees every changed field with its group, task and path', () => {
    const seen: ChangeSite[] = [];
    diffJobs(job(), job({ count: 3, task: 'env {\n A = "1"\n }' }), {
      decide: (s) => {
        seen.push(s);
        return undefined;
      },
    });
    expect(seen).toEqual([
      { group: 'g', path: ['count'], type: 'Edited', old: '2', new: '3' },
      { group: 'g', task: 't', path: ['env', 'A'], type: 'Added', old: null, new: '1' },
    ]);
  });

  it('a block added whole is annotated once, on the block', () => {
    const d = diffJobs(job(), job({ task: 'constraint {\n attribute = "a"\n value = "b"\n }' }));
    const c = obj(task(d).objects, 'Constraint')!;
    expect(c.annotations).toEqual(['forces in-place update']);
    expect(c.fields.every((f) => f.annotations.length === 0)).toBe(true);
    expect(task(d).annotations).toEqual(['forces in-place update']);
  });

  it.each([
    ['none', [], []],
    ['in-place', ['forces in-place update'], ['forces in-place update']],
    ['destructive', ['forces create/destroy update'], ['forces create/destroy update']],
  ] as const)(
    'the driver verdict %s wins for a meta-only change',
    (verdict, fieldAnnotations, header) => {
      const d = diffJobs(job(), job({ task: 'meta {\n a = "b"\n }' }), {
        taskClass: (g, t) => (g === 'g' && t === 't' ? verdict : undefined),
      });
      expect(changed(task(d).fields).map((f) => f.annotations)).toEqual([fieldAnnotations]);
      expect(task(d).annotations).toEqual(header);
    },
  );

  it('a destructive verdict keeps in-place fields in place when another field is destructive', () => {
    const d = diffJobs(job(), job({ image: 'app:v2', task: 'meta {\n a = "b"\n }' }), {
      taskClass: () => 'destructive',
    });
    const meta = task(d).fields.find((f) => f.name === 'Meta[a]')!;
    const image = obj(task(d).objects, 'Config')!.fields.find((f) => f.name === 'Image')!;
    expect(meta.annotations).toEqual(['forces in-place update']);
    expect(image.annotations).toEqual(['forces create/destroy update']);
    expect(task(d).annotations).toEqual(['forces create/destroy update']);
  });

  it('raw diffs carry no annotations; annotateJobDiff adds them without touching its input', () => {
    const raw = diffJobs(job(), job({ count: 3, task: 'env {\n A = "1"\n }' }), { raw: true });
    const snapshot = JSON.stringify(raw);
    expect(group(raw).fields.find((f) => f.name === 'Count')!.annotations).toEqual([]);
    const annotated = annotateJobDiff(raw);
    expect(JSON.stringify(raw)).toBe(snapshot);
    expect(group(annotated).fields.find((f) => f.name === 'Count')!.annotations).toEqual([
      'forces create',
    ]);
    expect(task(annotated).annotations).toEqual(['forces create/destroy update']);
  });
});

describe('helpers', () => {
  it.each([
    ['count', 'Count'],
    ['kill_timeout', 'KillTimeout'],
    ['prevent_reschedule_on_lost', 'PreventRescheduleOnLost'],
    ['image', 'Image'],
  ])('pascal(%s) = %s', (key, name) => expect(pascal(key)).toBe(name));

  it('naturalCompare orders digit runs by value', () => {
    const names = ['Args[10]', 'Args[2]', 'Args[1]', 'Arg', 'Args[1][a]'];
    expect(names.sort(naturalCompare)).toEqual([
      'Arg',
      'Args[1]',
      'Args[1][a]',
      'Args[2]',
      'Args[10]',
    ]);
  });
});
