/**
 * HCL's `dynamic` blocks (hashicorp/hcl ext/dynblock), which Nomad expands in jobspecs:
 *
 *   dynamic "port" {
 *     for_each = var.ports       # a list, set, tuple, map or object
 *     iterator = p               # default: the block type, here `port`
 *     labels   = [p.value.name]  # optional
 *     content { to = p.value.to }
 *   }
 *
 * generates one `port` block per element, whose body is the `content` body evaluated in a scope
 * where the iterator is `{ key, value }`. Dynamic blocks nested in `content` are expanded when the
 * caller expands that body with the returned scope.
 */
import type { Diagnostics } from '../diag/diagnostic.js';
import type { Attribute, Block, BlockLabel, Body, Expression } from './ast.js';
import { evaluate, iterate, type EvalScope } from './eval.js';
import { toStringValue } from './types.js';
import type { Value } from './value.js';

export interface ScopedItem {
  item: Attribute | Block;
  /** The scope the item's expressions are evaluated in. */
  scope: EvalScope;
}

/** The body's attributes and blocks in order, each `dynamic` block replaced by what it generates. */
export function expandDynamic(body: Body, scope: EvalScope, diags: Diagnostics): ScopedItem[] {
  const out: ScopedItem[] = [];
  for (const item of body.items) {
    if (isDynamic(item)) out.push(...expandOne(item as Block, scope, diags));
    else out.push({ item, scope });
  }
  return out;
}

/**
 * Visits what `expandDynamic` returns, in order; a body without `dynamic` blocks (most are) is
 * visited as it is, without the list of scoped items.
 */
export function forEachExpanded(
  body: Body,
  scope: EvalScope,
  diags: Diagnostics,
  visit: (item: Attribute | Block, scope: EvalScope) => void,
): void {
  if (!body.items.some(isDynamic)) {
    for (const item of body.items) visit(item, scope);
    return;
  }
  for (const { item, scope: s } of expandDynamic(body, scope, diags)) visit(item, s);
}

function isDynamic(item: Attribute | Block): boolean {
  return item.kind === 'Block' && item.type === 'dynamic';
}

interface DynamicParts {
  type: string;
  forEach: Expression;
  iterator: string;
  labels?: Expression;
  content: Block;
}

function readDynamicBlock(block: Block, diags: Diagnostics): DynamicParts | undefined {
  const label = block.labels[0];
  if (!label || block.labels.length > 1) {
    diags.error(
      label ? 'Extraneous label for dynamic' : 'Missing type for dynamic',
      label ? block.labels[1]!.range : block.typeRange,
      'All dynamic blocks must have 1 labels (type).',
    );
    return undefined;
  }
  let forEach: Expression | undefined;
  let iterator: string | undefined;
  let labels: Expression | undefined;
  let content: Block | undefined;
  let ok = true;
  for (const item of block.body.items) {
    if (item.kind === 'Block') {
      if (item.type !== 'content') {
        diags.error(
          'Unsupported block type',
          item.typeRange,
          `Blocks of type "${item.type}" are not expected here.`,
        );
        ok = false;
      } else if (content) {
        diags.error(
          'Duplicate content block',
          item.typeRange,
          `Only one content block is allowed in a dynamic block. Another was defined at ${content.typeRange.filename}:${content.typeRange.start.line},${content.typeRange.start.column}.`,
        );
        ok = false;
      } else if (item.labels.length > 0) {
        diags.error(
          'Extraneous label for content',
          item.labels[0]!.range,
          'No labels are expected for content blocks.',
        );
        ok = false;
      } else {
        content = item;
      }
      continue;
    }
    switch (item.name) {
      case 'for_each':
        forEach = item.expr;
        break;
      case 'labels':
        labels = item.expr;
        break;
      case 'iterator': {
        const e = item.expr;
        if (e.kind === 'Variable') iterator = e.name;
        else {
          diags.error(
            'Invalid dynamic iterator name',
            e.range,
            'Dynamic iterator must be a single variable name.',
          );
          ok = false;
        }
        break;
      }
      default:
        diags.error(
          'Unsupported argument',
          item.nameRange,
          `An argument named "${item.name}" is not expected here.`,
        );
        ok = false;
    }
  }
  if (!forEach) {
    diags.error(
      'Missing required argument',
      block.openBraceRange,
      'The argument "for_each" is required, but no definition was found.',
    );
    ok = false;
  }
  if (!content) {
    diags.error(
      'Missing content block',
      block.openBraceRange,
      'A dynamic block must have a nested block of type "content" to describe the body of each generated block.',
    );
    ok = false;
  }
  if (!ok || !forEach || !content) return undefined;
  return {
    type: label.value,
    forEach,
    iterator: iterator ?? label.value,
    ...(labels ? { labels } : {}),
    content,
  };
}

function expandOne(block: Block, scope: EvalScope, diags: Diagnostics): ScopedItem[] {
  const parts = readDynamicBlock(block, diags);
  if (!parts) return [];
  const coll = evaluate(parts.forEach, scope, diags);
  if (coll === undefined) return [];
  if (coll === null || typeof coll !== 'object') {
    diags.error(
      'Invalid dynamic for_each value',
      parts.forEach.range,
      coll === null
        ? 'Cannot use a null value in for_each.'
        : `Cannot use a ${typeof coll === 'boolean' ? 'bool' : typeof coll} value in for_each. An iterable collection is required.`,
    );
    return [];
  }
  const entries = iterate(coll, parts.forEach.range, diags) ?? [];
  const typeLabel = block.labels[0]!;
  const out: ScopedItem[] = [];
  for (const [key, value] of entries) {
    const inner = scope.child({ [parts.iterator]: { key, value } });
    const labels = parts.labels ? blockLabels(parts.labels, inner, diags) : [];
    if (!labels) continue;
    const generated: Block = {
      kind: 'Block',
      type: parts.type,
      typeRange: typeLabel.range,
      labels,
      body: parts.content.body,
      openBraceRange: parts.content.openBraceRange,
      closeBraceRange: parts.content.closeBraceRange,
      range: block.range,
    };
    out.push({ item: generated, scope: inner });
  }
  return out;
}

function blockLabels(
  expr: Expression,
  scope: EvalScope,
  diags: Diagnostics,
): BlockLabel[] | undefined {
  const v: Value | undefined = evaluate(expr, scope, diags);
  if (v === undefined) return undefined;
  if (!Array.isArray(v)) {
    diags.error(
      'Invalid dynamic block labels',
      expr.range,
      'The labels argument must be a list of strings.',
    );
    return undefined;
  }
  const out: BlockLabel[] = [];
  for (const l of v) {
    if (l === null || typeof l === 'object') {
      diags.error(
        'Invalid dynamic block label',
        expr.range,
        l === null
          ? 'Cannot use a null value as a dynamic block label.'
          : 'Dynamic block labels must be strings.',
      );
      return undefined;
    }
    out.push({ value: toStringValue(l)!, range: expr.range, quoted: true });
  }
  return out;
}
