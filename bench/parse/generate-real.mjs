// Jobspecs shaped like the job files people keep in repositories, for the parse benchmark.
//
// The distribution matched (measured on the job files of hashicorp/nomad's e2e/ and demo/ trees
// and of public repositories with `.nomad` files; none of their text is reproduced here):
// - size: most files are 0.5–2 KB and 20–80 lines; about one in ten is 2–5 KB (several tasks,
//   long templates); the median is about 1 KB;
// - one group in about 85% of files, two or three in the rest; one task per group in about 75%
//   of groups, two to four in the rest (lifecycle sidecars, prestart tasks);
// - a licence or purpose comment at the top of most files; `constraint` on the kernel name in
//   most; `datacenters` in about half, `meta` in a quarter; `type` service, then batch, then
//   system;
// - drivers: docker most often, then raw_exec, exec, podman; `config` with an image or a
//   command and a short `args` list;
// - `resources` in most tasks; `network` with one or two ports, `service` with a check,
//   `restart`, `reschedule` and `update` blocks in a third of groups or fewer; a heredoc
//   `template` (3–15 lines of config or script) in about a quarter of tasks; `env` in a quarter;
// - `variable` blocks in about one file in ten.

const NAMES = [
  'web',
  'api',
  'cache',
  'worker',
  'redis',
  'proxy',
  'sleep',
  'echo',
  'db',
  'metrics',
  'logger',
  'backend',
  'frontend',
  'batch',
  'cron',
  'agent',
];
const IMAGES = ['busybox:1', 'nginx:1.27', 'redis:7', 'alpine:3.20', 'traefik:v3.1', 'caddy:2'];
const COMMANDS = ['/bin/sh', '/bin/sleep', 'bash', '/usr/bin/env', 'python3'];
const HEADERS = [
  ['# Copyright (c) Example Corp.', '# SPDX-License-Identifier: MPL-2.0'],
  ['# This job runs a small service and checks that it answers.'],
  ['# A batch job that prints its environment and exits.'],
];

/** One jobspec's source text, shaped like a real job file (see the header). */
export function generateRealJobspec(index, r) {
  const out = [];
  const line = (depth, text = '') => out.push(text ? '  '.repeat(depth) + text : '');
  const block = (depth, head, body) => {
    line(depth, `${head} {`);
    body(depth + 1);
    line(depth, '}');
  };
  const name = `${r.pick(NAMES)}-${index}`;
  const type = r.pick(['service', 'service', 'service', 'batch', 'batch', 'system']);
  // One file in ten is a big one: more groups and tasks, longer templates.
  const big = r.chance(0.1);

  if (r.chance(0.8)) {
    for (const comment of r.pick(HEADERS)) line(0, comment);
    line(0);
  }
  const withVariables = r.chance(0.1);
  if (withVariables) {
    block(0, 'variable "image"', (d) => {
      line(d, 'type    = string');
      line(d, `default = "${r.pick(IMAGES)}"`);
    });
    line(0);
  }

  block(0, `job "${name}"`, (d) => {
    if (r.chance(0.5)) line(d, `datacenters = [${r.chance(0.7) ? '"dc1"' : '"dc1", "dc2"'}]`);
    if (type !== 'service' || r.chance(0.6)) line(d, `type        = "${type}"`);
    if (r.chance(0.25)) {
      line(d);
      block(d, 'meta', (d) => {
        line(d, `owner = "team-${r.pick(NAMES)}"`);
        line(d, `tier  = "${r.pick(['web', 'data', 'ops'])}"`);
      });
    }
    if (r.chance(0.85)) {
      line(d);
      block(d, 'constraint', (d) => {
        line(d, 'attribute = "${attr.kernel.name}"');
        line(d, 'value     = "linux"');
      });
    }
    const groups = big ? r.int(2, 3) : r.chance(0.9) ? 1 : 2;
    for (let g = 0; g < groups; g++) {
      line(d);
      group(d, g);
    }
  });
  return out.join('\n') + '\n';

  function group(d, g) {
    const ports = r.chance(0.5) ? (r.chance(0.7) ? ['http'] : ['http', 'admin']) : [];
    block(d, `group "${r.pick(NAMES)}-${g}"`, (d) => {
      if (type !== 'system' && r.chance(0.5)) line(d, `count = ${r.int(1, 5)}`);
      if (ports.length > 0) {
        line(d);
        block(d, 'network', (d) => {
          if (r.chance(0.3)) line(d, 'mode = "bridge"');
          for (const p of ports) {
            if (r.chance(0.3)) line(d, `port "${p}" { static = ${r.int(8000, 9999)} }`);
            else block(d, `port "${p}"`, (d) => line(d, `to = ${r.int(80, 9000)}`));
          }
        });
      }
      if (ports.length > 0 && type === 'service' && r.chance(0.7)) {
        line(d);
        service(d, ports[0]);
      }
      if (r.chance(0.35)) {
        line(d);
        block(d, 'restart', (d) => {
          const attempts = r.int(0, 3);
          line(d, `attempts = ${attempts}`);
          line(d, `mode     = "${attempts === 0 ? 'fail' : r.pick(['fail', 'delay'])}"`);
        });
      }
      if (type !== 'system' && r.chance(0.2)) {
        line(d);
        block(d, 'reschedule', (d) => {
          const attempts = r.int(0, 3);
          line(d, `attempts  = ${attempts}`);
          if (attempts > 0) line(d, `interval  = "${attempts}h"`);
          line(d, 'unlimited = false');
        });
      }
      if (type === 'service' && r.chance(0.25)) {
        line(d);
        block(d, 'update', (d) => {
          line(d, `max_parallel     = ${r.int(1, 2)}`);
          line(d, `min_healthy_time = "${r.int(1, 10)}s"`);
          if (r.chance(0.4)) line(d, 'auto_revert      = true');
        });
      }
      const tasks = big ? r.int(2, 4) : r.chance(0.8) ? 1 : 2;
      for (let t = 0; t < tasks; t++) {
        line(d);
        task(d, t, ports);
      }
    });
  }

  function service(d, port) {
    block(d, 'service', (d) => {
      line(d, `name     = "${name}"`);
      line(d, `port     = "${port}"`);
      if (r.chance(0.5)) line(d, 'provider = "nomad"');
      if (r.chance(0.7)) {
        line(d);
        block(d, 'check', (d) => {
          const http = r.chance(0.6);
          line(d, `type     = "${http ? 'http' : 'tcp'}"`);
          if (http) line(d, `path     = "/${r.pick(['', 'health', 'ping'])}"`);
          line(d, `interval = "${r.int(2, 30)}s"`);
          line(d, `timeout  = "${r.int(1, 2)}s"`);
        });
      }
    });
  }

  function task(d, t, ports) {
    const driver = r.pick(['docker', 'docker', 'docker', 'raw_exec', 'raw_exec', 'exec', 'podman']);
    block(d, `task "${t === 0 ? r.pick(NAMES) : `side-${t}`}"`, (d) => {
      line(d, `driver = "${driver}"`);
      if (t > 0 && r.chance(0.5)) {
        line(d);
        block(d, 'lifecycle', (d) => {
          line(d, 'hook    = "prestart"');
          if (r.chance(0.5)) line(d, 'sidecar = true');
        });
      }
      line(d);
      block(d, 'config', (d) => {
        if (driver === 'docker' || driver === 'podman') {
          line(d, `image   = ${withVariables ? 'var.image' : `"${r.pick(IMAGES)}"`}`);
          if (r.chance(0.6)) line(d, `command = "${r.pick(COMMANDS)}"`);
          if (ports.length > 0 && r.chance(0.5)) line(d, `ports   = ["${ports[0]}"]`);
        } else line(d, `command = "${r.pick(COMMANDS)}"`);
        if (r.chance(0.8))
          line(d, `args    = ["-c", "${r.pick(['sleep 300', 'echo hi; sleep 3600', 'env'])}"]`);
      });
      if (r.chance(0.25)) {
        line(d);
        block(d, 'env', (d) => {
          line(d, `LOG_LEVEL = "${r.pick(['info', 'debug'])}"`);
          if (r.chance(0.5)) line(d, 'ALLOC     = "${NOMAD_ALLOC_ID}"');
        });
      }
      if (r.chance(big ? 0.6 : 0.25)) {
        line(d);
        template(d);
      }
      if (r.chance(0.7)) {
        line(d);
        block(d, 'resources', (d) => {
          line(d, `cpu    = ${r.int(1, 10) * 50}`);
          line(d, `memory = ${r.int(1, 8) * 32}`);
        });
      }
    });
  }

  function template(d) {
    block(d, 'template', (d) => {
      line(d, `destination = "local/${r.pick(NAMES)}.${r.pick(['conf', 'sh', 'yml'])}"`);
      if (r.chance(0.4)) line(d, `change_mode = "${r.pick(['restart', 'noop'])}"`);
      line(d, 'data        = <<EOT');
      const lines = big ? r.int(8, 25) : r.int(3, 12);
      for (let i = 0; i < lines; i++) {
        out.push(
          r.pick([
            `listen {{ env "NOMAD_PORT_http" }}`,
            'touch ${NOMAD_ALLOC_DIR}/ready',
            `key: {{ key "${r.pick(NAMES)}/config" }}`,
            `upstream ${r.pick(NAMES)} 127.0.0.1:${r.int(1000, 9999)};`,
            `echo "${r.pick(NAMES)} started"`,
            '',
          ]),
        );
      }
      out.push('EOT');
    });
  }
}
