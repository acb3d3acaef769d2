import { describe, expect, it } from 'vitest';
import { destinationVerdict, knownTaskEnv } from '../../src/jobspec/rules-sandbox.js';
import { validateText } from './load-support.js';

const env = knownTaskEnv({ job: 'web', group: 'g', task: 't', meta: { up: '../../..' } });
const kind = (what: 'template' | 'artifact', dest: string) =>
  destinationVerdict(what, dest, env).kind;

describe('template and artifact destinations (sandbox)', () => {
  it('accepts paths inside the task directory and the shared alloc directory', () => {
    for (const dest of [
      'local/a.conf',
      'secrets/x',
      '../alloc/shared',
      'a/../b',
      '.',
      '/local/x',
      '/secrets/y',
      '/alloc/z',
      '${NOMAD_TASK_DIR}/x',
      '${NOMAD_SECRETS_DIR}/${NOMAD_TASK_NAME}.env',
    ])
      for (const what of ['template', 'artifact'] as const)
        expect([what, dest, kind(what, dest)]).toEqual([what, dest, 'ok']);
  });

  it("refuses a relative path that leaves the allocation directory (Nomad's validate)", () => {
    for (const dest of ['../../etc/x', '../../../../../../../tmp/pwned', 'local/../../../x'])
      for (const what of ['template', 'artifact'] as const) {
        const v = destinationVerdict(what, dest, env);
        expect(v).toMatchObject({
          kind: 'error',
          summary: 'destination escapes allocation directory',
        });
      }
  });

  it("refuses a path in the allocation directory outside the task's and alloc/ (Nomad's client)", () => {
    for (const dest of ['..', '../x', '../other-task/local/x'])
      expect(destinationVerdict('template', dest, env)).toMatchObject({
        kind: 'error',
        summary: 'template destination path escapes alloc directory',
      });
  });

  it('judges an interpolated destination once the known environment is in it', () => {
    expect(destinationVerdict('template', '${NOMAD_META_up}/x', env)).toMatchObject({
      kind: 'error',
      detail: expect.stringContaining('"../../../x"'),
    });
    expect(kind('artifact', '${env["NOMAD_META_up"]}/x')).toBe('error');
    // The node's attributes are known only at plan.
    expect(kind('template', '${attr.unique.hostname}/x')).toBe('runtime');
    expect(kind('template', '${NOMAD_META_missing}/x')).toBe('runtime');
  });

  it('an absolute template destination outside the task directories is a plan refusal; an artifact one is joined to the task directory', () => {
    expect(destinationVerdict('template', '/etc/passwd', env)).toMatchObject({ kind: 'refusal' });
    expect(destinationVerdict('template', '${NOMAD_TASK_DIR}/../../../etc/x', env)).toMatchObject({
      kind: 'refusal',
    });
    expect(kind('artifact', '/etc/passwd')).toBe('ok');
  });
});

/** Validates a jobspec as `drover validate` does; the diagnostics as `line:col severity summary`. */
function validate(task: string): string[] {
  const text = `job "web" {
  meta {
    up = "../../../.."
  }
  group "g" {
    task "t" {
      driver = "raw_exec"
      config {
        command = "/bin/true"
      }
${task}
    }
  }
}
`;
  const diags = validateText(text);
  return diags.items
    .filter((d) => d.severity === 'error' || d.refusedByPlan)
    .map(
      (d) =>
        `${d.range?.start.line}:${d.range?.start.column} ${d.refusedByPlan ? 'refusal' : d.severity} ${d.summary}`,
    );
}

describe('validate refuses destinations out of the sandbox at their line', () => {
  it('a template writing to ../../etc/x', () => {
    expect(
      validate(
        `      template {\n        data = "x"\n        destination = "../../etc/x"\n      }`,
      ),
    ).toEqual(['13:23 error destination escapes allocation directory']);
  });

  it('an artifact writing outside the allocation directory', () => {
    expect(
      validate(
        `      artifact {\n        source = "https://example.com/a.tgz"\n        destination = "../../../../../tmp/x"\n      }`,
      ),
    ).toEqual(['13:23 error destination escapes allocation directory']);
  });

  it('a template destination that escapes once the job meta is interpolated', () => {
    expect(
      validate(
        `      template {\n        data = "x"\n        destination = "\${NOMAD_META_up}/x"\n      }`,
      ),
    ).toEqual(['13:23 error destination escapes allocation directory']);
  });

  it('a template writing to /etc/passwd: refused by plan and apply, at the line', () => {
    expect(
      validate(
        `      template {\n        data = "x"\n        destination = "/etc/passwd"\n      }`,
      ),
    ).toEqual(['13:23 refusal template destination outside the allocation directory']);
  });

  it('a template in local/ passes', () => {
    expect(
      validate(
        `      template {\n        data = "x"\n        destination = "local/app.conf"\n      }`,
      ),
    ).toEqual([]);
  });
});
