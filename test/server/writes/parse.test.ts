/**
 * `PUT /v1/jobs/parse` and `PUT /v1/validate/job`: every job under examples/ parsed from its HCL
 * answers the job drover loads from the file; variables come from the request, files from
 * nowhere; validation answers Nomad's shape with drover's messages.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { routes } from '../../../src/server/api/jobs-parse.js';
import { fromNomadJob } from '../../../src/server/nomad/job-json.js';
import { call, exampleJobs, mockJob, refusal, startServer, type TestServer } from './support.js';

type Reply = Record<string, unknown>;

describe('jobs parse and validate', () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startServer();
  });
  afterAll(() => t.close());

  const parse = (body: unknown) => call(t.server, routes, 'PUT', '/v1/jobs/parse', { body });

  it.each(exampleJobs().map((j) => [j.file.split('/examples/')[1]!, j] as const))(
    'parses %s to the job drover loads from the file',
    async (_name, { file, loaded }) => {
      const reply = await parse({ JobHCL: readFileSync(file, 'utf8'), Canonicalize: true });
      const json = reply.json as Reply;
      expect(json.ID).toBe(loaded.id);
      const read = fromNomadJob(json);
      expect(read.ok && read.job).toEqual(loaded.job);
    },
  );

  it('takes variables from the request, and reads no file', async () => {
    const hcl = `variable "image" {
  type = string
}
job "v" {
  group "g" {
    task "t" {
      driver = "mock"
      config {
        image = var.image
      }
    }
  }
}
`;
    const reply = await parse({ JobHCL: hcl, Variables: 'image = "busybox:1"\n' });
    const task = ((reply.json as Reply).TaskGroups as Reply[])[0]!.Tasks as Reply[];
    expect(task[0]!.Config).toEqual({ image: 'busybox:1' });
    const missing = await refusal(parse({ JobHCL: hcl }));
    expect(missing.status).toBe(400);
    expect(missing.message).toMatch(/^\/v1\/jobs\/parse\/job\.nomad\.hcl:1:1: /);
    const reads = await refusal(
      parse({
        JobHCL: hcl.replace('var.image', 'file("/etc/passwd")'),
        Variables: 'image = "x"',
      }),
    );
    expect(reads.message).toContain('no file exists at "/etc/passwd"');
    expect(reads.message).not.toContain('root:');
  });

  it('refuses HCL v1 and an empty job', async () => {
    expect((await refusal(parse({ JobHCL: 'job "x" {}', HCLv1: true }))).message).toContain(
      'HCL v1 is not supported',
    );
    expect((await refusal(parse({ JobHCL: '  ' }))).message).toBe('Job spec is empty');
  });

  it("validates a job in Nomad's answer", async () => {
    const good = await call(t.server, routes, 'PUT', '/v1/validate/job', {
      body: { Job: mockJob('ok') },
    });
    expect(good.json).toEqual({
      DriverConfigValidated: true,
      ValidationErrors: null,
      Error: '',
      Warnings: '',
    });
    const bad = await call(t.server, routes, 'PUT', '/v1/validate/job', {
      body: { Job: mockJob('bad', 1, { Resources: { CPU: 10, MemoryMB: -1 }, Bogus: true }) },
    });
    const json = bad.json as { ValidationErrors: string[]; Error: string };
    expect(json.ValidationErrors).toEqual([
      expect.stringMatching(/^Job\.TaskGroups\[0\]\.Tasks\[0\]\.Bogus: Unsupported field/),
    ]);
    expect(json.Error).toMatch(/^1 error occurred:\n\n\* Job\.TaskGroups/);
  });
});
