/** The list parameters every read endpoint shares, and the shape checker the tests rely on. */
import { describe, expect, it } from 'vitest';
import { idParam, listPage } from '../../../src/server/api/read-query.js';
import type { ApiRequest } from '../../../src/server/types.js';
import { ApiError } from '../../../src/server/types.js';
import { shapeErrors } from './nomad-api-shapes.js';

function req(query: string, params: Record<string, string> = {}): ApiRequest {
  const q = new URLSearchParams(query);
  return { query: q, params, namespace: q.get('namespace') ?? 'default' } as unknown as ApiRequest;
}

const items = ['c', 'a', 'e', 'b', 'd'].map((ID) => ({ ID, Odd: 'ace'.includes(ID) }));
const byId = { token: (x: { ID: string }) => x.ID };
const ids = (page: { items: { ID: string }[] }) => page.items.map((x) => x.ID);

describe('list parameters', () => {
  it('orders by token and pages with next_token, the next page’s first token', () => {
    const first = listPage(req('per_page=2'), items, byId);
    expect(ids(first)).toEqual(['a', 'b']);
    expect(first.nextToken).toBe('c');
    const second = listPage(req('per_page=2&next_token=c'), items, byId);
    expect(ids(second)).toEqual(['c', 'd']);
    const last = listPage(req('per_page=2&next_token=e'), items, byId);
    expect(ids(last)).toEqual(['e']);
    expect(last.nextToken).toBeUndefined();
  });

  it('pages what the filter kept, in reverse when asked', () => {
    const page = listPage(req('per_page=2&reverse=true&filter=Odd%20%3D%3D%20true'), items, byId);
    expect(ids(page)).toEqual(['e', 'c']);
    expect(page.nextToken).toBe('a');
    expect(
      ids(listPage(req('reverse=true&next_token=c&filter=Odd%20%3D%3D%20true'), items, byId)),
    ).toEqual(['c', 'a']);
  });

  it('selects by prefix; other namespaces see nothing', () => {
    expect(ids(listPage(req('prefix=b'), items, byId))).toEqual(['b']);
    expect(ids(listPage(req('namespace=*'), items, byId))).toHaveLength(5);
    expect(ids(listPage(req('namespace=other'), items, byId))).toEqual([]);
  });

  it('refuses a bad per_page and a bad filter with 400', () => {
    expect(() => listPage(req('per_page=x'), items, byId)).toThrow(ApiError);
    try {
      listPage(req('filter=ID%20%3D%3D'), items, byId);
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(ApiError);
      expect((err as ApiError).status).toBe(400);
    }
  });

  it('decodes an id whose escapes reached the handler', () => {
    expect(idParam(req('', { id: 'batch%2Fperiodic-1700000000' }), 'id')).toBe(
      'batch/periodic-1700000000',
    );
    expect(idParam(req('', { id: 'batch/periodic-1' }), 'id')).toBe('batch/periodic-1');
    expect(idParam(req('', { id: '100%' }), 'id')).toBe('100%');
  });
});

describe('the shape checker', () => {
  const ok = { ServiceName: 'web', Tags: ['a'] };

  it('accepts a matching object and nil lists', () => {
    expect(shapeErrors(ok, 'ServiceRegistrationStub')).toEqual([]);
    expect(shapeErrors({ ...ok, Tags: null }, 'ServiceRegistrationStub')).toEqual([]);
  });

  it('reports extra, missing and mistyped fields, nested', () => {
    expect(shapeErrors({ ...ok, Extra: 1 }, 'ServiceRegistrationStub')).toEqual([
      'ServiceRegistrationStub.Extra: not a field of ServiceRegistrationStub',
    ]);
    expect(shapeErrors({ Tags: [] }, 'ServiceRegistrationStub')).toEqual([
      'ServiceRegistrationStub.ServiceName: missing',
    ]);
    expect(
      shapeErrors(
        { Namespace: 'default', Services: [{ ServiceName: 1, Tags: [2] }] },
        'ServiceRegistrationListStub',
      ),
    ).toEqual([
      'ServiceRegistrationListStub.Services[0].ServiceName: expected string, got 1',
      'ServiceRegistrationListStub.Services[0].Tags[0]: expected string, got 2',
    ]);
    expect(
      shapeErrors(
        { Healthy: 'yes', Timestamp: 'never', Canary: false, ModifyIndex: 1.5 },
        'AllocDeploymentStatus',
      ),
    ).toHaveLength(3);
  });
});
