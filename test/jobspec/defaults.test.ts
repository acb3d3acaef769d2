import { describe, expect, it } from 'vitest';
import type { Group, Job, Task } from '../../src/generated/jobspec.js';
import { applyDefaults } from '../../src/jobspec/defaults.js';
import { kitchenSink, webService } from './jobs.fixture.js';

const oneTask = (
  type?: Job['type'],
  group: Partial<Group> = {},
  task: Partial<Task> = {},
): Job => ({
  id: 'example',
  ...(type ? { type } : {}),
  group: [{ name: 'g', ...group, task: [{ name: 't', driver: 'exec', ...task }] }],
});

const group0 = (job: Job): Group => job.group![0]!;
const task0 = (job: Job): Task => job.group![0]!.task![0]!;

describe('applyDefaults', () => {
  it('fills a minimal service job the way Nomad canonicalizes it', () => {
    const job = applyDefaults(oneTask());
    expect(job).toMatchObject({
      id: 'example',
      name: 'example',
      type: 'service',
      priority: 50,
      region: 'global',
      namespace: 'default',
      datacenters: ['*'],
      node_pool: 'default',
      all_at_once: false,
      update: {
        stagger: '30s',
        max_parallel: 1,
        health_check: 'checks',
        min_healthy_time: '10s',
        healthy_deadline: '5m',
        progress_deadline: '10m',
        auto_revert: false,
        auto_promote: false,
        canary: 0,
      },
    });
    expect(group0(job)).toEqual({
      name: 'g',
      count: 1,
      ephemeral_disk: { sticky: false, migrate: false, size: 300 },
      update: job.update,
      reschedule: {
        delay: '30s',
        delay_function: 'exponential',
        max_delay: '1h',
        unlimited: true,
        attempts: 0,
        interval: '0s',
      },
      migrate: {
        max_parallel: 1,
        health_check: 'checks',
        min_healthy_time: '10s',
        healthy_deadline: '5m',
      },
      restart: {
        delay: '15s',
        attempts: 2,
        interval: '30m',
        mode: 'fail',
        render_templates: false,
      },
      prevent_reschedule_on_lost: false,
      task: [
        {
          name: 't',
          driver: 'exec',
          resources: { cores: 0, cpu: 100, memory: 300 },
          kill_timeout: '5s',
          leader: false,
          logs: { max_files: 10, max_file_size: 10, disabled: false },
          restart: {
            delay: '15s',
            attempts: 2,
            interval: '30m',
            mode: 'fail',
            render_templates: false,
          },
        },
      ],
    });
  });

  it('gives batch jobs the batch restart and reschedule policies and no update or migrate', () => {
    const job = applyDefaults(oneTask('batch'));
    expect(job.update).toBeUndefined();
    const g = group0(job);
    expect(g.update).toBeUndefined();
    expect(g.migrate).toBeUndefined();
    expect(g.restart).toEqual({
      delay: '15s',
      attempts: 3,
      interval: '24h',
      mode: 'fail',
      render_templates: false,
    });
    expect(g.reschedule).toEqual({
      attempts: 1,
      interval: '24h',
      delay: '5s',
      delay_function: 'constant',
      max_delay: '0s',
      unlimited: false,
    });
  });

  it.each(['system', 'sysbatch'] as const)('gives %s jobs no reschedule policy', (type) => {
    const job = applyDefaults(oneTask(type));
    expect(group0(job).reschedule).toBeUndefined();
    expect(group0(job).migrate).toBeUndefined();
    expect(job.update).toBeUndefined();
  });

  it('restarts system tasks like service tasks and sysbatch tasks like batch tasks', () => {
    expect(group0(applyDefaults(oneTask('system'))).restart?.attempts).toBe(2);
    expect(group0(applyDefaults(oneTask('sysbatch'))).restart?.attempts).toBe(3);
  });

  it('merges the group update over the job update, then fills the rest', () => {
    const input: Job = { ...oneTask(), update: { max_parallel: 2, canary: 1, auto_revert: true } };
    input.group![0]!.update = { canary: 3, min_healthy_time: '30s' };
    const job = applyDefaults(input);
    expect(job.update).toMatchObject({
      max_parallel: 2,
      canary: 1,
      auto_revert: true,
      stagger: '30s',
    });
    expect(group0(job).update).toEqual({
      max_parallel: 2,
      canary: 3,
      auto_revert: true,
      min_healthy_time: '30s',
      stagger: '30s',
      health_check: 'checks',
      healthy_deadline: '5m',
      progress_deadline: '10m',
      auto_promote: false,
    });
  });

  it('canonicalizes a group update in a job without one', () => {
    const job = applyDefaults(oneTask('batch', { update: { canary: 1 } }));
    expect(group0(job).update).toMatchObject({
      canary: 1,
      max_parallel: 1,
      health_check: 'checks',
    });
  });

  it('merges reschedule and migrate from the job into the group', () => {
    const input: Job = {
      ...oneTask(),
      reschedule: { attempts: 5, interval: '2h', unlimited: false },
      migrate: { max_parallel: 3 },
    };
    input.group![0]!.reschedule = { delay: '1m' };
    const g = group0(applyDefaults(input));
    expect(g.reschedule).toEqual({
      attempts: 5,
      interval: '2h',
      unlimited: false,
      delay: '1m',
      delay_function: 'exponential',
      max_delay: '1h',
    });
    expect(g.migrate).toEqual({
      max_parallel: 3,
      health_check: 'checks',
      min_healthy_time: '10s',
      healthy_deadline: '5m',
    });
  });

  it('lays the task restart block over the group one', () => {
    const job = applyDefaults(
      oneTask('service', { restart: { attempts: 5 } }, { restart: { delay: '1s' } }),
    );
    expect(group0(job).restart).toMatchObject({ attempts: 5, delay: '15s' });
    expect(task0(job).restart).toMatchObject({
      attempts: 5,
      delay: '1s',
      interval: '30m',
      mode: 'fail',
    });
  });

  it('asks for 100 MHz only when neither cpu nor cores is given', () => {
    expect(
      task0(applyDefaults(oneTask(undefined, {}, { resources: { cores: 2 } }))).resources,
    ).toEqual({
      cores: 2,
      cpu: 0,
      memory: 300,
    });
    expect(
      task0(applyDefaults(oneTask(undefined, {}, { resources: { cpu: 250 } }))).resources,
    ).toEqual({
      cores: 0,
      cpu: 250,
      memory: 300,
    });
  });

  it('takes the group count from the scaling minimum', () => {
    const g = group0(applyDefaults(oneTask(undefined, { scaling: { min: 3, max: 9 } })));
    expect(g.count).toBe(3);
    expect(g.scaling).toEqual({ min: 3, max: 9, enabled: true, type: 'horizontal' });
    const h = group0(applyDefaults(oneTask(undefined, { count: 2, scaling: { max: 9 } })));
    expect(h.scaling?.min).toBe(2);
  });

  it('names services after job, group and task and fills their checks', () => {
    const input = oneTask(
      undefined,
      {
        service: [
          {
            port: 'http',
            on_update: 'ignore',
            check_restart: { limit: 3 },
            check: [
              {
                type: 'http',
                path: '/',
                check_restart: { grace: '5s' },
                success_before_passing: -2,
              },
            ],
          },
        ],
      },
      { service: [{ port: 'http', weights: { passing: 0 } }] },
    );
    const job = applyDefaults(input);
    const gs = group0(job).service![0]!;
    expect(gs).toMatchObject({
      name: 'example-g',
      address_mode: 'auto',
      on_update: 'ignore',
      provider: 'consul',
      cluster: 'default',
    });
    expect(gs.check![0]).toMatchObject({
      on_update: 'ignore',
      success_before_passing: 0,
      check_restart: { limit: 3, grace: '5s', ignore_warnings: false },
    });
    const ts = task0(job).service![0]!;
    expect(ts).toMatchObject({
      name: 'example-g-t',
      on_update: 'require_healthy',
      weights: { passing: 1, warning: 1 },
    });
  });

  it('fills templates, upper-casing signals', () => {
    const t = task0(
      applyDefaults(
        oneTask(
          undefined,
          {},
          {
            template: [
              { data: 'x', destination: 'local/a', change_mode: 'signal' },
              {
                data: 'y',
                destination: 'local/b',
                change_signal: 'sigusr1',
                change_mode: 'signal',
              },
              {
                data: 'z',
                destination: 'local/c',
                change_mode: 'script',
                change_script: { command: '/bin/x' },
              },
            ],
          },
        ),
      ),
    );
    expect(t.template![0]).toEqual({
      data: 'x',
      destination: 'local/a',
      change_mode: 'signal',
      change_signal: 'SIGHUP',
      splay: '5s',
      perms: '0644',
      left_delimiter: '{{',
      right_delimiter: '}}',
      env: false,
      error_on_missing_key: false,
    });
    expect(t.template![1]!.change_signal).toBe('SIGUSR1');
    expect(t.template![2]!.change_script).toEqual({
      command: '/bin/x',
      args: [],
      timeout: '5s',
      fail_on_error: false,
    });
  });

  it('puts artifacts under local/', () => {
    const t = task0(
      applyDefaults(
        oneTask(
          undefined,
          {},
          {
            artifact: [
              { source: 'https://example.com/files/app.tar.gz' },
              { source: 'https://example.com/files/app.conf', mode: 'file' },
            ],
          },
        ),
      ),
    );
    expect(t.artifact).toEqual([
      {
        source: 'https://example.com/files/app.tar.gz',
        mode: 'any',
        insecure: false,
        destination: 'local/',
      },
      {
        source: 'https://example.com/files/app.conf',
        mode: 'file',
        insecure: false,
        destination: 'local/app.conf',
      },
    ]);
  });

  it('turns constraint and affinity shorthands into operator and value', () => {
    const input: Job = {
      ...oneTask(),
      constraint: [
        { distinct_hosts: true },
        { attribute: '${attr.os.version}', version: '>= 1.2' },
        { distinct_property: '${meta.rack}', value: '2' },
        { attribute: '${attr.kernel.name}', value: 'linux' },
      ],
      affinity: [{ attribute: '${meta.tags}', set_contains_any: 'a,b' }],
    };
    const job = applyDefaults(input);
    expect(job.constraint).toEqual([
      { operator: 'distinct_hosts' },
      { attribute: '${attr.os.version}', operator: 'version', value: '>= 1.2' },
      { attribute: '${meta.rack}', operator: 'distinct_property', value: '2' },
      { attribute: '${attr.kernel.name}', operator: '=', value: 'linux' },
    ]);
    expect(job.affinity).toEqual([
      { attribute: '${meta.tags}', operator: 'set_contains_any', value: 'a,b', weight: 50 },
    ]);
  });

  it('gives tasks the group or job vault block when they have none', () => {
    const input: Job = { ...oneTask(), vault: { policies: ['job'] } };
    input.group!.push({
      name: 'h',
      vault: { policies: ['group'] },
      task: [
        { name: 'a', driver: 'exec' },
        { name: 'b', driver: 'exec', vault: { policies: ['own'] } },
      ],
    });
    const job = applyDefaults(input);
    expect(task0(job).vault).toMatchObject({
      policies: ['job'],
      env: true,
      change_mode: 'restart',
      cluster: 'default',
    });
    const h = job.group![1]!;
    expect(h.task!.map((t) => t.vault?.policies)).toEqual([['group'], ['own']]);
  });

  it('turns tasks outside groups into groups of their own, after the written groups', () => {
    const input: Job = { ...oneTask(), task: [{ name: 'lonely', driver: 'exec' }] };
    const job = applyDefaults(input);
    expect(job.task).toBeUndefined();
    expect(job.group!.map((g) => g.name)).toEqual(['g', 'lonely']);
    expect(job.group![1]!.task![0]!.name).toBe('lonely');
    expect(job.group![1]!.count).toBe(1);
  });

  it('gives ports the default host network and volume mounts their defaults', () => {
    const job = applyDefaults(
      oneTask(
        undefined,
        { network: [{ port: [{ label: 'http' }, { label: 'admin', host_network: 'private' }] }] },
        { volume_mount: [{ volume: 'v', destination: '/v' }] },
      ),
    );
    expect(group0(job).network![0]!.port!.map((p) => p.host_network)).toEqual([
      'default',
      'private',
    ]);
    expect(task0(job).volume_mount![0]).toEqual({
      volume: 'v',
      destination: '/v',
      propagation_mode: 'private',
      read_only: false,
      selinux_label: '',
    });
  });

  it('fills periodic, parameterized, disconnect and CSI plugin defaults', () => {
    const input: Job = {
      ...oneTask(
        'batch',
        { disconnect: { lost_after: '1h' } },
        { csi_plugin: { id: 'ebs', type: 'node' } },
      ),
      periodic: { crons: ['@daily'] },
      parameterized: {},
    };
    const job = applyDefaults(input);
    expect(job.periodic).toEqual({
      crons: ['@daily'],
      enabled: true,
      prohibit_overlap: false,
      time_zone: 'UTC',
    });
    expect(job.parameterized).toEqual({ payload: 'optional' });
    expect(group0(job).disconnect).toEqual({
      lost_after: '1h',
      replace: true,
      reconcile: 'best_score',
    });
    expect(task0(job).csi_plugin).toEqual({
      id: 'ebs',
      type: 'node',
      mount_dir: '/csi',
      stage_publish_base_dir: '/local/csi',
      health_timeout: '30s',
    });
  });

  it('drops a lifecycle block without a hook', () => {
    expect(
      task0(applyDefaults(oneTask(undefined, {}, { lifecycle: { sidecar: true } }))).lifecycle,
    ).toBeUndefined();
  });

  it('keeps what the job sets and does not modify its input', () => {
    const input = webService();
    const before = structuredClone(input);
    const job = applyDefaults(input);
    expect(input).toEqual(before);
    expect(group0(job).count).toBe(3);
    expect(task0(job).kill_timeout).toBe('20s');
    expect(task0(job).logs).toEqual({ max_files: 5, max_file_size: 15, disabled: false });
    expect(group0(job).update).toMatchObject({ healthy_deadline: '3m', auto_revert: true });
  });

  it('is idempotent', () => {
    const once = applyDefaults(kitchenSink());
    expect(applyDefaults(once)).toEqual(once);
  });
});
