/** `drover node status [NODE]` through a server: the nodes as the server's state knows them. */
import type { ApiClient } from '../api-client.js';
import type { NodeDetail, NodeRow } from '../../ops/node-view.js';
import { seg } from './connection.js';

export async function remoteNodeRows(api: ApiClient): Promise<NodeRow[]> {
  return (await api.request<{ nodes: NodeRow[] }>('GET', '/v1/drover/nodes')).nodes;
}

export function remoteNodeDetail(api: ApiClient, name: string): Promise<NodeDetail> {
  return api.request<NodeDetail>('GET', `/v1/drover/node/${seg(name)}`);
}
