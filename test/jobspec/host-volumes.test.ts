/** What the job language says about host volumes: what drover does not do is said at its line. */
import { describe, expect, it } from 'vitest';
import { Diagnostics } from '../../src/diag/diagnostic.js';
import { loadJobSource } from '../../src/jobspec/load.js';

function diagnose(group: string, task = '', driver = 'docker') {
  const diags = new Diagnostics();
  loadJobSource(
    `job "j" {
  group "g" {
${group}
    task "t" {
      driver = "${driver}"
      config {
        ${driver === 'docker' ? 'image = "busybox:1"' : 'command = "/bin/true"'}
      }
${task}
    }
  }
}
`,
    'job.hcl',
    { inputs: { vars: [], varFiles: [], env: {} } },
    diags,
  );
  return diags.items.map((d) => ({
    severity: d.refusedByPlan ? 'refusal' : d.severity,
    summary: d.summary,
    at: `${d.range?.start.line}:${d.range?.start.column}`,
  }));
}

const mount = `      volume_mount {
        volume      = "v"
        destination = "/data"
      }`;

describe('host volumes in the job language', () => {
  it('a host volume and its mount are accepted without a word', () => {
    const found = diagnose(
      `    volume "v" {
      type      = "host"
      source    = "data"
      read_only = true
    }`,
      mount,
    );
    expect(found).toEqual([]);
  });

  it('per_alloc is refused by plan at its line (every allocation would share one directory)', () => {
    const found = diagnose(
      `    volume "v" {
      type      = "host"
      source    = "data"
      per_alloc = true
    }`,
      mount,
    );
    expect(found).toEqual([
      { severity: 'refusal', summary: 'per_alloc is not run by drover', at: '6:7' },
    ]);
  });

  it('mount_options on a host volume is an error, as in Nomad', () => {
    const found = diagnose(
      `    volume "v" {
      type   = "host"
      source = "data"
      mount_options {
        fs_type = "ext4"
      }
    }`,
      mount,
    );
    expect(found).toEqual([
      { severity: 'error', summary: 'Host volumes cannot have mount options', at: '6:7' },
    ]);
  });

  it('dynamic host volume arguments and selinux_label are warned about at their line', () => {
    const found = diagnose(
      `    volume "v" {
      type        = "host"
      source      = "data"
      access_mode = "single-node-writer"
      sticky      = true
    }`,
      `      volume_mount {
        volume        = "v"
        destination   = "/data"
        selinux_label = "z"
      }`,
    );
    expect(found.map((f) => `${f.severity} ${f.summary} ${f.at}`)).toEqual([
      'warning Argument not applied by drover 6:21',
      'warning Argument not applied by drover 7:21',
      'warning Argument not applied by drover 17:25',
    ]);
  });

  it("an exec task's mount is refused by plan and apply (it cannot be made); raw_exec is silent, as Nomad", () => {
    const group = `    volume "v" {
      type   = "host"
      source = "data"
    }`;
    expect(diagnose(group, mount, 'exec')).toEqual([
      {
        severity: 'refusal',
        summary: 'volume_mount is not run by drover for the exec driver',
        at: '12:7',
      },
    ]);
    expect(diagnose(group, mount, 'raw_exec')).toEqual([]);
  });

  it('CSI volumes stay refused', () => {
    const found = diagnose(
      `    volume "v" {
      type   = "csi"
      source = "data"
    }`,
      mount,
    );
    expect(found.map((f) => `${f.severity} ${f.summary}`)).toEqual([
      'refusal volume is not run by drover',
    ]);
  });
});
