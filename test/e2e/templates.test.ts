/**
 * Templates through the real CLI, as a new user meets them: a file and environment variables
 * rendered from the task's environment and a Variable, on the local node (raw_exec), over SSH
 * as the `deploy` user and in a Docker container; a changed Variable shows in the next plan as a
 * template change (never its content) and apply signals or restarts the task; a Consul function
 * is a plan error at its line.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { chmod } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureTestImages } from '../support/docker.js';
import { startSshHost, type SshHost } from '../support/sshd.js';
import { drover, type CliResult } from './cli.js';
import { writeLocalAndSshConfig } from './ssh-nodes.js';

const dir = mkdtempSync(join(tmpdir(), 'drover-e2e-templates-'));
const sshRoot = mkdtempSync(join(tmpdir(), 'drover-e2e-templates-ssh-'));
const suffix = `${process.pid}`;
// The Variables keyring of these tests, never the user's own.
const env = { DROVER_KEYRING: join(dir, 'keyring') };
let host: SshHost | undefined;

async function cli(args: string[]): Promise<CliResult> {
  return drover(dir, args, { env });
}

async function ok(args: string[]): Promise<CliResult> {
  const r = await cli(args);
  expect(r.code, `drover ${args.join(' ')}\n${r.stdout}${r.stderr}`).toBe(0);
  return r;
}

function writeJob(name: string, text: string): string {
  const path = join(dir, `${name}.nomad.hcl`);
  writeFileSync(path, text);
  return path;
}

interface Status {
  allocations: {
    id: string;
    client_status: string;
    desired_status: string;
    task_states: Record<string, { restarts: number }>;
  }[];
}

async function allocation(id: string): Promise<Status['allocations'][number]> {
  const s = JSON.parse((await ok(['status', id, '-json'])).stdout) as Status;
  const live = s.allocations.filter((a) => a.desired_status === 'run');
  expect(live).toHaveLength(1);
  return live[0]!;
}

/** The task's output once it contains `want` (a running task writes it a little later). */
async function logsWith(id: string, want: string, timeoutMs = 15_000): Promise<string> {
  const a = await allocation(id);
  const until = Date.now() + timeoutMs;
  for (;;) {
    const logs = (await ok(['logs', a.id])).stdout;
    if (logs.includes(want) || Date.now() > until) return logs;
    await new Promise((r) => setTimeout(r, 200));
  }
}

/**
 * A service job whose task prints its rendered file and environment, and prints the file again
 * on SIGHUP. `mode` is the file template's change_mode.
 */
function serviceJob(id: string, o: { node: string; mode: 'signal' | 'restart' }): string {
  const change =
    o.mode === 'signal' ? 'change_mode = "signal"\n      change_signal = "SIGHUP"' : '';
  return `job "${id}" {
  constraint {
    attribute = "\${node.unique.name}"
    value     = "${o.node}"
  }
  update {
    min_healthy_time = "1s"
    healthy_deadline = "1m"
  }
  group "g" {
    task "web" {
      driver = "raw_exec"
      config {
        command = "/bin/sh"
        args = ["-c", "trap 'echo got HUP; cat $NOMAD_TASK_DIR/app.conf' HUP; echo start; cat $NOMAD_TASK_DIR/app.conf; echo \\"GREETING=$GREETING\\"; while :; do sleep 0.2; done"]
      }
      template {
        destination = "local/app.conf"
        data        = <<EOF
task={{ env "NOMAD_TASK_NAME" }}
{{ with nomadVar "nomad/jobs/${id}" }}greeting={{ .greeting }}{{ end }}
EOF
        ${change}
      }
      template {
        destination = "secrets/app.env"
        env         = true
        data        = "GREETING=\\"{{ env \\"NOMAD_JOB_NAME\\" }} says hi\\"\\n"
      }
      resources {
        cpu    = 50
        memory = 32
      }
    }
  }
}
`;
}

beforeAll(async () => {
  host = await startSshHost({ address: '127.0.0.133' });
  await chmod(sshRoot, 0o777);
  writeLocalAndSshConfig(dir, host, sshRoot);
  await ensureTestImages();
});

afterAll(async () => {
  const s = await cli(['status', '-json']);
  const jobs = s.code === 0 ? (JSON.parse(s.stdout) as { jobs: { id: string }[] }).jobs : [];
  for (const { id } of jobs) await cli(['stop', '-auto-approve', '-purge', id]);
  await host?.stop();
  rmSync(dir, { recursive: true, force: true });
  rmSync(sshRoot, { recursive: true, force: true });
});

describe('templates through plan and apply', () => {
  it('raw_exec renders a file and env vars; a changed Variable signals the task', async () => {
    const id = `tmpl-local-${suffix}`;
    await ok(['var', 'put', `nomad/jobs/${id}`, 'greeting=hello']);
    const path = writeJob(id, serviceJob(id, { node: 'local', mode: 'signal' }));
    await ok(['apply', '-auto-approve', path]);
    const first = await logsWith(id, 'GREETING=');
    expect(first).toBe(`start\ntask=web\ngreeting=hello\nGREETING=${id} says hi\n`);

    // Nothing changed: no template change, and plan says so.
    const same = await cli(['plan', '-detailed-exitcode', path]);
    expect(same.code, same.stdout + same.stderr).toBe(0);
    expect(same.stdout).toContain('No changes');

    await ok(['var', 'put', '-force', `nomad/jobs/${id}`, 'greeting=bonjour']);
    const plan = await cli(['plan', '-detailed-exitcode', path]);
    expect(plan.code, plan.stdout + plan.stderr).toBe(2);
    expect(plan.stdout).toContain(
      '~ template "local/app.conf" (changes: signal SIGHUP to task "web")',
    );
    expect(plan.stdout).not.toContain('No changes');
    expect(plan.stdout).not.toContain('bonjour');
    const json = await cli(['plan', '-json', path]);
    expect(json.stdout).not.toContain('bonjour');
    const templates = (JSON.parse(json.stdout) as { jobs: { templates?: unknown[] }[] }).jobs[0]!
      .templates;
    expect(templates).toEqual([
      expect.objectContaining({
        destination: 'local/app.conf',
        task: 'web',
        change_mode: 'signal',
        change_signal: 'SIGHUP',
      }),
    ]);

    await ok(['apply', '-auto-approve', path]);
    const after = await logsWith(id, 'greeting=bonjour');
    expect(after).toBe(`${first}got HUP\ntask=web\ngreeting=bonjour\n`);
    expect((await allocation(id)).task_states.web!.restarts).toBe(0);
    const again = await cli(['plan', '-detailed-exitcode', path]);
    expect(again.code, again.stdout + again.stderr).toBe(0);
  });

  it('over SSH as the deploy user, a changed Variable restarts the task (change_mode restart)', async () => {
    const id = `tmpl-ssh-${suffix}`;
    await ok(['var', 'put', `nomad/jobs/${id}`, 'greeting=hello']);
    const path = writeJob(id, serviceJob(id, { node: 'remote', mode: 'restart' }));
    await ok(['apply', '-auto-approve', path]);
    const first = await logsWith(id, 'GREETING=');
    expect(first).toBe(`start\ntask=web\ngreeting=hello\nGREETING=${id} says hi\n`);

    await ok(['var', 'put', '-force', `nomad/jobs/${id}`, 'greeting=hola']);
    const plan = await cli(['plan', path]);
    expect(plan.stdout).toContain('~ template "local/app.conf" (changes: restart task "web")');
    await ok(['apply', '-auto-approve', path]);
    const after = await logsWith(id, 'greeting=hola');
    expect(after).toBe(`${first}start\ntask=web\ngreeting=hola\nGREETING=${id} says hi\n`);
    const a = await allocation(id);
    expect(a.client_status).toBe('running');
    expect(a.task_states.web!.restarts).toBe(1);
  });

  it('docker sees the file at /local and the env template in its environment', async () => {
    const id = `tmpl-docker-${suffix}`;
    const path = writeJob(
      id,
      `job "${id}" {
  type = "batch"
  group "g" {
    task "t" {
      driver = "docker"
      config {
        image   = "drover-test/busybox:v1"
        command = "sh"
        args    = ["-c", "cat /local/conf.txt; echo \\"PORT=$APP_PORT\\"; stat -c %a /secrets/app.env; cat /local/from-source.txt"]
      }
      # A template source the artifact brings: read on the host when the task starts.
      artifact {
        source      = "${join(dir, 'source.tpl')}"
        destination = "local/source.tpl"
        mode        = "file"
      }
      template {
        source      = "local/source.tpl"
        destination = "local/from-source.txt"
      }
      template {
        destination = "local/conf.txt"
        data        = "alloc {{ env \\"NOMAD_ALLOC_INDEX\\" }} of {{ env \\"NOMAD_JOB_NAME\\" | toUpper }}\\n"
      }
      template {
        destination = "\${NOMAD_SECRETS_DIR}/app.env"
        env         = true
        perms       = "0600"
        data        = "APP_PORT=8080 # comment\\n"
      }
      resources {
        cpu    = 50
        memory = 32
      }
    }
  }
}
`,
    );
    writeFileSync(join(dir, 'source.tpl'), 'from source: {{ env "NOMAD_TASK_NAME" }}\n');
    await ok(['apply', '-auto-approve', path]);
    const a = await allocation(id);
    expect(a.client_status).toBe('complete');
    const logs = (await ok(['logs', a.id])).stdout;
    expect(logs).toBe(`alloc 0 of ${id.toUpperCase()}\nPORT=8080\n600\nfrom source: t\n`);
  });

  it('docker: a changed Variable signals the container and runs a change script in it', async () => {
    const id = `tmpl-docker-sig-${suffix}`;
    await ok(['var', 'put', `nomad/jobs/${id}`, 'color=red']);
    const path = writeJob(
      id,
      `job "${id}" {
  constraint {
    attribute = "\${node.unique.name}"
    value     = "local"
  }
  update {
    min_healthy_time = "1s"
  }
  group "g" {
    task "t" {
      driver = "docker"
      config {
        image   = "drover-test/busybox:v1"
        command = "sh"
        args    = ["-c", "trap 'echo got HUP; cat /local/color.txt' HUP; cat /local/color.txt; while :; do sleep 1 & wait; done"]
      }
      template {
        destination   = "local/color.txt"
        data          = "color={{ with nomadVar \\"nomad/jobs/${id}\\" }}{{ .color }}{{ end }}\\n"
        change_mode   = "signal"
        change_signal = "SIGHUP"
      }
      template {
        destination = "local/shade.txt"
        data        = "shade={{ with nomadVar \\"nomad/jobs/${id}\\" }}{{ .color }}{{ end }}\\n"
        change_mode = "script"
        change_script {
          command = "/bin/sh"
          args    = ["-c", "cp /local/shade.txt /alloc/seen.txt"]
        }
      }
      resources {
        cpu    = 50
        memory = 32
      }
    }
  }
}
`,
    );
    await ok(['apply', '-auto-approve', path]);
    expect(await logsWith(id, 'color=red')).toBe('color=red\n');
    await ok(['var', 'put', '-force', `nomad/jobs/${id}`, 'color=blue']);
    const plan = await cli(['plan', path]);
    expect(plan.stdout).toContain(
      '~ template "local/color.txt" (changes: signal SIGHUP to task "t")',
    );
    expect(plan.stdout).toContain(
      '~ template "local/shade.txt" (changes: run the change script in task "t")',
    );
    await ok(['apply', '-auto-approve', path]);
    expect(await logsWith(id, 'color=blue')).toBe('color=red\ngot HUP\ncolor=blue\n');
    const a = await allocation(id);
    expect(readFileSync(join(dir, 'alloc', a.id, 'alloc', 'seen.txt'), 'utf8')).toBe(
      'shade=blue\n',
    );
    expect(a.task_states.t!.restarts).toBe(0);
  });

  it('a Consul function is a plan error at its line, and a missing Variable fails the plan', async () => {
    const consul = writeJob(
      'consul',
      `job "tmpl-consul-${suffix}" {
  group "g" {
    task "t" {
      driver = "raw_exec"
      config {
        command = "/bin/true"
      }
      template {
        destination = "local/x"
        data        = <<EOF
first line
{{ key "service/db/password" }}
EOF
      }
    }
  }
}
`,
    );
    const r = await cli(['plan', consul]);
    expect(r.code).not.toBe(0);
    expect(r.stdout + r.stderr).toContain('consul.nomad.hcl:12:4:');
    expect(r.stdout + r.stderr).toContain('template function "key" reads Consul');

    const missing = writeJob(
      'missing',
      serviceJob(`tmpl-missing-${suffix}`, { node: 'local', mode: 'restart' }).replace(
        '{{ with nomadVar',
        '{{ (nomadVar "nomad/jobs/none").x }}{{ with nomadVar',
      ),
    );
    const m = await cli(['plan', missing]);
    expect(m.code, m.stdout + m.stderr).toBe(1);
    expect(m.stderr).toContain('template "local/app.conf"');
    expect(m.stderr).toContain('nomad/jobs/none');
  });
});
