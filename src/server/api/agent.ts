/**
 * The small endpoints about the server itself, in Nomad's shapes (api/agent.go, api/status.go,
 * api/regions.go, api/namespace.go): who leads, this agent's config and member record, health,
 * the one region and the one namespace drover has.
 */
import { DEFAULT_NAMESPACE, namespacesInUse } from '../../state/job-key.js';
import {
  ApiError,
  type ApiReply,
  type ApiRequest,
  type Route,
  type ServerContext,
} from '../types.js';

/** A handler that answers without waiting (a throw becomes the rejected answer). */
function answer(f: (req: ApiRequest) => ApiReply): Route['handler'] {
  return (req) => Promise.resolve().then(() => f(req));
}

/** The member record of this server (api.AgentMember). */
function member(server: ServerContext) {
  const s = server.settings;
  const l = server.leadership();
  return {
    Name: `${s.name}.${s.region}`,
    Addr: s.address,
    Port: s.port,
    Tags: {
      role: 'nomad',
      region: s.region,
      dc: s.datacenter,
      build: server.engine.droverVersion,
      port: String(s.port),
      leader: String(l.isLeader),
    },
    Status: 'alive',
    ProtocolMin: 1,
    ProtocolMax: 5,
    ProtocolCur: 2,
    DelegateMin: 2,
    DelegateMax: 5,
    DelegateCur: 4,
  };
}

/** The leader's address, or Nomad's 500 "No cluster leader". */
function leaderOf(req: ApiRequest): string {
  const leader = req.server.leadership().leader;
  if (leader === undefined) throw new ApiError(500, 'No cluster leader');
  return leader;
}

/**
 * A namespace as Nomad's API shows it. drover's namespaces are the ones its jobs are in (plus
 * `default`): there is nothing to create first, so none has a quota, meta or configuration.
 */
export function namespaceJson(name: string = DEFAULT_NAMESPACE) {
  return {
    Name: name,
    Description: name === DEFAULT_NAMESPACE ? 'Default shared namespace' : '',
    Quota: '',
    Capabilities: null,
    NodePoolConfiguration: null,
    VaultConfiguration: null,
    ConsulConfiguration: null,
    Meta: null,
    CreateIndex: 1,
    ModifyIndex: 1,
  };
}

export const routes: Route[] = [
  {
    method: 'GET',
    path: '/v1/status/leader',
    access: { kind: 'public' },
    handler: answer((req) => ({ json: leaderOf(req) })),
  },
  {
    method: 'GET',
    path: '/v1/status/peers',
    access: { kind: 'public' },
    handler: answer((req) => {
      const leader = req.server.leadership().leader;
      return { json: leader === undefined ? [] : [leader] };
    }),
  },
  {
    method: 'GET',
    path: '/v1/agent/self',
    access: { kind: 'agent', level: 'read' },
    handler: answer((req) => {
      const s = req.server.settings;
      const l = req.server.leadership();
      return {
        json: {
          config: {
            Region: s.region,
            Datacenter: s.datacenter,
            NodeName: s.name,
            BindAddr: s.address,
            Version: {
              Version: req.server.engine.droverVersion,
              VersionPrerelease: '',
              VersionMetadata: 'drover',
              Revision: '',
            },
            ACL: { Enabled: s.acl.enabled },
            Server: { Enabled: true },
            Client: { Enabled: false },
            TLSConfig: {
              EnableHTTP: s.tls !== undefined,
              VerifyHTTPSClient: s.tls?.verifyClient ?? false,
            },
          },
          member: member(req.server),
          stats: {
            nomad: {
              server: 'true',
              leader: String(l.isLeader),
              leader_addr: l.leader ?? '',
              known_regions: '1',
            },
            runtime: {
              arch: process.arch,
              version: process.version,
              max_procs: '1',
              goroutines: '0',
            },
          },
        },
      };
    }),
  },
  {
    method: 'GET',
    path: '/v1/agent/health',
    access: { kind: 'public' },
    handler: answer((req) => {
      const l = req.server.leadership();
      const ok = l.leader !== undefined;
      return {
        status: ok ? 200 : 500,
        json: { server: { ok, message: ok ? 'ok' : 'No cluster leader' } },
      };
    }),
  },
  {
    method: 'GET',
    path: '/v1/agent/members',
    access: { kind: 'node', level: 'read' },
    handler: answer((req) => {
      const s = req.server.settings;
      return {
        json: {
          ServerName: s.name,
          ServerRegion: s.region,
          ServerDC: s.datacenter,
          Members: [member(req.server)],
        },
      };
    }),
  },
  {
    method: 'GET',
    path: '/v1/regions',
    access: { kind: 'public' },
    handler: answer((req) => ({ json: [req.server.settings.region] })),
  },
  {
    method: 'GET',
    path: '/v1/namespaces',
    access: { kind: 'public' },
    blocking: true,
    handler: async (req) => {
      const now = await req.server.current();
      const prefix = req.query.get('prefix') ?? '';
      const names = namespacesInUse(now.state).filter((n) => n.startsWith(prefix));
      return { json: names.map(namespaceJson), index: now.index };
    },
  },
  {
    method: 'GET',
    path: '/v1/namespace/:name',
    access: { kind: 'public' },
    blocking: true,
    handler: async (req) => {
      const now = await req.server.current();
      const name = req.params.name!;
      if (!namespacesInUse(now.state).includes(name))
        throw new ApiError(404, 'namespace not found');
      return { json: namespaceJson(name), index: now.index };
    },
  },
];
