/**
 * Part `injection` (issue 17 item 4): every string that reaches a host, with shell
 * metacharacters, quotes, newlines, NUL and very long values, over SSH (loopback sshd, user
 * `deploy`) and locally (raw_exec, docker). A canary file must never appear; values must arrive
 * byte-exact where they are meant to (the task prints its args, env and meta back); names and
 * paths either are refused at validate with a diagnostic, or are applied and run nothing.
 */
import { chmodSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startSshHost, type SshHost } from '../../support/sshd.js';
import type { PartContext, ReliabilityPart, ReliabilityRow } from '../types.js';
import { hclString, hostileValues, type Hostile } from '../b-hostile.js';
import { hasStackTrace, localNode, project, type Project } from '../b-project.js';

const SEP = '\n@@\n';
/** Prints each argument, then the env and meta values, each followed by SEP. */
const PRINT = (n: number): string =>
  `for a in "$@"; do printf '%s${SEP.replaceAll('\n', '\\n')}' "$a"; done; ` +
  Array.from(
    { length: n },
    (_, i) => `printf '%s${SEP.replaceAll('\n', '\\n')}' "$V_${i}" "$NOMAD_META_m${i}"`,
  ).join('; ');

interface Host {
  name: string;
  otherRoots?: string[];
  driver: 'raw_exec' | 'docker';
  config: (allocRoot: string) => string;
}

function echoJob(job: string, driver: Host['driver'], values: readonly Hostile[]): string {
  const list = (xs: string[]): string => `[${xs.join(', ')}]`;
  const args = list([
    hclString('-c'),
    hclString(PRINT(values.length)),
    hclString('sh'),
    ...values.map((v) => hclString(v.value)),
  ]);
  const kv = (prefix: string): string =>
    values.map((v, i) => `        ${prefix}${i} = ${hclString(v.value)}`).join('\n');
  const command =
    driver === 'docker'
      ? `image = "drover-test/busybox:v1"\n        command = "sh"`
      : `command = "/bin/sh"`;
  return `job "${job}" {
  type = "batch"
  group "g" {
    task "t" {
      driver = "${driver}"
      config {
        ${command}
        args = ${args}
      }
      env {
${kv('V_')}
      }
      meta {
${kv('m')}
      }
      resources {
        cpu    = 20
        memory = 32
      }
    }
  }
}
`;
}

async function waitForLogs(p: Project, job: string, want: number): Promise<string> {
  let last = '';
  for (let i = 0; i < 60; i++) {
    const r = await p.cli(['logs', job]);
    last = r.stdout;
    if (last.split(SEP).length > want) return last;
    await new Promise((res) => setTimeout(res, 500));
  }
  return last;
}

/** Values through args, env and meta on one host: tries = values × 3. */
async function valuesRow(host: Host, canary: string): Promise<ReliabilityRow> {
  const values = hostileValues(canary);
  const job = `inj-${host.name.replace(/\W/g, '')}-${process.pid}`;
  const p = project(`inj-${host.name.replace(/\W/g, '')}`, host.config, host.otherRoots);
  const lost: string[] = [];
  let passed = 0;
  try {
    const file = p.write('echo.nomad.hcl', echoJob(job, host.driver, values));
    const applied = await p.cli(['apply', '-auto-approve', file]);
    if (applied.code !== 0)
      lost.push(`apply exit ${applied.code}: ${(applied.stdout + applied.stderr).slice(-300)}`);
    const out = await waitForLogs(p, job, values.length * 3);
    const parts = out.split(SEP);
    const got = {
      args: parts.slice(0, values.length),
      env: parts.slice(values.length).filter((_, i) => i % 2 === 0),
      meta: parts.slice(values.length).filter((_, i) => i % 2 === 1),
    };
    for (const [field, seen] of Object.entries(got)) {
      values.forEach((v, i) => {
        if (seen[i] === v.value) passed++;
        else
          lost.push(
            `${field} ${v.label} arrived as ${JSON.stringify((seen[i] ?? '(nothing)').slice(0, 60))}`,
          );
      });
    }
  } finally {
    lost.push(...(await p.close([job])));
  }
  const pwned = existsSync(canary);
  if (pwned) lost.unshift('THE CANARY APPEARED');
  return {
    test: `injection: ${values.length} hostile values in task args, env and meta, ${host.name}`,
    tries: values.length * 3,
    passed: pwned ? 0 : passed,
    lost:
      lost.length === 0
        ? 'nothing (no canary; every value byte-exact)'
        : lost.slice(0, 3).join('; ').slice(0, 400),
  };
}

interface NameCase {
  label: string;
  /** Run at sample scale too (the rest only at full scale). */
  sample?: boolean;
  /** The job's text, with `JOB` the job's id to use. */
  jobspec: (job: string) => string;
  /**
   * Must be refused with a diagnostic at its line: by validate, or (a plan refusal) by apply
   * before anything runs. Accepting it is a lost try even when nothing ran.
   */
  refuse?: boolean;
}

/** Jobs whose names and paths are hostile: each refused at validate, or safe when applied. */
function nameCases(canary: string): NameCase[] {
  const touch = `touch\${IFS}${canary}`;
  const base =
    (over: { job?: string; group?: string; task?: string; config?: string; extra?: string }) =>
    (job: string) =>
      `job ${hclString(over.job ?? job)} {
  type = "batch"
  group ${hclString(over.group ?? 'g')} {
    task ${hclString(over.task ?? 't')} {
      driver = "raw_exec"
      config {
        ${over.config ?? 'command = "/bin/true"'}
      }
${over.extra ?? ''}
      resources {
        cpu    = 20
        memory = 16
      }
    }
  }
}
`;
  const sandboxEscape = `../../../../../../../../..${canary}`;
  return [
    { label: 'job name with $( )', sample: true, jobspec: base({ job: `j$(${touch})` }) },
    { label: 'job name with ;', jobspec: base({ job: `j;${touch}` }) },
    { label: 'group name with backticks', jobspec: base({ group: `g\`${touch}\`` }) },
    { label: 'task name with quotes', jobspec: base({ task: `t';${touch};'` }) },
    { label: 'task name with a slash', sample: true, jobspec: base({ task: `../../../t` }) },
    { label: 'job name 10 kB long', jobspec: base({ job: 'j'.repeat(10_000) }) },
    {
      label: 'command path with ;',
      jobspec: base({ config: `command = ${hclString(`/bin/true;${touch}`)}` }),
    },
    {
      label: 'NUL in an argument',
      jobspec: base({ config: `command = "/bin/echo"\n        args = ["a\\u0000b"]` }),
    },
    {
      label: 'NUL in an env value',
      sample: true,
      jobspec: base({ extra: `      env {\n        A = "x\\u0000y"\n      }` }),
    },
    {
      label: 'newline in an env value',
      jobspec: base({ extra: `      env {\n        A = ${hclString(`x\n${touch}`)}\n      }` }),
    },
    {
      label: 'template destination with $( )',
      jobspec: base({
        extra: `      template {\n        data = "x"\n        destination = ${hclString(`local/$(${touch})`)}\n      }`,
      }),
    },
    {
      label: 'template destination out of the sandbox',
      sample: true,
      refuse: true,
      jobspec: base({
        extra: `      template {\n        data = "x"\n        destination = ${hclString(sandboxEscape)}\n      }`,
      }),
    },
    {
      label: 'template destination /etc/passwd',
      sample: true,
      refuse: true,
      jobspec: base({
        extra: `      template {\n        data = "x"\n        destination = "/etc/passwd"\n      }`,
      }),
    },
    {
      label: 'template destination out of the sandbox once interpolated',
      refuse: true,
      jobspec: base({
        extra: `      meta {\n        up = ${hclString(sandboxEscape)}\n      }\n      template {\n        data = "x"\n        destination = "\${NOMAD_META_up}"\n      }`,
      }),
    },
    {
      label: 'template destination out of the sandbox through the task directory',
      refuse: true,
      jobspec: base({
        extra: `      template {\n        data = "x"\n        destination = "\${NOMAD_TASK_DIR}/../../../../../../../../..${canary}"\n      }`,
      }),
    },
    {
      label: 'artifact URL with $( )',
      jobspec: base({
        extra: `      artifact {\n        source = ${hclString(`http://127.0.0.1:9/a$(${touch})`)}\n      }`,
      }),
    },
    {
      label: 'artifact destination out of the sandbox',
      sample: true,
      refuse: true,
      jobspec: base({
        extra: `      artifact {\n        source = "http://127.0.0.1:9/a"\n        destination = ${hclString(sandboxEscape)}\n      }`,
      }),
    },
    {
      label: 'meta value with a newline and $( )',
      jobspec: base({ extra: `      meta {\n        k = ${hclString(`v\n$(${touch})`)}\n      }` }),
    },
  ];
}

/** A diagnostic that points at the file (file:line:col) and says what is wrong. */
const DIAGNOSTIC = /\.nomad\.hcl:\d+:\d+: error: \S/;

async function namesRow(host: Host, canary: string, ctx: PartContext): Promise<ReliabilityRow> {
  const cases = nameCases(canary).filter((c) => ctx.scale === 'full' || c.sample);
  const p = project(`inj-names-${host.name.replace(/\W/g, '')}`, host.config);
  const lost: string[] = [];
  let passed = 0;
  let refused = 0;
  const applied: string[] = [];
  try {
    for (const [i, c] of cases.entries()) {
      const file = p.write(`case${i}.nomad.hcl`, c.jobspec(`names-${i}-${process.pid}`));
      const v = await p.cli(['validate', file]);
      if (hasStackTrace(v.stdout + v.stderr)) {
        lost.push(`${c.label}: validate printed a stack trace`);
        continue;
      }
      if (v.code !== 0) {
        if (DIAGNOSTIC.test(v.stdout + v.stderr)) {
          passed++;
          refused++;
        } else lost.push(`${c.label}: refused without a diagnostic at the line`);
        continue;
      }
      // Accepted: it must be applied (or fail) without running anything it should not.
      const jobId = /job\s+"([^"]*)"/.exec(c.jobspec(`names-${i}-${process.pid}`))?.[1] ?? '';
      applied.push(jobId);
      const hostBefore = p.hostView();
      const a = await p.cli(['apply', '-auto-approve', file]);
      const out = a.stdout + a.stderr;
      if (hasStackTrace(out)) lost.push(`${c.label}: apply printed a stack trace`);
      else if (existsSync(canary)) lost.push(`${c.label}: THE CANARY APPEARED`);
      else if (c.refuse && (a.code === 0 || !DIAGNOSTIC.test(out)))
        lost.push(`${c.label}: not refused at its line (apply exit ${a.code})`);
      else if (c.refuse && p.hostView() !== hostBefore)
        lost.push(`${c.label}: refused, but something was started on the host`);
      else {
        passed++;
        if (c.refuse) refused++;
      }
      ctx.log(`injection ${host.name}: ${c.label}: accepted, apply exit ${a.code}`);
    }
  } finally {
    lost.push(...(await p.close(applied)));
  }
  return {
    test: `injection: hostile names, paths and NUL (${cases.length} cases), ${host.name}`,
    tries: cases.length,
    passed: existsSync(canary) ? 0 : passed,
    lost: lost.length === 0 ? 'nothing (no canary)' : lost.slice(0, 3).join('; ').slice(0, 400),
    figures: `${refused} refused with a diagnostic at the line (validate, or plan for a plan refusal), ${cases.length - refused} accepted and ran nothing`,
  };
}

export const part: ReliabilityPart = {
  name: 'injection',
  async run(ctx) {
    // The canary's directory is writable by the deploy user too (the SSH host is this machine).
    const canaryDir = mkdtempSync(join(tmpdir(), 'drover-rel-canary-'));
    chmodSync(canaryDir, 0o777);
    const canary = join(canaryDir, 'pwned');
    const ssh: SshHost = await startSshHost({ address: '127.0.0.71' });
    const remoteRoot = `/home/deploy/drover-rel-injection-${process.pid}`;
    const sshNode = (): string =>
      `node "ssh" {\n  transport  = "ssh"\n  address    = "${ssh.address}"\n  port       = ${ssh.port}\n  user       = "${ssh.user}"\n  identity   = "${ssh.privateKeyPath}"\n  alloc_root = "${remoteRoot}/alloc"\n}\n`;
    const hosts: Host[] = [
      { name: 'local raw_exec', driver: 'raw_exec', config: localNode },
      {
        name: 'SSH raw_exec (deploy)',
        driver: 'raw_exec',
        config: sshNode,
        otherRoots: [`${remoteRoot}/alloc`],
      },
      { name: 'local docker', driver: 'docker', config: localNode },
    ];
    const rows: ReliabilityRow[] = [];
    try {
      for (const host of hosts) {
        rows.push(await valuesRow(host, canary));
        ctx.log(`injection: ${rows.at(-1)!.test}: ${rows.at(-1)!.passed}/${rows.at(-1)!.tries}`);
      }
      const nameHosts = ctx.scale === 'full' ? hosts.slice(0, 2) : hosts.slice(0, 1);
      for (const host of nameHosts) rows.push(await namesRow(host, canary, ctx));
    } finally {
      await ssh.stop();
      rmSync(remoteRoot, { recursive: true, force: true });
      rmSync(canaryDir, { recursive: true, force: true });
    }
    return rows;
  },
};
