/**
 * Nomad's job JSON both ways: every job under examples/ written as Nomad's `api.Job` and read
 * back is the same normalized job; Nomad's field names, units and zero values on the way out;
 * bad and unsupported fields refused on the way in with the field's path.
 */
import { describe, expect, it } from 'vitest';
import {
  diagnosticsText,
  fromNomadJob,
  toNomadJob,
  type JobVersionFacts,
} from '../../../src/server/nomad/job-json.js';
import { driverConfigCheck } from '../../../providers/config-validators.js';
import { exampleJobs } from './support.js';

const examples = new URL('../../../examples/', import.meta.url).pathname;

const facts: JobVersionFacts = {
  namespace: 'default',
  version: 3,
  stable: true,
  status: 'running',
  stop: false,
  submitTime: 1_700_000_000_000_000_000,
  createIndex: 5,
  modifyIndex: 9,
  jobModifyIndex: 4,
};

describe('Nomad job JSON', () => {
  const jobs = exampleJobs();

  it('finds the examples', () => {
    expect(jobs.length).toBeGreaterThanOrEqual(8);
  });

  it.each(jobs.map((j) => [j.file.slice(examples.length), j] as const))(
    '%s: written as Nomad JSON and read back is the same job',
    (_name, { loaded }) => {
      const json = toNomadJob(loaded.job, facts);
      // Through JSON text, as a client would send it.
      const read = fromNomadJob(JSON.parse(JSON.stringify(json)), { drivers: driverConfigCheck });
      expect(read.ok ? '' : diagnosticsText(read.diagnostics)).toBe('');
      expect(read.ok && read.job).toEqual(loaded.job);
    },
  );

  it("uses Nomad's names, units and zero values", () => {
    const web = jobs.find((j) => j.loaded.id === 'web')!.loaded.job;
    // eslint-disable-next-line @typescript-eslint/no-explicit-any -- reading deep into the JSON
    const json = toNomadJob(web, facts) as Record<string, any>;
    expect(json).toMatchObject({
      ID: 'web',
      Name: 'web',
      Namespace: 'default',
      Type: 'service',
      Priority: 50,
      Region: 'global',
      Datacenters: ['*'],
      NodePool: 'default',
      Stop: false,
      Status: 'running',
      Stable: true,
      Version: 3,
      SubmitTime: facts.submitTime,
      CreateIndex: 5,
      ModifyIndex: 9,
      JobModifyIndex: 4,
      ParentID: '',
      Dispatched: false,
      Periodic: null,
      ParameterizedJob: null,
      Payload: null,
      Meta: null,
      Constraints: [{ LTarget: '${attr.kernel.name}', RTarget: 'linux', Operand: '=' }],
    });
    expect(json.Update.MinHealthyTime).toBe(5_000_000_000);
    const [frontend, status] = json.TaskGroups;
    expect(frontend.Count).toBe(3);
    expect(frontend.Networks[0].DynamicPorts).toEqual([
      { Label: 'http', Value: 0, To: 0, HostNetwork: 'default', IgnoreCollision: false },
    ]);
    expect(frontend.Networks[0].ReservedPorts).toBeNull();
    expect(status.Networks[0].ReservedPorts[0]).toMatchObject({
      Label: 'http',
      Value: 8080,
      To: 80,
    });
    expect(frontend.Services[0]).toMatchObject({
      Name: 'web',
      PortLabel: 'http',
      Provider: 'nomad',
      Checks: [{ Name: 'index', Type: 'http', Interval: 5e9, Timeout: 2e9 }],
    });
    const task = frontend.Tasks[0];
    expect(task).toMatchObject({
      Name: 'httpd',
      Driver: 'docker',
      Resources: { CPU: 50, MemoryMB: 32, Networks: null },
      KillTimeout: 5e9,
      LogConfig: { MaxFiles: 10, MaxFileSizeMB: 10, Disabled: false },
      Lifecycle: null,
      User: '',
      Leader: false,
    });
    expect(frontend.ReschedulePolicy).toMatchObject({
      Delay: 30e9,
      MaxDelay: 3600e9,
      Unlimited: true,
    });
  });

  it('reads a job as `nomad job run -output` sends it (nulls and zero values)', () => {
    const read = fromNomadJob({
      Region: null,
      Namespace: null,
      ID: 'hello',
      Name: 'hello',
      Type: null,
      Priority: null,
      AllAtOnce: null,
      Datacenters: null,
      Constraints: null,
      Affinities: null,
      TaskGroups: [
        {
          Name: 'g',
          Count: 2,
          Constraints: null,
          Tasks: [
            {
              Name: 't',
              Driver: 'raw_exec',
              User: '',
              Lifecycle: null,
              Config: { command: '/bin/sleep', args: ['30'] },
              Constraints: null,
              Env: null,
              Services: null,
              Resources: { CPU: 100, MemoryMB: 64, Networks: null },
              RestartPolicy: null,
              Leader: false,
              ShutdownDelay: 0,
              KillSignal: '',
              KillTimeout: 10_000_000_000,
              Kind: '',
              ScalingPolicies: null,
              Identity: null,
            },
          ],
          RestartPolicy: { Attempts: 0, Mode: 'fail' },
          Networks: null,
          Meta: null,
        },
      ],
      Update: null,
      Periodic: null,
      ParameterizedJob: null,
      Dispatched: false,
      Payload: null,
      Meta: { owner: 'ops' },
      Stop: null,
      Status: null,
      Version: null,
      SubmitTime: null,
      CreateIndex: null,
      ModifyIndex: null,
      JobModifyIndex: null,
    });
    if (!read.ok) throw new Error(diagnosticsText(read.diagnostics));
    expect(read.submitted).toEqual({
      id: 'hello',
      name: 'hello',
      group: [
        {
          name: 'g',
          count: 2,
          task: [
            {
              name: 't',
              driver: 'raw_exec',
              config: { command: '/bin/sleep', args: ['30'] },
              resources: { cpu: 100, memory: 64 },
              kill_timeout: 10_000_000_000,
            },
          ],
          restart: { attempts: 0, mode: 'fail' },
        },
      ],
      meta: { owner: 'ops' },
    });
    const g = read.job.group[0]!;
    expect(read.job.type).toBe('service');
    expect(g.task[0]!.kill_timeout).toBe(10_000);
    // The group's restart given, the rest of it defaulted as for HCL.
    expect(g.restart).toMatchObject({ attempts: 0, mode: 'fail', delay: 15_000 });
  });

  it('refuses a field drover does not run, naming it, rather than dropping it', () => {
    const read = fromNomadJob({
      ID: 'x',
      TaskGroups: [
        {
          Name: 'g',
          Tasks: [{ Name: 't', Driver: 'raw_exec', Config: { command: 'true' }, Frobnicate: 3 }],
        },
      ],
    });
    expect(read.ok).toBe(false);
    expect(diagnosticsText(read.diagnostics)).toContain(
      'Job.TaskGroups[0].Tasks[0].Frobnicate: Unsupported field Job.TaskGroups[0].Tasks[0].Frobnicate',
    );
  });

  it("refuses a bad job with drover's own messages at the Nomad field", () => {
    const read = fromNomadJob({
      ID: 'x',
      Type: 'service',
      TaskGroups: [
        {
          Name: 'g',
          Count: -1,
          Tasks: [{ Name: 't', Driver: 'raw_exec', Config: { command: 'true' } }],
        },
      ],
    });
    expect(read.ok).toBe(false);
    expect(diagnosticsText(read.diagnostics)).toMatch(/^Job\.TaskGroups\[0\]\.Count: /m);
  });

  it('refuses a stopped job and launch fields', () => {
    const read = fromNomadJob({
      ID: 'x',
      Stop: true,
      ParentID: 'p',
      TaskGroups: [
        { Name: 'g', Tasks: [{ Name: 't', Driver: 'raw_exec', Config: { command: 'true' } }] },
      ],
    });
    expect(read.ok).toBe(false);
    const text = diagnosticsText(read.diagnostics);
    expect(text).toContain('Job.Stop: Stop is not supported');
    expect(text).toContain('Job.ParentID: ParentID is not supported');
  });
});
