/**
 * drover's job ⇄ Nomad's `api.Job` JSON (the shape of `GET /v1/job/:id`, `/v1/jobs/parse` and the
 * body of `PUT /v1/jobs`). One table of fields (Nomad's name, the jobspec's name, the kind of
 * value) drives both directions, so what is written out is exactly what is read back.
 *
 * Out (`toNomadJob`): a normalized job with Nomad's field names and units (durations in ns),
 * absent values as Go would send them ("" / 0 / false for plain fields, null for pointers,
 * lists and maps).
 *
 * In (`fromNomadJob`): the JSON tools send (`nomad job run -output`, Terraform's nomad_job with
 * json = true, nomad-pack, Levant) becomes the jobspec form the HCL decoder produces, then goes
 * through drover's own checks (schema, defaults, semantic rules, driver configs), so a bad job
 * is refused with the same messages, each placed at its Nomad field path. A field that is not
 * in the table and carries a value is refused: nothing accepted is silently not done.
 */
import { Diagnostics, type Diagnostic } from '../../diag/diagnostic.js';
import type { SourceRange } from '../../diag/range.js';
import type { NormalizedJob } from '../../generated/normalized-job.js';
import type { ValueObject } from '../../hcl/value.js';
import type { DriverConfigCheck } from '../../jobspec/driver-config.js';
import { checkDecodedJob } from '../../jobspec/load.js';
import { withDurationsInMs } from '../../jobspec/normalize.js';
import { childPointer, RangeIndex } from '../../jobspec/ranges.js';

/** What the state knows about a job version beyond its definition. */
export interface JobVersionFacts {
  namespace: string;
  version: number;
  stable: boolean;
  /** Nomad's job status: pending, running, dead. */
  status: string;
  stop: boolean;
  submitTime: number;
  createIndex: number;
  modifyIndex: number;
  jobModifyIndex: number;
  parentId?: string;
  /** A child launched by a dispatch (Nomad's `Dispatched`). */
  dispatched?: boolean;
  /** A dispatched child's payload, base64 (Nomad's `Payload`). */
  payload?: string;
}

/**
 * The JobModifyIndex of a job version: drover's state records no index per version, so the
 * version number stands in (plus one: an index of 0 means "no such job" to EnforceIndex). It
 * grows with every change of the job's definition and is what check-and-set compares.
 */
export function jobModifyIndexOf(version: number): number {
  return version + 1;
}

// ---------------------------------------------------------------------------------------------
// The field table.

/**
 * How a value is carried. Plain Go fields (not pointers) cannot say "unset", so their zero
 * value means unset on the way in: `s` ("" is unset), `n0`, `b0`, `d0`. Pointer fields keep a
 * 0 or false that was sent: `n`, `b`, `d`. Durations are ms in drover, ns in Nomad.
 */
type Scalar = 's' | 'n' | 'n0' | 'b' | 'b0' | 'd' | 'd0' | 'list' | 'map' | 'any';

/** A value only Nomad has, always the same (PeriodicConfig.SpecType). */
interface Constant {
  constant: string;
}

/** A field converted by its own functions (ports split in two lists, volumes keyed by name). */
interface Custom {
  out(value: unknown): unknown;
  in(value: unknown, at: Where, cx: InContext): unknown;
}

type Kind = Scalar | Constant | Custom | { one: Spec } | { many: Spec };

/** [Nomad's name, the jobspec's name, how the value is carried]. */
type Field = readonly [string, string, Kind];

interface Spec {
  fields: readonly Field[];
  /** Nomad's server-set fields: accepted on the way in and ignored, as Nomad ignores them. */
  serverSet?: readonly string[];
}

const one = (spec: Spec): Kind => ({ one: spec });
const many = (spec: Spec): Kind => ({ many: spec });

const constraint: Spec = {
  fields: [
    ['LTarget', 'attribute', 's'],
    ['RTarget', 'value', 's'],
    ['Operand', 'operator', 's'],
  ],
};

const affinity: Spec = {
  fields: [...constraint.fields, ['Weight', 'weight', 'n']],
};

const spread: Spec = {
  fields: [
    ['Attribute', 'attribute', 's'],
    ['Weight', 'weight', 'n'],
    [
      'SpreadTarget',
      'target',
      many({
        fields: [
          ['Value', 'value', 's'],
          ['Percent', 'percent', 'n0'],
        ],
      }),
    ],
  ],
};

const port: Spec = {
  fields: [
    ['Label', 'label', 's'],
    ['Value', 'static', 'n0'],
    ['To', 'to', 'n0'],
    ['HostNetwork', 'host_network', 's'],
    ['IgnoreCollision', 'ignore_collision', 'b0'],
  ],
};

/**
 * A network's ports: one list in the jobspec, split in Nomad's JSON into ReservedPorts (static)
 * and DynamicPorts. Read back, reserved ports come first (the order within each list is kept).
 */
const networkPorts = {
  reserved: custom(
    (ports) =>
      listOrNull(
        asList(ports).filter((p) => isStatic(p)),
        port,
      ),
    (value, at, cx) => inList(value, at, cx, port),
  ),
  dynamic: custom(
    (ports) =>
      listOrNull(
        asList(ports).filter((p) => !isStatic(p)),
        port,
      ),
    (value, at, cx) => {
      const ports = inList(value, at, cx, port);
      ports?.forEach((p, i) => {
        if (p.static !== undefined)
          cx.error(
            at.item(i).field('Value'),
            'A dynamic port has no value in a job',
            'Give a fixed port in ReservedPorts instead.',
          );
      });
      return ports;
    },
  ),
};

const network: Spec = {
  fields: [
    ['Mode', 'mode', 's'],
    ['Device', 'device', 's'],
    ['CIDR', 'cidr', 's'],
    ['IP', 'ip', 's'],
    ['Hostname', 'hostname', 's'],
    ['MBits', 'mbits', 'n'],
    [
      'DNS',
      'dns',
      one({
        fields: [
          ['Servers', 'servers', 'list'],
          ['Searches', 'searches', 'list'],
          ['Options', 'options', 'list'],
        ],
      }),
    ],
    ['ReservedPorts', 'port', networkPorts.reserved],
    ['DynamicPorts', 'port', networkPorts.dynamic],
    ['CNI', 'cni', one({ fields: [['Args', 'args', 'map']] })],
  ],
};

const checkRestart: Spec = {
  fields: [
    ['Limit', 'limit', 'n0'],
    ['Grace', 'grace', 'd'],
    ['IgnoreWarnings', 'ignore_warnings', 'b0'],
  ],
};

const workloadIdentity: Spec = {
  fields: [
    ['Name', 'name', 's'],
    ['Audience', 'aud', 'list'],
    ['ChangeMode', 'change_mode', 's'],
    ['ChangeSignal', 'change_signal', 's'],
    ['Env', 'env', 'b0'],
    ['File', 'file', 'b0'],
    ['Filepath', 'filepath', 's'],
    ['ServiceName', 'service_name', 's'],
    ['TTL', 'ttl', 'd0'],
    ['ExtraClaims', 'extra_claims', 'list'],
  ],
};

const check: Spec = {
  fields: [
    ['Name', 'name', 's'],
    ['Type', 'type', 's'],
    ['Command', 'command', 's'],
    ['Args', 'args', 'list'],
    ['Path', 'path', 's'],
    ['Protocol', 'protocol', 's'],
    ['PortLabel', 'port', 's'],
    ['Expose', 'expose', 'b0'],
    ['AddressMode', 'address_mode', 's'],
    ['Advertise', 'advertise', 's'],
    ['Interval', 'interval', 'd0'],
    ['Timeout', 'timeout', 'd0'],
    ['CheckRestart', 'check_restart', one(checkRestart)],
    ['GRPCService', 'grpc_service', 's'],
    ['GRPCUseTLS', 'grpc_use_tls', 'b0'],
    ['TLSServerName', 'tls_server_name', 's'],
    ['TLSSkipVerify', 'tls_skip_verify', 'b0'],
    ['Header', 'header', 'map'],
    ['Method', 'method', 's'],
    ['Body', 'body', 's'],
    ['InitialStatus', 'initial_status', 's'],
    ['Notes', 'notes', 's'],
    ['SuccessBeforePassing', 'success_before_passing', 'n0'],
    ['FailuresBeforeCritical', 'failures_before_critical', 'n0'],
    ['FailuresBeforeWarning', 'failures_before_warning', 'n0'],
    ['OnUpdate', 'on_update', 's'],
    ['TaskName', 'task', 's'],
  ],
};

const service: Spec = {
  fields: [
    ['Name', 'name', 's'],
    ['Tags', 'tags', 'list'],
    ['CanaryTags', 'canary_tags', 'list'],
    ['EnableTagOverride', 'enable_tag_override', 'b0'],
    ['PortLabel', 'port', 's'],
    ['AddressMode', 'address_mode', 's'],
    ['Address', 'address', 's'],
    ['Checks', 'check', many(check)],
    ['CheckRestart', 'check_restart', one(checkRestart)],
    ['Connect', 'connect', 'any'],
    ['Meta', 'meta', 'map'],
    ['CanaryMeta', 'canary_meta', 'map'],
    ['TaggedAddresses', 'tagged_addresses', 'map'],
    ['TaskName', 'task', 's'],
    ['OnUpdate', 'on_update', 's'],
    ['Identity', 'identity', one(workloadIdentity)],
    [
      'Weights',
      'weights',
      one({
        fields: [
          ['Passing', 'passing', 'n'],
          ['Warning', 'warning', 'n'],
        ],
      }),
    ],
    ['Provider', 'provider', 's'],
    ['Cluster', 'cluster', 's'],
    ['Kind', 'kind', 's'],
  ],
};

const restart: Spec = {
  fields: [
    ['Interval', 'interval', 'd'],
    ['Attempts', 'attempts', 'n'],
    ['Delay', 'delay', 'd'],
    ['Mode', 'mode', 's'],
    ['RenderTemplates', 'render_templates', 'b'],
  ],
};

const resources: Spec = {
  fields: [
    ['CPU', 'cpu', 'n'],
    ['Cores', 'cores', 'n'],
    ['MemoryMB', 'memory', 'n'],
    ['MemoryMaxMB', 'memory_max', 'n'],
    ['DiskMB', 'disk', 'n'],
    ['IOPS', 'iops', 'n'],
    ['SecretsMB', 'secrets', 'n'],
    ['Networks', 'network', many(network)],
    [
      'Devices',
      'device',
      many({
        fields: [
          ['Name', 'name', 's'],
          ['Count', 'count', 'n'],
          ['Constraints', 'constraint', many(constraint)],
          ['Affinities', 'affinity', many(affinity)],
        ],
      }),
    ],
    [
      'NUMA',
      'numa',
      one({
        fields: [
          ['Affinity', 'affinity', 's'],
          ['Devices', 'devices', 'list'],
        ],
      }),
    ],
  ],
};

const template: Spec = {
  fields: [
    ['SourcePath', 'source', 's'],
    ['DestPath', 'destination', 's'],
    ['EmbeddedTmpl', 'data', 's'],
    ['ChangeMode', 'change_mode', 's'],
    [
      'ChangeScript',
      'change_script',
      one({
        fields: [
          ['Command', 'command', 's'],
          ['Args', 'args', 'list'],
          ['Timeout', 'timeout', 'd'],
          ['FailOnError', 'fail_on_error', 'b'],
        ],
      }),
    ],
    ['ChangeSignal', 'change_signal', 's'],
    ['Splay', 'splay', 'd'],
    ['Perms', 'perms', 's'],
    ['Uid', 'uid', 'n'],
    ['Gid', 'gid', 'n'],
    ['LeftDelim', 'left_delimiter', 's'],
    ['RightDelim', 'right_delimiter', 's'],
    ['Envvars', 'env', 'b'],
    ['VaultGrace', 'vault_grace', 'd'],
    [
      'Wait',
      'wait',
      one({
        fields: [
          ['Min', 'min', 'd'],
          ['Max', 'max', 'd'],
        ],
      }),
    ],
    ['ErrMissingKey', 'error_on_missing_key', 'b'],
    ['Once', 'once', 'b'],
  ],
};

const consul: Spec = {
  fields: [
    ['Namespace', 'namespace', 's'],
    ['Cluster', 'cluster', 's'],
    ['Partition', 'partition', 's'],
  ],
};

const vault: Spec = {
  fields: [
    ['Policies', 'policies', 'list'],
    ['Role', 'role', 's'],
    ['Namespace', 'namespace', 's'],
    ['Cluster', 'cluster', 's'],
    ['Env', 'env', 'b'],
    ['DisableFile', 'disable_file', 'b'],
    ['ChangeMode', 'change_mode', 's'],
    ['ChangeSignal', 'change_signal', 's'],
    ['AllowTokenExpiration', 'allow_token_expiration', 'b'],
  ],
};

const task: Spec = {
  fields: [
    ['Name', 'name', 's'],
    ['Driver', 'driver', 's'],
    ['User', 'user', 's'],
    [
      'Lifecycle',
      'lifecycle',
      one({
        fields: [
          ['Hook', 'hook', 's'],
          ['Sidecar', 'sidecar', 'b0'],
        ],
      }),
    ],
    ['Config', 'config', 'any'],
    ['Constraints', 'constraint', many(constraint)],
    ['Affinities', 'affinity', many(affinity)],
    ['Env', 'env', 'map'],
    ['Services', 'service', many(service)],
    ['Resources', 'resources', one(resources)],
    ['RestartPolicy', 'restart', one(restart)],
    ['Meta', 'meta', 'map'],
    ['KillTimeout', 'kill_timeout', 'd'],
    [
      'LogConfig',
      'logs',
      one({
        fields: [
          ['MaxFiles', 'max_files', 'n'],
          ['MaxFileSizeMB', 'max_file_size', 'n'],
          ['Enabled', 'enabled', 'b'],
          ['Disabled', 'disabled', 'b'],
        ],
      }),
    ],
    [
      'Artifacts',
      'artifact',
      many({
        fields: [
          ['GetterSource', 'source', 's'],
          ['GetterOptions', 'options', 'map'],
          ['GetterHeaders', 'headers', 'map'],
          ['GetterMode', 'mode', 's'],
          ['GetterInsecure', 'insecure', 'b'],
          ['RelativeDest', 'destination', 's'],
          ['Chown', 'chown', 'b0'],
        ],
      }),
    ],
    ['Vault', 'vault', one(vault)],
    ['Consul', 'consul', one(consul)],
    ['Templates', 'template', many(template)],
    ['DispatchPayload', 'dispatch_payload', one({ fields: [['File', 'file', 's']] })],
    [
      'VolumeMounts',
      'volume_mount',
      many({
        fields: [
          ['Volume', 'volume', 's'],
          ['Destination', 'destination', 's'],
          ['ReadOnly', 'read_only', 'b'],
          ['PropagationMode', 'propagation_mode', 's'],
          ['SELinuxLabel', 'selinux_label', 's'],
        ],
      }),
    ],
    [
      'CSIPluginConfig',
      'csi_plugin',
      one({
        fields: [
          ['ID', 'id', 's'],
          ['Type', 'type', 's'],
          ['MountDir', 'mount_dir', 's'],
          ['StagePublishBaseDir', 'stage_publish_base_dir', 's'],
          ['HealthTimeout', 'health_timeout', 'd'],
        ],
      }),
    ],
    ['Leader', 'leader', 'b0'],
    ['ShutdownDelay', 'shutdown_delay', 'd0'],
    ['KillSignal', 'kill_signal', 's'],
    ['Kind', 'kind', 's'],
    ['Identities', 'identity', many(workloadIdentity)],
    [
      'Actions',
      'action',
      many({
        fields: [
          ['Name', 'name', 's'],
          ['Command', 'command', 's'],
          ['Args', 'args', 'list'],
        ],
      }),
    ],
    [
      'Schedule',
      'schedule',
      one({
        fields: [
          [
            'Cron',
            'cron',
            one({
              fields: [
                ['Start', 'start', 's'],
                ['End', 'end', 's'],
                ['Timezone', 'timezone', 's'],
              ],
            }),
          ],
        ],
      }),
    ],
  ],
};

const update: Spec = {
  fields: [
    ['Stagger', 'stagger', 'd'],
    ['MaxParallel', 'max_parallel', 'n'],
    ['HealthCheck', 'health_check', 's'],
    ['MinHealthyTime', 'min_healthy_time', 'd'],
    ['HealthyDeadline', 'healthy_deadline', 'd'],
    ['ProgressDeadline', 'progress_deadline', 'd'],
    ['Canary', 'canary', 'n'],
    ['AutoRevert', 'auto_revert', 'b'],
    ['AutoPromote', 'auto_promote', 'b'],
  ],
};

const migrate: Spec = {
  fields: [
    ['MaxParallel', 'max_parallel', 'n'],
    ['HealthCheck', 'health_check', 's'],
    ['MinHealthyTime', 'min_healthy_time', 'd'],
    ['HealthyDeadline', 'healthy_deadline', 'd'],
  ],
};

const reschedule: Spec = {
  fields: [
    ['Attempts', 'attempts', 'n'],
    ['Interval', 'interval', 'd'],
    ['Delay', 'delay', 'd'],
    ['DelayFunction', 'delay_function', 's'],
    ['MaxDelay', 'max_delay', 'd'],
    ['Unlimited', 'unlimited', 'b'],
  ],
};

const volumeRequest: Spec = {
  fields: [
    ['Name', 'name', 's'],
    ['Type', 'type', 's'],
    ['Source', 'source', 's'],
    ['ReadOnly', 'read_only', 'b0'],
    ['AccessMode', 'access_mode', 's'],
    ['AttachmentMode', 'attachment_mode', 's'],
    [
      'MountOptions',
      'mount_options',
      one({
        fields: [
          ['FSType', 'fs_type', 's'],
          ['MountFlags', 'mount_flags', 'list'],
        ],
      }),
    ],
    ['PerAlloc', 'per_alloc', 'b0'],
    ['Sticky', 'sticky', 'b0'],
  ],
};

/** A group's volumes: a list of labelled blocks in the jobspec, a map by name in Nomad's JSON. */
const volumes = custom(
  (list) => {
    const items = asList(list);
    if (items.length === 0) return null;
    return Object.fromEntries(items.map((v) => [String(v.name), outBlock(v, volumeRequest)]));
  },
  (value, at, cx) => {
    if (!isObject(value)) return cx.error(at, 'Must be an object of volumes by name');
    return Object.entries(value).map(([name, v]) => {
      const block = inBlock(v, at.key(name), cx, volumeRequest);
      return block && { ...block, name: block.name ?? name };
    });
  },
);

const group: Spec = {
  fields: [
    ['Name', 'name', 's'],
    ['Count', 'count', 'n'],
    ['Constraints', 'constraint', many(constraint)],
    ['Affinities', 'affinity', many(affinity)],
    ['Tasks', 'task', many(task)],
    ['Spreads', 'spread', many(spread)],
    ['Volumes', 'volume', volumes],
    ['RestartPolicy', 'restart', one(restart)],
    [
      'Disconnect',
      'disconnect',
      one({
        fields: [
          ['LostAfter', 'lost_after', 'd'],
          ['StopOnClientAfter', 'stop_on_client_after', 'd'],
          ['Replace', 'replace', 'b'],
          ['Reconcile', 'reconcile', 's'],
        ],
      }),
    ],
    ['ReschedulePolicy', 'reschedule', one(reschedule)],
    [
      'EphemeralDisk',
      'ephemeral_disk',
      one({
        fields: [
          ['Sticky', 'sticky', 'b'],
          ['Migrate', 'migrate', 'b'],
          ['SizeMB', 'size', 'n'],
        ],
      }),
    ],
    ['Update', 'update', one(update)],
    ['Migrate', 'migrate', one(migrate)],
    ['Networks', 'network', many(network)],
    ['Meta', 'meta', 'map'],
    ['Services', 'service', many(service)],
    ['ShutdownDelay', 'shutdown_delay', 'd'],
    ['MaxRunDuration', 'max_run_duration', 'd'],
    ['StopAfterClientDisconnect', 'stop_after_client_disconnect', 'd'],
    ['MaxClientDisconnect', 'max_client_disconnect', 'd'],
    [
      'Scaling',
      'scaling',
      one({
        fields: [
          ['Type', 'type', 's'],
          ['Min', 'min', 'n'],
          ['Max', 'max', 'n'],
          ['Enabled', 'enabled', 'b'],
          ['Policy', 'policy', 'any'],
        ],
        serverSet: ['ID', 'Namespace', 'Target', 'CreateIndex', 'ModifyIndex'],
      }),
    ],
    ['Consul', 'consul', one(consul)],
    ['PreventRescheduleOnLost', 'prevent_reschedule_on_lost', 'b'],
  ],
};

/** The fields of a job that are its definition (the rest are the state's facts, see below). */
const job: Spec = {
  fields: [
    ['ID', 'id', 's'],
    ['Name', 'name', 's'],
    ['Type', 'type', 's'],
    ['Priority', 'priority', 'n'],
    ['Region', 'region', 's'],
    ['Namespace', 'namespace', 's'],
    ['AllAtOnce', 'all_at_once', 'b'],
    ['Datacenters', 'datacenters', 'list'],
    ['NodePool', 'node_pool', 's'],
    ['Constraints', 'constraint', many(constraint)],
    ['Affinities', 'affinity', many(affinity)],
    ['Spreads', 'spread', many(spread)],
    ['TaskGroups', 'group', many(group)],
    ['Update', 'update', one(update)],
    [
      'Multiregion',
      'multiregion',
      one({
        fields: [
          [
            'Strategy',
            'strategy',
            one({
              fields: [
                ['MaxParallel', 'max_parallel', 'n'],
                ['OnFailure', 'on_failure', 's'],
              ],
            }),
          ],
          [
            'Regions',
            'region',
            many({
              fields: [
                ['Name', 'name', 's'],
                ['Count', 'count', 'n'],
                ['Datacenters', 'datacenters', 'list'],
                ['NodePool', 'node_pool', 's'],
                ['Meta', 'meta', 'map'],
              ],
            }),
          ],
        ],
      }),
    ],
    [
      'Periodic',
      'periodic',
      one({
        fields: [
          ['Enabled', 'enabled', 'b'],
          ['Spec', 'cron', 's'],
          ['Specs', 'crons', 'list'],
          ['SpecType', '', { constant: 'cron' }],
          ['ProhibitOverlap', 'prohibit_overlap', 'b'],
          ['TimeZone', 'time_zone', 's'],
        ],
      }),
    ],
    [
      'ParameterizedJob',
      'parameterized',
      one({
        fields: [
          ['Payload', 'payload', 's'],
          ['MetaRequired', 'meta_required', 'list'],
          ['MetaOptional', 'meta_optional', 'list'],
        ],
      }),
    ],
    ['Reschedule', 'reschedule', one(reschedule)],
    ['Migrate', 'migrate', one(migrate)],
    ['Meta', 'meta', 'map'],
    [
      'UI',
      'ui',
      one({
        fields: [
          ['Description', 'description', 's'],
          [
            'Links',
            'link',
            many({
              fields: [
                ['Label', 'label', 's'],
                ['URL', 'url', 's'],
              ],
            }),
          ],
        ],
      }),
    ],
    ['ConsulToken', 'consul_token', 's'],
    ['VaultToken', 'vault_token', 's'],
  ],
  serverSet: [
    'Status',
    'StatusDescription',
    'Stable',
    'Version',
    'SubmitTime',
    'CreateIndex',
    'ModifyIndex',
    'JobModifyIndex',
    'VersionTag',
    'NomadTokenID',
  ],
};

// ---------------------------------------------------------------------------------------------
// Out: drover → Nomad.

type Obj = Record<string, unknown>;

/** Nomad's full `api.Job` for a normalized job and what the state knows of its version. */
export function toNomadJob(normalized: NormalizedJob, facts: JobVersionFacts): Obj {
  return {
    ...outBlock(normalized as unknown as Obj, job),
    Namespace: facts.namespace,
    Stop: facts.stop,
    ParentID: facts.parentId ?? '',
    Dispatched: facts.dispatched ?? false,
    DispatchIdempotencyToken: '',
    Payload: facts.payload ?? null,
    ConsulNamespace: '',
    VaultNamespace: '',
    NomadTokenID: '',
    Status: facts.status,
    StatusDescription: '',
    Stable: facts.stable,
    Version: facts.version,
    SubmitTime: facts.submitTime,
    CreateIndex: facts.createIndex,
    ModifyIndex: facts.modifyIndex,
    JobModifyIndex: facts.jobModifyIndex,
  };
}

function outBlock(value: Obj, spec: Spec): Obj {
  const out: Obj = {};
  for (const [nomad, hcl, kind] of spec.fields) out[nomad] = outValue(value[hcl], kind);
  return out;
}

function outValue(value: unknown, kind: Kind): unknown {
  if (typeof kind === 'object') {
    if ('constant' in kind) return kind.constant;
    if ('out' in kind) return kind.out(value);
    if (value === undefined || value === null) return null;
    if ('one' in kind) return outBlock(value as Obj, kind.one);
    return listOrNull(asList(value), kind.many);
  }
  if (value === undefined || value === null) return zeroOf(kind);
  if (kind === 'd' || kind === 'd0') return (value as number) * 1e6;
  return kind === 'list' || kind === 'map' || kind === 'any' ? structuredClone(value) : value;
}

/** What Go sends for an unset field: the zero of a plain field, null for a pointer. */
function zeroOf(kind: Scalar): unknown {
  switch (kind) {
    case 's':
      return '';
    case 'n0':
    case 'd0':
      return 0;
    case 'b0':
      return false;
    default:
      return null;
  }
}

function listOrNull(items: Obj[], spec: Spec): Obj[] | null {
  return items.length === 0 ? null : items.map((i) => outBlock(i, spec));
}

function asList(value: unknown): Obj[] {
  return Array.isArray(value) ? (value as Obj[]) : [];
}

function isStatic(p: Obj): boolean {
  return typeof p.static === 'number' && p.static > 0;
}

function custom(out: Custom['out'], into: Custom['in']): Custom {
  return { out, in: into };
}

// ---------------------------------------------------------------------------------------------
// In: Nomad → drover.

/** A place in Nomad's JSON (`Job.TaskGroups[0].Tasks[1]`) and the jobspec pointer it maps to. */
class Where {
  constructor(
    readonly path: string,
    readonly pointer: string,
  ) {}
  field(nomad: string, hcl?: string): Where {
    return new Where(`${this.path}.${nomad}`, hcl ? childPointer(this.pointer, hcl) : this.pointer);
  }
  item(i: number): Where {
    return new Where(`${this.path}[${i}]`, childPointer(this.pointer, i));
  }
  key(k: string): Where {
    return new Where(`${this.path}[${JSON.stringify(k)}]`, this.pointer);
  }
}

interface InContext {
  error(at: Where, summary: string, detail?: string): undefined;
  /** Records where a jobspec value came from, so drover's checks name the Nomad field. */
  place(at: Where): void;
}

/** The result of reading a job from Nomad's JSON. */
export type NomadJobRead =
  | {
      ok: true;
      /** The job as written, in the jobspec form (what a version records as `submitted`). */
      submitted: ValueObject;
      /** The job with drover's defaults, durations in ms. */
      job: NormalizedJob;
      /** Warnings of drover's checks. */
      diagnostics: Diagnostic[];
    }
  | { ok: false; diagnostics: Diagnostic[] };

export interface FromNomadOptions {
  /** The drivers' config rules; without them task configs are not checked. */
  drivers?: DriverConfigCheck;
}

/**
 * Nomad's job JSON → drover's job, held to every check a jobspec file is held to. A value where
 * drover has no field is an error naming it.
 */
export function fromNomadJob(json: unknown, opts: FromNomadOptions = {}): NomadJobRead {
  const diags = new Diagnostics();
  const ranges = new RangeIndex(rangeAt('Job'));
  const cx: InContext = {
    error(at, summary, detail) {
      diags.error(summary, rangeAt(at.path), detail);
      return undefined;
    },
    place(at) {
      ranges.set(at.pointer, { range: rangeAt(at.path) });
    },
  };
  const root = new Where('Job', '');
  if (!isObject(json)) {
    cx.error(root, 'The job must be a JSON object');
    return { ok: false, diagnostics: diags.items };
  }
  refuseLaunchFields(json, root, cx);
  const submitted = inBlock(json, root, cx, job) as ValueObject | undefined;
  if (!submitted || diags.hasErrors) return { ok: false, diagnostics: diags.items };
  // The checks may coerce scalars in place: the recorded form is taken before them.
  const written = structuredClone(submitted);
  const defaulted = checkDecodedJob(submitted, ranges, opts, diags);
  if (!defaulted || diags.hasErrors) return { ok: false, diagnostics: diags.items };
  return {
    ok: true,
    submitted: written,
    job: withDurationsInMs(defaulted),
    diagnostics: diags.items,
  };
}

/**
 * Fields a client may echo back from a job it read, that describe a launched child or a stopped
 * job: drover launches children itself (dispatch, periodic force) and stops jobs with DELETE.
 */
function refuseLaunchFields(json: Obj, at: Where, cx: InContext): void {
  const refuse: [string, (v: unknown) => boolean, string][] = [
    ['Stop', (v) => v === true, 'Stop the job with DELETE /v1/job/:id instead.'],
    [
      'ParentID',
      (v) => typeof v === 'string' && v !== '',
      'Children are launched by dispatch or periodic force.',
    ],
    ['Dispatched', (v) => v === true, 'Children are launched by dispatch.'],
    [
      'Payload',
      (v) => v !== null && v !== undefined && v !== '',
      'A payload is given to dispatch.',
    ],
    [
      'DispatchIdempotencyToken',
      (v) => typeof v === 'string' && v !== '',
      'An idempotency token is given to dispatch.',
    ],
    ['ConsulNamespace', (v) => typeof v === 'string' && v !== '', 'drover does not use Consul.'],
    ['VaultNamespace', (v) => typeof v === 'string' && v !== '', 'drover does not use Vault.'],
  ];
  for (const [name, set, detail] of refuse)
    if (set(json[name]))
      cx.error(at.field(name), `${name} is not supported in a registered job`, detail);
}

const LAUNCH_FIELDS = new Set([
  'Stop',
  'ParentID',
  'Dispatched',
  'Payload',
  'DispatchIdempotencyToken',
  'ConsulNamespace',
  'VaultNamespace',
]);

function inBlock(value: unknown, at: Where, cx: InContext, spec: Spec): Obj | undefined {
  if (!isObject(value)) return cx.error(at, 'Must be an object');
  cx.place(at);
  const out: Obj = {};
  const byName = new Map(spec.fields.map((f) => [f[0], f]));
  for (const [key, v] of Object.entries(value)) {
    const field = byName.get(key);
    if (!field) {
      if (spec.serverSet?.includes(key) || (spec === job && LAUNCH_FIELDS.has(key))) continue;
      if (!isUnset(v))
        cx.error(
          at.field(key),
          `Unsupported field ${at.field(key).path}`,
          'drover does not run this field of a Nomad job, so a job that sets it is refused rather than run without it.',
        );
      continue;
    }
    const [, hcl, kind] = field;
    const place = at.field(key, hcl || undefined);
    const read = inValue(v, place, cx, kind);
    if (read === undefined || !hcl) continue;
    // Two Nomad fields may feed one jobspec list (a network's reserved and dynamic ports).
    const prior = out[hcl];
    out[hcl] =
      Array.isArray(prior) && Array.isArray(read)
        ? [...(prior as unknown[]), ...(read as unknown[])]
        : read;
  }
  return out;
}

function inValue(value: unknown, at: Where, cx: InContext, kind: Kind): unknown {
  if (typeof kind === 'object') {
    if ('constant' in kind) {
      if (isUnset(value) || value === kind.constant) return undefined;
      return cx.error(at, `Must be "${kind.constant}"`, `drover supports only ${kind.constant}.`);
    }
    if (value === null || value === undefined) return undefined;
    if ('in' in kind) return kind.in(value, at, cx);
    if ('one' in kind) return inBlock(value, at, cx, kind.one);
    return inList(value, at, cx, kind.many);
  }
  if (isUnset(value) || isPlainZero(value, kind)) return undefined;
  cx.place(at);
  return kind === 'list' || kind === 'map' || kind === 'any' ? structuredClone(value) : value;
}

function inList(value: unknown, at: Where, cx: InContext, spec: Spec): Obj[] | undefined {
  if (value === null || value === undefined) return undefined;
  if (!Array.isArray(value)) return cx.error(at, 'Must be a list');
  if (value.length === 0) return undefined;
  cx.place(at);
  return value.map((v, i) => inBlock(v, at.item(i), cx, spec) ?? {});
}

/** null, "", an empty list or object: what a Go client sends for a field it does not set. */
function isUnset(v: unknown): boolean {
  if (v === null || v === undefined || v === '') return true;
  if (Array.isArray(v)) return v.length === 0;
  return isObject(v) && Object.keys(v).length === 0;
}

/** The zero of a plain (non-pointer) Go field, which cannot mean anything but "unset". */
function isPlainZero(v: unknown, kind: Scalar): boolean {
  return ((kind === 'n0' || kind === 'd0') && v === 0) || (kind === 'b0' && v === false);
}

function isObject(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** A diagnostic's place: the Nomad field path stands where a file name and position would. */
function rangeAt(path: string): SourceRange {
  const pos = { line: 1, column: 1, byte: 0 };
  return { filename: path, start: pos, end: pos };
}

/**
 * Diagnostics of one severity (errors by default) as lines of plain text: `Job.Field: summary:
 * detail` for a job read from JSON, `file:line:col: …` with `positions` (a job read from HCL).
 */
export function diagnosticLines(
  diagnostics: readonly Diagnostic[],
  opts: { positions?: boolean; severity?: Diagnostic['severity'] } = {},
): string[] {
  return diagnostics
    .filter((d) => d.severity === (opts.severity ?? 'error'))
    .map((d) => {
      const r = d.range;
      const where = !r
        ? ''
        : opts.positions
          ? `${r.filename}:${r.start.line}:${r.start.column}: `
          : `${r.filename}: `;
      return `${where}${d.summary}${d.detail ? `: ${d.detail}` : ''}`;
    });
}

/** The errors among diagnostics as the plain text of an API error, one a line. */
export function diagnosticsText(
  diagnostics: readonly Diagnostic[],
  opts: { positions?: boolean } = {},
): string {
  return diagnosticLines(diagnostics, opts).join('\n');
}
