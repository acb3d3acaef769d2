import { describe, expect, it } from 'vitest';
import { Diagnostics } from '../../src/diag/diagnostic.js';
import type { Block, Body } from '../../src/hcl/ast.js';
import { expandDynamic, type ScopedItem } from '../../src/hcl/dynamic.js';
import { evaluate, type EvalScope } from '../../src/hcl/eval.js';
import { parseHCL } from '../../src/hcl/parser.js';
import type { Value } from '../../src/hcl/value.js';
import { describeDiag, scopeWith } from './eval-support.js';

const scope = scopeWith({
  variables: {
    var: {
      ports: [
        { name: 'http', to: 8080 },
        { name: 'db', to: 5432 },
      ],
    },
  },
});

function body(src: string): Body {
  const parsed = parseHCL(src, 'job.hcl');
  expect(parsed.diagnostics.map(describeDiag)).toEqual([]);
  return parsed.file.body;
}

/** A readable summary of expanded items: blocks with labels and evaluated attributes. */
function summarize(items: ScopedItem[], diags: Diagnostics): unknown[] {
  return items.map(({ item, scope: s }) => {
    if (item.kind === 'Attribute') return { [item.name]: evaluate(item.expr, s, diags) };
    const attrs: Record<string, Value | undefined> = {};
    for (const sub of expandDynamic(item.body, s, diags)) {
      if (sub.item.kind === 'Attribute')
        attrs[sub.item.name] = evaluate(sub.item.expr, sub.scope, diags);
      else attrs[`${sub.item.type}[]`] = summarize([sub], diags) as Value;
    }
    return { block: [item.type, ...item.labels.map((l) => l.value)].join(' '), ...attrs };
  });
}

describe('dynamic blocks', () => {
  it('expands blocks in place, with the iterator and labels, nested ones too', () => {
    const src = `
dynamic "port" {
  for_each = var.ports
  iterator = p
  labels   = [p.value.name]
  content {
    to     = p.value.to
    index  = p.key
  }
}
count = 2
dynamic "volume" {
  for_each = { b = "y", a = "x" }
  content {
    source = volume.value
    dynamic "mount" {
      for_each = [1]
      content {
        n = "\${volume.key}\${mount.value}"
      }
    }
  }
}
`;
    const diags = new Diagnostics();
    const out = summarize(expandDynamic(body(src), scope, diags), diags);
    expect(diags.items.map(describeDiag)).toEqual([]);
    expect(out).toEqual([
      { block: 'port http', to: 8080, index: 0 },
      { block: 'port db', to: 5432, index: 1 },
      { count: 2 },
      { block: 'volume', source: 'x', 'mount[]': [{ block: 'mount', n: 'a1' }] },
      { block: 'volume', source: 'y', 'mount[]': [{ block: 'mount', n: 'b1' }] },
    ]);
  });

  it('gives generated blocks the content body and source ranges to point at', () => {
    const src = 'dynamic "port" {\n  for_each = [1]\n  content {\n    x = 1\n  }\n}\n';
    const diags = new Diagnostics();
    const [first] = expandDynamic(body(src), scope, diags);
    const block = first!.item as Block;
    expect(block.type).toBe('port');
    expect(describeDiag({ severity: 'error', summary: 'type', range: block.typeRange })).toBe(
      'type @ 1:9-1:15',
    );
    expect(describeDiag({ severity: 'error', summary: 'body', range: block.body.range })).toMatch(
      /^body @ 3:/,
    );
  });

  it('leaves bodies without dynamic blocks alone', () => {
    const diags = new Diagnostics();
    const items = expandDynamic(body('a = 1\nb {\n}\n'), scope, diags);
    expect(items.map((i) => i.item.kind)).toEqual(['Attribute', 'Block']);
    expect(items.every((i) => i.scope === scope)).toBe(true);
  });

  it('expands an empty collection to nothing', () => {
    const diags = new Diagnostics();
    expect(
      expandDynamic(body('dynamic "x" {\n  for_each = []\n  content {}\n}\n'), scope, diags),
    ).toEqual([]);
    expect(diags.items).toEqual([]);
  });

  it.each<[string, string, string[]]>([
    [
      'a null for_each',
      'dynamic "x" {\n  for_each = null\n  content {}\n}\n',
      ['Invalid dynamic for_each value @ 2:14-2:18'],
    ],
    [
      'a string for_each',
      'dynamic "x" {\n  for_each = "abc"\n  content {}\n}\n',
      ['Invalid dynamic for_each value @ 2:14-2:19'],
    ],
    ['no for_each', 'dynamic "x" {\n  content {}\n}\n', ['Missing required argument @ 1:13-1:14']],
    ['no content', 'dynamic "x" {\n  for_each = [1]\n}\n', ['Missing content block @ 1:13-1:14']],
    [
      'two content blocks',
      'dynamic "x" {\n  for_each = [1]\n  content {}\n  content {}\n}\n',
      ['Duplicate content block @ 4:3-4:10'],
    ],
    [
      'an iterator that is not a name',
      'dynamic "x" {\n  for_each = [1]\n  iterator = "it"\n  content {}\n}\n',
      ['Invalid dynamic iterator name @ 3:14-3:18'],
    ],
    [
      'no type label',
      'dynamic {\n  for_each = [1]\n  content {}\n}\n',
      ['Missing type for dynamic @ 1:1-1:8'],
    ],
    [
      'an unknown argument',
      'dynamic "x" {\n  for_each = [1]\n  foreach = 1\n  content {}\n}\n',
      ['Unsupported argument @ 3:3-3:10'],
    ],
    [
      'labels that are not strings',
      'dynamic "x" {\n  for_each = [1]\n  labels = [[x.value]]\n  content {}\n}\n',
      ['Invalid dynamic block label @ 3:12-3:23'],
    ],
    [
      'an error in for_each',
      'dynamic "x" {\n  for_each = var.nope\n  content {}\n}\n',
      ['Reference to undeclared input variable @ 2:14-2:22'],
    ],
  ])('reports %s', (_name, src, want) => {
    const diags = new Diagnostics();
    const items = expandDynamic(body(src), scope, diags);
    expect(items).toEqual([]);
    expect(diags.items.map(describeDiag)).toEqual(want);
  });

  it('scopes the iterator to the generated block only', () => {
    const src = 'dynamic "x" {\n  for_each = [1]\n  content {}\n}\ny = x\n';
    const diags = new Diagnostics();
    const items = expandDynamic(body(src), scope, diags);
    const y = items[1]!;
    const iterScope: EvalScope = items[0]!.scope;
    expect(iterScope.lookup('x')?.value).toEqual({ key: 0, value: 1 });
    expect(y.item.kind === 'Attribute' && evaluate(y.item.expr, y.scope, diags)).toBeUndefined();
    expect(diags.items.map(describeDiag)).toEqual(['Unknown variable @ 5:5-5:6']);
  });
});
