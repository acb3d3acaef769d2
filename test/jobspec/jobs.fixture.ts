/**
 * Realistic jobs in the decoded form (what the HCL decoder produces), modelled on jobspecs from
 * Nomad's documentation and public projects. Shared by the schema and rules tests.
 */
import type { Job } from '../../src/generated/jobspec.js';

/** A web service: docker, a group network with ports, services with checks, an update block. */
export const webService = (): Job => ({
  id: 'web',
  datacenters: ['dc1'],
  type: 'service',
  update: { max_parallel: 1, min_healthy_time: '10s', healthy_deadline: '3m', auto_revert: true },
  group: [
    {
      name: 'frontend',
      count: 3,
      network: [
        {
          port: [
            { label: 'http', to: 8080 },
            { label: 'metrics', static: 9102 },
          ],
        },
      ],
      service: [
        {
          name: 'web',
          port: 'http',
          provider: 'nomad',
          tags: ['urlprefix-/'],
          check: [{ type: 'http', path: '/health', interval: '10s', timeout: '2s' }],
        },
      ],
      restart: { attempts: 2, interval: '30m', delay: '15s', mode: 'fail' },
      task: [
        {
          name: 'app',
          driver: 'docker',
          config: { image: 'nginx:1.27', ports: ['http', 'metrics'], args: ['-g', 'daemon off;'] },
          env: { PORT: '8080', LOG_LEVEL: 'info' },
          resources: { cpu: 500, memory: 256 },
          kill_timeout: '20s',
          logs: { max_files: 5, max_file_size: 15 },
        },
      ],
    },
  ],
});

/** A periodic batch job with raw_exec, a template, an artifact and legacy vault policies. */
export const nightlyBatch = (): Job => ({
  id: 'nightly-report',
  type: 'batch',
  datacenters: ['dc1', 'dc2'],
  periodic: { crons: ['0 3 * * *'], prohibit_overlap: true, time_zone: 'Europe/Paris' },
  meta: { team: 'data' },
  group: [
    {
      name: 'report',
      reschedule: { attempts: 3, interval: '1h', delay: '30s', delay_function: 'constant' },
      task: [
        {
          name: 'run',
          driver: 'raw_exec',
          config: { command: '/usr/local/bin/report', args: ['--since', '24h'] },
          artifact: [{ source: 'https://example.com/report.tar.gz', destination: 'local/bin' }],
          template: [
            {
              data: 'DB_URL={{ with secret "db/creds" }}{{ .Data.url }}{{ end }}',
              destination: 'secrets/env',
              env: true,
            },
          ],
          vault: { policies: ['report-reader'] },
          resources: { cpu: 200, memory: 128, memory_max: 512 },
        },
      ],
    },
  ],
});

/** A system job: one per node, a distinct_hosts shorthand, a regexp constraint, a host volume. */
export const nodeExporter = (): Job => ({
  id: 'node-exporter',
  type: 'system',
  constraint: [{ attribute: '${attr.kernel.name}', value: 'linux' }],
  group: [
    {
      name: 'exporter',
      constraint: [
        { attribute: '${node.class}', operator: 'regexp', value: '^(web|db)-[0-9]+$' },
        { attribute: '${attr.os.version}', operator: 'version', value: '>= 20.04, < 26' },
      ],
      network: [{ mode: 'host', port: [{ label: 'metrics', static: 9100 }] }],
      volume: [{ name: 'proc', type: 'host', source: 'proc', read_only: true }],
      task: [
        {
          name: 'exporter',
          driver: 'exec',
          config: { command: 'node_exporter', args: ['--web.listen-address=:9100'] },
          volume_mount: [{ volume: 'proc', destination: '/host/proc', read_only: true }],
          service: [
            {
              name: 'node-exporter',
              port: 'metrics',
              check: [{ type: 'tcp', interval: '30s', timeout: '5s' }],
            },
          ],
          resources: { cpu: 50, memory: 64 },
        },
      ],
    },
  ],
});

/** Consul Connect in a bridge network: a group service with a sidecar and an upstream. */
export const connectDemo = (): Job => ({
  id: 'countdash',
  datacenters: ['dc1'],
  group: [
    {
      name: 'api',
      network: [{ mode: 'bridge' }],
      service: [
        {
          name: 'count-api',
          port: '9001',
          connect: { sidecar_service: [{}] },
          check: [
            {
              name: 'api-health',
              type: 'http',
              path: '/health',
              expose: true,
              interval: '10s',
              timeout: '3s',
              header: { Authorization: ['Basic ZGVtbzpkZW1v'] },
            },
          ],
        },
      ],
      task: [
        {
          name: 'web',
          driver: 'docker',
          config: { image: 'hashicorpdev/counter-api:v3' },
        },
      ],
    },
    {
      name: 'dashboard',
      network: [{ mode: 'bridge', port: [{ label: 'http', static: 9002, to: 9002 }] }],
      service: [
        {
          name: 'count-dashboard',
          port: '9002',
          connect: {
            sidecar_service: [
              {
                proxy: [{ upstreams: [{ destination_name: 'count-api', local_bind_port: 8080 }] }],
              },
            ],
          },
        },
      ],
      task: [
        {
          name: 'dashboard',
          driver: 'docker',
          env: { COUNTING_SERVICE_URL: 'http://${NOMAD_UPSTREAM_ADDR_count_api}' },
          config: { image: 'hashicorpdev/counter-dashboard:v3' },
        },
      ],
    },
  ],
});

/** Nearly every stanza of the language, including legacy forms real jobspecs still use. */
export const kitchenSink = (): Job => ({
  id: 'everything',
  name: 'Everything',
  region: 'global',
  namespace: 'default',
  type: 'service',
  priority: 70,
  all_at_once: false,
  datacenters: ['*'],
  node_pool: 'default',
  affinity: [{ attribute: '${node.datacenter}', value: 'dc1', weight: 60 }],
  spread: [
    {
      attribute: '${node.datacenter}',
      weight: 100,
      target: [
        { value: 'dc1', percent: 70 },
        { value: 'dc2', percent: 30 },
      ],
    },
  ],
  update: {
    max_parallel: 2,
    canary: 2,
    auto_promote: true,
    progress_deadline: '15m',
    stagger: '30s',
  },
  migrate: {
    max_parallel: 1,
    health_check: 'checks',
    min_healthy_time: '10s',
    healthy_deadline: '5m',
  },
  reschedule: { delay: '30s', delay_function: 'exponential', max_delay: '1h', unlimited: true },
  ui: { description: 'Everything at once', link: [{ label: 'Docs', url: 'https://example.com' }] },
  meta: { owner: 'platform' },
  multiregion: {
    strategy: { max_parallel: 1, on_failure: 'fail_all' },
    region: [{ name: 'west', count: 2, datacenters: ['west-1'] }],
  },
  group: [
    {
      name: 'main',
      count: 2,
      consul: { namespace: 'apps' },
      disconnect: { lost_after: '1h', replace: false, reconcile: 'keep_original' },
      ephemeral_disk: { size: 500, sticky: true, migrate: true },
      shutdown_delay: '5s',
      scaling: { min: 1, max: 10, enabled: true, policy: { cooldown: '1m' } },
      volume: [
        {
          name: 'data',
          type: 'csi',
          source: 'data-vol',
          access_mode: 'single-node-writer',
          attachment_mode: 'file-system',
          per_alloc: true,
          mount_options: { fs_type: 'ext4', mount_flags: ['noatime'] },
        },
      ],
      network: [
        {
          mode: 'bridge',
          hostname: 'main',
          dns: { servers: ['1.1.1.1'] },
          port: [{ label: 'http', to: 8080, host_network: 'public' }],
        },
      ],
      service: [
        {
          name: 'main-http',
          port: 'http',
          task: 'server',
          canary_tags: ['canary'],
          meta: { version: '2' },
          check_restart: { limit: 3, grace: '90s', ignore_warnings: false },
          check: [
            {
              name: 'script',
              type: 'script',
              command: '/bin/check',
              args: ['-q'],
              task: 'server',
              interval: '30s',
              timeout: '5s',
              on_update: 'ignore_warnings',
            },
          ],
        },
      ],
      task: [
        {
          name: 'init',
          driver: 'exec',
          lifecycle: { hook: 'prestart', sidecar: false },
          config: { command: '/bin/true' },
          resources: { cpu: 20, memory: 20 },
        },
        {
          name: 'server',
          driver: 'docker',
          user: 'nobody',
          leader: true,
          kill_signal: 'SIGTERM',
          kill_timeout: '30s',
          shutdown_delay: '10s',
          config: {
            image: 'example/server:1.0',
            ports: ['http'],
            mount: [{ type: 'bind', source: 'local', target: '/etc/app' }],
          },
          volume_mount: [{ volume: 'data', destination: '/data', propagation_mode: 'private' }],
          resources: {
            cores: 2,
            memory: 1024,
            memory_max: 2048,
            device: [
              {
                name: 'nvidia/gpu',
                count: 1,
                constraint: [
                  { attribute: '${device.attr.memory}', operator: '>=', value: '2 GiB' },
                ],
              },
            ],
          },
          template: [
            {
              source: 'local/app.conf.tpl',
              destination: 'local/app.conf',
              change_mode: 'signal',
              change_signal: 'sighup',
              wait: { min: '2s', max: '10s' },
            },
            {
              data: 'X',
              destination: 'local/hook',
              change_mode: 'script',
              change_script: { command: '/bin/reload', timeout: '10s', fail_on_error: true },
            },
          ],
          identity: [{ name: 'vault', aud: ['vault.io'], ttl: '1h', change_mode: 'restart' }],
          secret: [{ name: 'db', provider: 'nomad', path: 'db', env: { DB_PASS: 'password' } }],
          action: [{ name: 'dump', command: '/bin/dump', args: ['--all'] }],
          scaling: [{ name: 'cpu', min: 100, max: 500, policy: { check: [{ x: 1 }] } }],
          consul: { namespace: 'apps' },
          vault: { role: 'server', change_mode: 'signal', change_signal: 'SIGUSR1' },
          dispatch_payload: { file: 'input.json' },
          restart: { attempts: 3, delay: '10s' },
          logs: { disabled: false },
          meta: { release: 'r1' },
        },
        {
          name: 'legacy',
          driver: 'raw_exec',
          config: { command: 'legacy' },
          resources: {
            cpu: 100,
            memory: 64,
            network: [{ mbits: 10, port: [{ label: 'legacy' }] }],
          },
          service: [
            {
              name: 'legacy',
              port: 'legacy',
              check: [{ type: 'tcp', interval: '10s', timeout: '2s' }],
            },
          ],
          csi_plugin: { id: 'ebs', type: 'node', mount_dir: '/csi' },
        },
      ],
    },
  ],
  task: [
    {
      name: 'lonely',
      driver: 'exec',
      config: { command: '/bin/sleep', args: ['3600'] },
    },
  ],
});

/** All the valid fixture jobs, by name. */
export const validJobs: Record<string, () => Job> = {
  webService,
  nightlyBatch,
  nodeExporter,
  connectDemo,
  kitchenSink,
};
