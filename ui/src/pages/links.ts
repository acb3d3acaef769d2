/** The UI's addresses of API objects. */
import { seg, withQuery } from '../api';

export const jobHref = (id: string, namespace = 'default', tab?: string): string =>
  withQuery(`/jobs/${seg(id)}`, {
    namespace: namespace === 'default' ? undefined : namespace,
    tab,
  });

export const allocHref = (id: string): string => `/allocations/${seg(id)}`;
export const nodeHref = (id: string): string => `/nodes/${seg(id)}`;
export const planHref = (hash: string): string => `/plans/${seg(hash)}`;

/** The API path of a job read, in its namespace. */
export const jobApi = (id: string, namespace: string, rest = ''): string =>
  withQuery(`/v1/job/${seg(id)}${rest}`, { namespace });
