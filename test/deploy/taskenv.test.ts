import { describe, expect, it } from 'vitest';
import {
  interpolate,
  interpolateDeep,
  runtimeEnv,
  taskEnv,
  type TaskEnvInput,
} from '../../src/deploy/taskenv.js';
import { normalizeJob } from '../normalized.js';

const job = normalizeJob({
  id: 'hello',
  name: 'hello',
  region: 'global',
  namespace: 'default',
  meta: { team: 'a' },
  group: [
    {
      name: 'web',
      meta: { 'tier-name': 'front' },
      task: [
        {
          name: 'server',
          driver: 'raw_exec',
          resources: { cpu: 200, memory: 128 },
          meta: { owner: 'ops' },
          env: { GREETING: 'hi from ${node.unique.name}', ADDR: 'http://${NOMAD_ADDR_http}/' },
        },
      ],
    },
  ],
});
const group = job.group[0]!;
const task = group.task[0]!;

function input(over: Partial<TaskEnvInput> = {}): TaskEnvInput {
  return {
    job,
    group,
    task,
    allocId: '0123456789abcdef-rest',
    allocIndex: 2,
    nodeName: 'local',
    datacenter: 'dc1',
    hostAddress: '127.0.0.1',
    ports: [{ label: 'http', value: 23456, host_ip: '127.0.0.1' }],
    dirs: { allocDir: '/a/alloc', taskDir: '/a/server/local', secretsDir: '/a/server/secrets' },
    mapsPorts: false,
    node: {
      name: 'local',
      datacenter: 'dc1',
      attributes: { 'kernel.name': 'linux' },
      meta: { rack: 'r1' },
    },
    ...over,
  };
}

describe('runtimeEnv', () => {
  it("sets Nomad's runtime variables", () => {
    const env = runtimeEnv(input());
    expect(env).toMatchObject({
      NOMAD_ALLOC_ID: '0123456789abcdef-rest',
      NOMAD_SHORT_ALLOC_ID: '01234567',
      NOMAD_ALLOC_INDEX: '2',
      NOMAD_ALLOC_NAME: 'hello.web[2]',
      NOMAD_JOB_NAME: 'hello',
      NOMAD_GROUP_NAME: 'web',
      NOMAD_TASK_NAME: 'server',
      NOMAD_DC: 'dc1',
      NOMAD_PORT_http: '23456',
      NOMAD_IP_http: '127.0.0.1',
      NOMAD_ADDR_http: '127.0.0.1:23456',
      NOMAD_HOST_PORT_http: '23456',
      NOMAD_MEMORY_LIMIT: '128',
      NOMAD_CPU_LIMIT: '200',
      NOMAD_META_owner: 'ops',
      NOMAD_META_team: 'a',
      NOMAD_META_tier_name: 'front',
      NOMAD_ALLOC_DIR: '/a/alloc',
      NOMAD_TASK_DIR: '/a/server/local',
      NOMAD_SECRETS_DIR: '/a/server/secrets',
    });
  });

  it('gives a mapped task its container port and the host its host port', () => {
    const env = runtimeEnv(
      input({
        mapsPorts: true,
        ports: [{ label: 'http', value: 23456, to: 8080, host_ip: '127.0.0.1' }],
      }),
    );
    expect(env.NOMAD_PORT_http).toBe('8080');
    expect(env.NOMAD_HOST_PORT_http).toBe('23456');
    expect(env.NOMAD_ADDR_http).toBe('127.0.0.1:23456');
  });
});

describe('taskEnv', () => {
  it("interpolates the task's env against runtime variables and node facts", () => {
    const env = taskEnv(input());
    expect(env.GREETING).toBe('hi from local');
    expect(env.ADDR).toBe('http://127.0.0.1:23456/');
  });
});

describe('interpolate', () => {
  const scope = {
    env: { NOMAD_PORT_http: '80', X: 'x' },
    node: {
      name: 'n1',
      datacenter: 'dc2',
      class: 'web',
      attributes: { 'kernel.name': 'linux' },
      meta: { rack: 'r9' },
    },
  };
  it.each([
    ['${NOMAD_PORT_http}', '80'],
    ['port ${NOMAD_PORT_http}!', 'port 80!'],
    ['${attr.kernel.name}', 'linux'],
    ['${meta.rack}', 'r9'],
    ['${node.unique.name}/${node.datacenter}/${node.class}', 'n1/dc2/web'],
    ['${env["X"]}', 'x'],
    ['${UNKNOWN}', '${UNKNOWN}'],
    ['${attr.missing}', '${attr.missing}'],
    ['no refs', 'no refs'],
  ])('%s → %s', (text, want) => {
    expect(interpolate(text, scope)).toBe(want);
  });

  it('walks config values', () => {
    expect(interpolateDeep({ args: ['-p', '${NOMAD_PORT_http}'], n: 1 }, scope)).toEqual({
      args: ['-p', '80'],
      n: 1,
    });
  });
});
