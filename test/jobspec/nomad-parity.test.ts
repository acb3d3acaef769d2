import { describe, expect, it } from 'vitest';
import { Diagnostics } from '../../src/diag/diagnostic.js';
import { loadJobSource } from '../../src/jobspec/load.js';

/**
 * Job files judged as Nomad judges them: what Nomad accepts validates (at most with a warning
 * where drover runs it differently), what Nomad refuses is an error. Each case names the Nomad
 * code that decides (see the `// Nomad:` comments in src/jobspec/rules.ts).
 */
function validate(body: string): { errors: string[]; warnings: string[] } {
  const diags = new Diagnostics();
  loadJobSource(`job "parity" {\n${body}\n}\n`, 'parity.nomad.hcl', { inputs: NO_INPUTS }, diags);
  const of = (severity: string) =>
    diags.items.filter((d) => d.severity === severity).map((d) => d.summary);
  return { errors: of('error'), warnings: of('warning') };
}
const NO_INPUTS = { vars: [], varFiles: [], env: {} };

/** A group with one docker task; `group`, `task` and `config` are spliced into their blocks. */
const job = (group: string, task = '', config = '') => `
  group "web" {
    ${group}
    task "app" {
      driver = "docker"
      config {
        image = "nginx:1.27"
        ${config}
      }
      ${task}
    }
  }`;

describe('jobs Nomad accepts validate', () => {
  it.each([
    [
      'canaries with max_parallel = 0 (structs.go (*UpdateStrategy).IsEmpty: no deployment)',
      job('count = 2\n update {\n max_parallel = 0\n canary = 1\n }'),
      ['Canaries with max_parallel = 0'],
    ],
    [
      'a group service on a port the network lacks (Nomad resolves it when the allocation starts)',
      job('network {\n port "http" {}\n }\n service {\n name = "web"\n port = "htp"\n }'),
      ['Unknown port "htp"'],
    ],
    [
      'a group service naming a task the group lacks (only check tasks are checked)',
      job('service {\n name = "web"\n task = "nope"\n }'),
      ['Service "web" refers to non-existent task nope'],
    ],
    [
      'docker config ports the network lacks (the driver checks them when the task starts)',
      job('network {\n port "http" {}\n }', '', 'ports = ["http", "grpc"]'),
      ['Unknown port "grpc"'],
    ],
    [
      'a network mode no node offers (placement decides)',
      job('network {\n mode = "overlay"\n }'),
      ['Unknown network mode "overlay"'],
    ],
    [
      'two volumes with one name (a group holds its volumes by name)',
      job(
        'volume "data" {\n type = "host"\n source = "a"\n }\n volume "data" {\n type = "host"\n source = "b"\n }',
      ),
      ['Duplicate volume "data"'],
    ],
  ])('%s, with a warning', (_what, body, warnings) => {
    const got = validate(body);
    expect(got.errors).toEqual([]);
    expect(got.warnings).toEqual(warnings);
  });

  it.each([
    [
      'a task restart policy the group would not allow ((*Task).Validate has no restart rule)',
      job('', 'restart {\n attempts = 0\n mode = "delay"\n interval = "1s"\n }'),
    ],
    ['negative restart attempts ((*RestartPolicy).Validate)', job('restart { attempts = -1 }')],
    [
      'negative reschedule attempts, which turn rescheduling off ((*ReschedulePolicy).Enabled)',
      job('reschedule {\n attempts = -1\n unlimited = false\n }'),
    ],
    ['a negative restart delay ((*RestartPolicy).Validate)', job('restart { delay = "-1s" }')],
    [
      'duplicate unnamed checks of a group service (only task services are checked)',
      job(
        'network {\n port "http" {}\n }\n service {\n name = "web"\n port = "http"\n check {\n type = "tcp"\n interval = "10s"\n timeout = "2s"\n }\n check {\n type = "http"\n path = "/"\n interval = "10s"\n timeout = "2s"\n }\n }',
      ),
    ],
    [
      'one port label in the legacy networks of two tasks ((*TaskGroup).validateNetworks)',
      `group "web" {
        task "a" {
          driver = "docker"
          config { image = "nginx:1.27" }
          resources {
            network {
              port "http" {}
            }
          }
        }
        task "b" {
          driver = "docker"
          config { image = "nginx:1.27" }
          resources {
            network {
              port "http" {}
            }
          }
        }
      }`,
    ],
    [
      'one static port on two host networks ((*TaskGroup).validateNetworks)',
      job(
        'network {\n port "a" {\n static = 8080\n host_network = "public"\n }\n port "b" {\n static = 8080\n host_network = "private"\n }\n }',
      ),
    ],
    [
      'template perms with a leading zero too many (strconv.ParseUint(perms, 8, 12))',
      job('', 'template {\n data = "x"\n destination = "local/x"\n perms = "00644"\n }'),
    ],
    [
      'max_parallel above the count of a single-allocation group ((*TaskGroup).Warnings)',
      job('update { max_parallel = 3 }'),
    ],
  ])('%s', (_what, body) => {
    const got = validate(body);
    expect(got.errors).toEqual([]);
    // Templates are accepted but not rendered yet: plan and apply refuse them (validate warns);
    // that is drover's, not a Nomad rule.
    expect(
      got.warnings.filter(
        (w) => w !== 'Stanza not run by drover' && w !== 'template is not run by drover',
      ),
    ).toEqual([]);
  });
});

describe('jobs Nomad refuses are errors', () => {
  it.each([
    [
      'auto_promote without canaries ((*UpdateStrategy).Validate)',
      job('update { auto_promote = true }'),
      'Auto Promote requires a Canary count greater than zero',
    ],
    [
      'a spread weight of 0 ((*Spread).Validate)',
      job('spread {\n attribute = "${node.datacenter}"\n weight = 0\n }'),
      'Spread block must have a positive weight from 0 to 100',
    ],
    [
      'an ephemeral disk under 10 MB ((*EphemeralDisk).Validate)',
      job('ephemeral_disk { size = 5 }', 'logs {\n max_files = 1\n max_file_size = 1\n }'),
      'minimum DiskMB value is 10; got 5',
    ],
    [
      'disabled logs that would not fit the disk ((*LogConfig).Validate ignores disabled)',
      job('ephemeral_disk { size = 50 }', 'logs { disabled = true }'),
      'log storage (100 MB) must be less than requested disk capacity (50 MB)',
    ],
    [
      'a group service check with no port anywhere ((*Service).validateCheckPort)',
      job(
        'service {\n name = "web"\n check {\n type = "http"\n path = "/"\n interval = "10s"\n timeout = "2s"\n }\n }',
      ),
      'check of service "web" is missing a port',
    ],
    [
      'two unnamed checks of a task service (validateServices: both are named after the service)',
      job(
        'network {\n port "http" {}\n }',
        'service {\n name = "web"\n port = "http"\n check {\n type = "tcp"\n interval = "10s"\n timeout = "2s"\n }\n check {\n type = "tcp"\n interval = "20s"\n timeout = "2s"\n }\n }',
      ),
      'check "service: \\"web\\" check" is duplicate',
    ],
    [
      'a sysbatch reschedule policy that cannot work ((*TaskGroup).Validate checks it for sysbatch too)',
      `type = "sysbatch"\n${job('reschedule {\n attempts = 2\n interval = "1h"\n delay = "1s"\n }')}`,
      'Delay cannot be less than 5s (got 1s)',
    ],
    [
      'a template perms above 07777 (strconv.ParseUint(perms, 8, 12))',
      job('', 'template {\n data = "x"\n destination = "local/x"\n perms = "17777"\n }'),
      'Failed to parse "17777" as octal',
    ],
  ])('%s', (_what, body, error) => {
    expect(validate(body).errors).toEqual([error]);
  });
});
