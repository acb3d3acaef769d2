// Generates varied Nomad jobspecs for the parse benchmark, deterministic for a given seed, every
// one valid HCL and a job drover validates without errors. Two shapes:
//
// - `real` (the default; ./generate-real.mjs): the sizes and shapes of real job files;
// - `large`: 1–5 groups of 1–4 tasks each with services, checks, templates, constraints and
//   variables, about 2–6 KB each (the benchmark's files before it matched real ones).
import { generateRealJobspec } from './generate-real.mjs';

/** A small, fast, seedable PRNG (mulberry32): the same seed gives the same files everywhere. */
export function prng(seed) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (min, max) => min + Math.floor(next() * (max - min + 1));
  const pick = (xs) => xs[Math.floor(next() * xs.length)];
  const chance = (p) => next() < p;
  return { next, int, pick, chance };
}

const WORDS = [
  'api',
  'web',
  'cache',
  'worker',
  'auth',
  'billing',
  'search',
  'cart',
  'queue',
  'mailer',
  'metrics',
  'gateway',
  'reports',
  'users',
  'orders',
  'catalog',
  'media',
  'sync',
];
const IMAGES = [
  'nginx:1.25',
  'redis:7.2',
  'postgres:16',
  'grafana/grafana:10.4.2',
  'prom/prometheus:v2.52.0',
  'traefik:v3.0',
  'example/app:2.3.1',
  'ghcr.io/acme/svc:1.9.0',
];
const DRIVERS = ['docker', 'docker', 'docker', 'raw_exec', 'exec', 'java'];
const TYPES = ['service', 'service', 'service', 'batch', 'system'];

/** One `large` jobspec's source text. */
export function generateLargeJobspec(index, rand) {
  const r = rand;
  const name = `${r.pick(WORDS)}-${r.pick(WORDS)}-${index}`;
  const type = r.pick(TYPES);
  const out = [];
  const line = (depth, text) => out.push(text ? '  '.repeat(depth) + text : '');
  const sizeNow = () => out.reduce((n, l) => n + l.length + 1, 0);
  // Aim for a size in 2–4.7 KB, then add whole groups and tasks until it is reached; the last task
  // may overshoot by about a kilobyte.
  const target = r.int(2000, 4700);

  const useVars = r.chance(0.6);
  if (useVars) {
    line(0, '# Variables let one jobspec serve several environments.');
    line(0, 'variable "image_tag" {');
    line(1, 'type        = string');
    line(1, `default     = "${r.int(1, 4)}.${r.int(0, 20)}.${r.int(0, 9)}"`);
    line(1, 'description = "Tag of the container image to run."');
    line(0, '}');
    line(0, '');
    line(0, 'variable "datacenters" {');
    line(1, 'type    = list(string)');
    line(
      1,
      `default = [${Array.from({ length: r.int(1, 3) }, (_, i) => `"dc${i + 1}"`).join(', ')}]`,
    );
    line(0, '}');
    line(0, '');
    line(0, 'locals {');
    line(1, `env       = "${r.pick(['prod', 'staging', 'dev'])}"`);
    line(1, 'full_name = "${local.env}-' + name + '"');
    line(0, '}');
    line(0, '');
  }

  line(0, `job "${name}" {`);
  line(1, `datacenters = ${useVars ? 'var.datacenters' : '["dc1", "dc2"]'}`);
  line(1, `type        = "${type}"`);
  line(1, `priority    = ${r.int(30, 80)}`);
  line(1, '');
  line(1, 'meta {');
  line(2, `owner   = "team-${r.pick(WORDS)}"`);
  line(2, `version = "${r.int(1, 9)}.${r.int(0, 30)}"`);
  line(1, '}');
  line(1, '');
  line(1, 'constraint {');
  line(2, 'attribute = "${attr.kernel.name}"');
  line(2, 'value     = "linux"');
  line(1, '}');
  if (r.chance(0.4)) {
    line(1, '');
    line(1, 'constraint {');
    line(2, 'attribute = "${meta.rack}"');
    line(2, 'operator  = "distinct_property"');
    line(2, `value     = "${r.int(1, 3)}"`);
    line(1, '}');
  }
  if (type === 'service') {
    line(1, '');
    line(1, 'update {');
    line(2, `max_parallel     = ${r.int(1, 3)}`);
    line(2, `min_healthy_time = "${r.int(5, 30)}s"`);
    line(2, `healthy_deadline = "${r.int(2, 5)}m"`);
    line(2, `auto_revert      = ${r.chance(0.5)}`);
    line(2, `canary           = ${r.int(0, 2)}`);
    line(1, '}');
  }

  for (let g = 0; g < 5 && (g === 0 || sizeNow() < target); g++) group(g);
  line(0, '}');
  return out.join('\n') + '\n';

  function group(g) {
    const gname = `${r.pick(WORDS)}-${g}`;
    const ports = Array.from({ length: r.int(1, 3) }, (_, i) => ['http', 'metrics', 'admin'][i]);
    line(1, '');
    line(1, `group "${gname}" {`);
    line(2, `count = ${type === 'system' ? 1 : r.int(1, 6)}`);
    line(2, '');
    line(2, 'network {');
    for (const p of ports) {
      if (r.chance(0.3)) line(3, `port "${p}" { static = ${r.int(20000, 32000)} }`);
      else {
        line(3, `port "${p}" {`);
        line(4, `to = ${r.int(1024, 9999)}`);
        line(3, '}');
      }
    }
    line(2, '}');
    if (type !== 'system' && type !== 'batch' && r.chance(0.7)) {
      line(2, '');
      line(2, 'service {');
      line(3, `name = "${gname}-svc"`);
      line(3, `port = "${ports[0]}"`);
      line(3, `tags = ["${r.pick(WORDS)}", "urlprefix-/${gname}"]`);
      line(3, '');
      line(3, 'check {');
      line(4, `type     = "${r.pick(['http', 'tcp'])}"`);
      line(4, 'path     = "/health"');
      line(4, `interval = "${r.int(5, 30)}s"`);
      line(4, `timeout  = "${r.int(1, 4)}s"`);
      line(3, '}');
      line(2, '}');
    }
    line(2, '');
    line(2, 'restart {');
    line(3, `attempts = ${r.int(1, 5)}`);
    line(3, `interval = "${r.int(5, 30)}m"`);
    line(3, `delay    = "${r.int(5, 25)}s"`);
    line(3, `mode     = "${r.pick(['fail', 'delay'])}"`);
    line(2, '}');
    const plannedTasks = r.int(1, 4);
    for (let t = 0; t < 4 && (t === 0 || (t < plannedTasks && sizeNow() < target)); t++) {
      task(t, ports);
    }
    line(1, '}');
  }

  function task(t, ports) {
    const driver = r.pick(DRIVERS);
    line(2, '');
    line(2, `task "${r.pick(WORDS)}-${t}" {`);
    line(3, `driver = "${driver}"`);
    line(3, '');
    line(3, 'config {');
    if (driver === 'docker') {
      const image = useVars ? `${r.pick(IMAGES).split(':')[0]}:\${var.image_tag}` : r.pick(IMAGES);
      line(4, `image = "${image}"`);
      line(4, `ports = [${ports.map((p) => `"${p}"`).join(', ')}]`);
      if (r.chance(0.5))
        line(4, `args  = ["--port", "\${NOMAD_PORT_${ports[0]}}", "--log-level", "info"]`);
    } else if (driver === 'java') {
      line(4, `jar_path    = "local/app-${r.int(1, 9)}.jar"`);
      line(4, `jvm_options = ["-Xmx${r.int(2, 8) * 128}m", "-Dport=\${NOMAD_PORT_${ports[0]}}"]`);
    } else {
      line(4, `command = "/usr/local/bin/${r.pick(WORDS)}"`);
      line(4, `args    = ["-listen", ":\${NOMAD_PORT_${ports[0]}}"]`);
    }
    line(3, '}');
    line(3, '');
    line(3, 'env {');
    line(4, `APP_ENV   = "${useVars ? '${local.env}' : 'prod'}"`);
    line(4, 'NODE_NAME = "${node.unique.name}"');
    if (r.chance(0.5)) line(4, `WORKERS   = "${r.int(1, 16)}"`);
    line(3, '}');
    if (r.chance(0.6)) {
      line(3, '');
      line(3, 'template {');
      line(4, `destination = "local/${r.pick(WORDS)}.conf"`);
      line(4, `change_mode = "${r.pick(['restart', 'signal', 'noop'])}"`);
      if (r.chance(0.3)) line(4, 'change_signal = "SIGHUP"');
      line(4, 'data        = <<EOT');
      out.push('# rendered for ${NOMAD_JOB_NAME}/${NOMAD_TASK_NAME}');
      out.push(`listen = "{{ env "NOMAD_IP_${ports[0]}" }}:{{ env "NOMAD_PORT_${ports[0]}" }}"`);
      out.push(`{{ range service "${r.pick(WORDS)}" }}`);
      out.push('upstream = "{{ .Address }}:{{ .Port }}"');
      out.push('{{ end }}');
      out.push(
        `{{ with secret "kv/data/${r.pick(WORDS)}" }}token = "{{ .Data.data.token }}"{{ end }}`,
      );
      out.push('EOT');
      line(3, '}');
    }
    if (r.chance(0.3)) {
      line(3, '');
      line(3, 'artifact {');
      line(
        4,
        `source      = "https://releases.example.com/${r.pick(WORDS)}/${r.int(1, 5)}.${r.int(0, 9)}/bundle.tar.gz"`,
      );
      line(4, 'destination = "local/bundle"');
      line(3, '}');
    }
    line(3, '');
    line(3, 'resources {');
    line(4, `cpu    = ${r.int(1, 20) * 50}`);
    line(4, `memory = ${r.int(1, 16) * 64}`);
    line(3, '}');
    if (r.chance(0.3)) {
      line(3, '');
      line(3, 'logs {');
      line(4, `max_files     = ${r.int(2, 10)}`);
      line(4, `max_file_size = ${r.int(5, 25)}`); // files × size stays under the 300 MB disk
      line(3, '}');
    }
    line(2, '}');
  }
}

/** The shapes `generateJobspecs` knows, each a generator of one jobspec's source. */
export const SHAPES = { real: generateRealJobspec, large: generateLargeJobspec };

/** `count` jobspecs of the given shape, as [filename, source] pairs. */
export function generateJobspecs(count, seed = 1, shape = 'real') {
  const generate = SHAPES[shape];
  if (!generate) {
    throw new Error(`unknown shape ${shape}: use ${Object.keys(SHAPES).join(' or ')}`);
  }
  const r = prng(seed);
  return Array.from({ length: count }, (_, i) => [
    `job-${String(i).padStart(4, '0')}.nomad.hcl`,
    generate(i, r),
  ]);
}
