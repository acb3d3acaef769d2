/**
 * Decodes HCL syntax trees into plain JSON data shaped as a schema describes (the job model of a
 * job file, the configuration of drover.hcl), guided by the schema's block annotations, and
 * records where every value came from in a RangeIndex. Unknown names, misplaced blocks and
 * duplicates are reported here, at their exact range; value checks are left to the schema
 * validator and the semantic rules.
 */
import type { Diagnostics } from '../diag/diagnostic.js';
import { mergeRanges, type SourceRange } from '../diag/range.js';
import type { Attribute, Block, Body, Expression, File } from '../hcl/ast.js';
import { forEachExpanded } from '../hcl/dynamic.js';
import { evaluate, type EvalScope } from '../hcl/eval.js';
import { isValueObject, typeName, type Value, type ValueObject } from '../hcl/value.js';
import { RangeIndex, childPointer, pointer } from './ranges.js';
import type { BlockSchema, PropertyShape, SchemaDocument } from './schema.js';
import { didYouMean } from './suggest.js';

export interface DecodedJob {
  job: ValueObject;
  ranges: RangeIndex;
  /** The range of the `job` block. */
  range: SourceRange;
}

/** Top-level blocks of a job file besides `job`; the variable scope has already read them. */
const TOP_LEVEL_OTHERS = new Set(['variable', 'locals']);

export function decodeJobFile(
  file: File,
  scope: EvalScope,
  doc: SchemaDocument,
  diags: Diagnostics,
): DecodedJob | undefined {
  const jobs: Block[] = [];
  for (const item of file.body.items) {
    if (item.kind === 'Block' && item.type === 'job') jobs.push(item);
    else if (item.kind === 'Block' && TOP_LEVEL_OTHERS.has(item.type)) continue;
    else if (item.kind === 'Block')
      diags.error(
        'Unsupported block type',
        item.typeRange,
        `Blocks of type "${item.type}" are not expected at the top level of a job file; only "job", "variable" and "locals" are.${didYouMean(item.type, ['job', 'variable', 'locals'])}`,
      );
    else
      diags.error(
        'Unsupported argument',
        item.nameRange,
        `An argument named "${item.name}" is not expected at the top level of a job file. Put it inside the job block.`,
      );
  }
  const fileRange = file.body.range;
  if (jobs.length === 0) {
    diags.error(
      'No job block',
      { filename: file.filename, start: fileRange.start, end: fileRange.start },
      'A job file must contain one `job "<name>" { … }` block.',
    );
    return undefined;
  }
  for (const extra of jobs.slice(1))
    diags.error(
      'Duplicate job block',
      extra.typeRange,
      `Only one job may be defined per file; the first is at line ${jobs[0]!.range.start.line}. Put each job in its own file.`,
    );
  const block = jobs[0]!;
  const ranges = new RangeIndex(fileRange);
  const job: ValueObject = {};
  ranges.set('', { range: block.range, nameRange: headerRange(block) });
  const root = doc.rootBlock;
  const labelProp = (root.schema['x-label'] as string | undefined) ?? 'id';
  if (!checkLabels(block, 1, 'job', diags)) return undefined;
  const label = block.labels[0]!;
  job[labelProp] = label.value;
  ranges.set(pointer(labelProp), { range: label.range, valueRange: label.range });
  new Decoder(ranges, diags).body(block.body, root, scope, '', job);
  return { job, ranges, range: block.range };
}

export interface DecodedDocument {
  value: ValueObject;
  ranges: RangeIndex;
}

/**
 * Decodes a whole body (a file's top level) against the root block of a schema. Whatever does
 * not fit is reported and skipped, so the result is always returned, as complete as it can be.
 */
export function decodeDocument(
  body: Body,
  root: BlockSchema,
  scope: EvalScope,
  diags: Diagnostics,
): DecodedDocument {
  const ranges = new RangeIndex(body.range);
  const value: ValueObject = {};
  new Decoder(ranges, diags).body(body, root, scope, '', value);
  return { value, ranges };
}

class Decoder {
  constructor(
    private readonly ranges: RangeIndex,
    private readonly diags: Diagnostics,
  ) {}

  /** Decodes the items of one block body into `out`. */
  body(body: Body, schema: BlockSchema, scope: EvalScope, ptr: string, out: ValueObject): void {
    const defined = new Map<string, SourceRange>();
    forEachExpanded(body, scope, this.diags, (item, itemScope) => {
      if (item.kind === 'Attribute') this.attribute(item, schema, itemScope, ptr, out, defined);
      else this.block(item, schema, itemScope, ptr, out, defined);
    });
  }

  private attribute(
    attr: Attribute,
    schema: BlockSchema,
    scope: EvalScope,
    ptr: string,
    out: ValueObject,
    defined: Map<string, SourceRange>,
  ): void {
    const shape = schema.property(attr.name);
    if (!shape && !schema.open) {
      this.diags.error(
        'Unsupported argument',
        attr.nameRange,
        `An argument named "${attr.name}" is not expected here.${didYouMean(attr.name, schema.names())}`,
      );
      return;
    }
    if (shape?.form === 'block' && (shape.kind === 'single' || shape.kind === 'list')) {
      this.diags.error(
        'Unsupported argument',
        attr.nameRange,
        `"${attr.name}" is a block, not an argument: write it as ${attr.name}${shape.label ? ' "<' + shape.label + '>"' : ''} { … }.`,
      );
      return;
    }
    if (!this.firstDefinition(attr.name, attr.nameRange, defined)) return;
    const value = evaluate(attr.expr, scope, this.diags);
    // An attribute set to null is treated as not set, as HCL does for optional arguments.
    if (value === undefined || value === null) return;
    if (shape?.form === 'block' && !isValueObject(value)) {
      this.diags.error(
        'Incorrect attribute value type',
        attr.expr.range,
        `Inappropriate value for "${attr.name}": an object is required, got ${typeName(value)}.`,
      );
      return;
    }
    const p = childPointer(ptr, attr.name);
    out[attr.name] = value;
    this.ranges.set(p, {
      range: attr.range,
      nameRange: attr.nameRange,
      valueRange: attr.expr.range,
    });
    this.valueRanges(attr.expr, p);
  }

  private block(
    block: Block,
    schema: BlockSchema,
    scope: EvalScope,
    ptr: string,
    out: ValueObject,
    defined: Map<string, SourceRange>,
  ): void {
    const shape: PropertyShape | undefined = schema.property(block.type);
    if (!shape) {
      if (schema.open && !isMapBody(schema)) {
        this.freeformBlock(block, scope, ptr, out);
        return;
      }
      this.diags.error(
        'Unsupported block type',
        block.typeRange,
        `Blocks of type "${block.type}" are not expected here.${didYouMean(block.type, schema.names())}`,
      );
      return;
    }
    if (shape.form === 'attribute') {
      this.diags.error(
        'Unsupported block type',
        block.typeRange,
        `"${block.type}" is an argument, not a block: write it as ${block.type} = …`,
      );
      return;
    }
    const p = childPointer(ptr, block.type);
    const entry = { range: block.range, nameRange: headerRange(block) };
    switch (shape.kind) {
      case 'list': {
        if (!checkLabels(block, shape.label ? 1 : 0, block.type, this.diags)) return;
        const existing = out[block.type];
        const list: Value[] = Array.isArray(existing) ? existing : [];
        out[block.type] = list;
        const obj: ValueObject = {};
        const ip = childPointer(p, list.length);
        list.push(obj);
        this.ranges.set(p, this.ranges.get(p) ?? entry);
        this.ranges.set(ip, entry);
        this.setLabel(block, shape.label, ip, obj);
        this.body(block.body, shape.body, scope, ip, obj);
        return;
      }
      case 'single': {
        if (!checkLabels(block, shape.label ? 1 : 0, block.type, this.diags)) return;
        if (!this.firstDefinition(block.type, block.typeRange, defined, 'block')) return;
        const obj: ValueObject = {};
        out[block.type] = obj;
        this.ranges.set(p, entry);
        this.setLabel(block, shape.label, p, obj);
        this.body(block.body, shape.body, scope, p, obj);
        return;
      }
      case 'map':
      case 'freeform': {
        if (!checkLabels(block, 0, block.type, this.diags)) return;
        if (!this.firstDefinition(block.type, block.typeRange, defined, 'block')) return;
        const obj: ValueObject = {};
        out[block.type] = obj;
        this.ranges.set(p, entry);
        if (shape.kind === 'map') this.mapBody(block.body, scope, p, obj);
        else this.freeformBody(block.body, scope, p, obj);
        return;
      }
    }
  }

  /** A map block (`meta`, `env`, …): attributes only; names are free. */
  private mapBody(body: Body, scope: EvalScope, ptr: string, out: ValueObject): void {
    this.openBody(body, scope, ptr, out, (item) =>
      this.diags.error(
        'Unexpected block',
        item.typeRange,
        `Blocks are not allowed here: this block holds "name = value" pairs only.`,
      ),
    );
  }

  /** A free-form block (a driver's `config`): attributes, and nested blocks as lists of objects. */
  private freeformBody(body: Body, scope: EvalScope, ptr: string, out: ValueObject): void {
    this.openBody(body, scope, ptr, out, (item, s) => this.freeformBlock(item, s, ptr, out));
  }

  /** A body whose attribute names are free; what a nested block means is the caller's. */
  private openBody(
    body: Body,
    scope: EvalScope,
    ptr: string,
    out: ValueObject,
    onBlock: (block: Block, scope: EvalScope) => void,
  ): void {
    const defined = new Map<string, SourceRange>();
    forEachExpanded(body, scope, this.diags, (item, s) => {
      if (item.kind === 'Block') {
        onBlock(item, s);
        return;
      }
      if (!this.firstDefinition(item.name, item.nameRange, defined)) return;
      const value = evaluate(item.expr, s, this.diags);
      if (value === undefined || value === null) return;
      const p = childPointer(ptr, item.name);
      out[item.name] = value;
      this.ranges.set(p, {
        range: item.range,
        nameRange: item.nameRange,
        valueRange: item.expr.range,
      });
      this.valueRanges(item.expr, p);
    });
  }

  /** Nested blocks in free-form bodies: `mount { … }` twice → `mount: [{…}, {…}]`; labels nest. */
  private freeformBlock(block: Block, scope: EvalScope, ptr: string, out: ValueObject): void {
    const existing = out[block.type];
    if (existing !== undefined && !Array.isArray(existing)) {
      this.diags.error(
        'Duplicate definition',
        block.typeRange,
        `"${block.type}" is already set as an argument in this block.`,
      );
      return;
    }
    const list: Value[] = existing ?? [];
    out[block.type] = list;
    const ip = childPointer(childPointer(ptr, block.type), list.length);
    const entry = { range: block.range, nameRange: headerRange(block) };
    this.ranges.set(childPointer(ptr, block.type), entry);
    const inner: ValueObject = {};
    let top: ValueObject = inner;
    for (const label of [...block.labels].reverse()) top = { [label.value]: top };
    list.push(top);
    this.ranges.set(ip, entry);
    const labelPtr = block.labels.map((l) => pointer(l.value)).join('');
    this.freeformBody(block.body, scope, ip + labelPtr, inner);
  }

  private setLabel(block: Block, prop: string | undefined, ptr: string, obj: ValueObject): void {
    const label = block.labels[0];
    if (!prop || !label) return;
    obj[prop] = label.value;
    this.ranges.set(childPointer(ptr, prop), { range: label.range, valueRange: label.range });
  }

  /** Records ranges of the elements of tuple and object constructors, for precise errors. */
  private valueRanges(expr: Expression, ptr: string): void {
    if (expr.kind === 'Tuple') {
      expr.items.forEach((item, i) => {
        const p = childPointer(ptr, i);
        this.ranges.set(p, { range: item.range, valueRange: item.range });
        this.valueRanges(item, p);
      });
    } else if (expr.kind === 'Object') {
      for (const item of expr.items) {
        const key = staticKey(item.key, item.bareKey);
        if (key === undefined) continue;
        const p = childPointer(ptr, key);
        this.ranges.set(p, {
          range: item.range,
          nameRange: item.key.range,
          valueRange: item.value.range,
        });
        this.valueRanges(item.value, p);
      }
    } else if (expr.kind === 'Paren') this.valueRanges(expr.expr, ptr);
  }

  /**
   * Whether this is the first definition of a name in a body. The parser already reports a
   * redefined attribute, so only duplicate blocks are reported here.
   */
  private firstDefinition(
    name: string,
    range: SourceRange,
    defined: Map<string, SourceRange>,
    what: 'argument' | 'block' = 'argument',
  ): boolean {
    const first = defined.get(name);
    if (!first) {
      defined.set(name, range);
      return true;
    }
    if (what === 'block')
      this.diags.error(
        `Duplicate ${name} block`,
        range,
        `Only one "${name}" block is allowed here; another was defined at line ${first.start.line}.`,
      );
    return false;
  }
}

function isMapBody(schema: BlockSchema): boolean {
  return schema.schema['x-block'] === 'map';
}

/** The key of an object item when it is known without evaluation. */
function staticKey(key: Expression, bare: boolean): string | undefined {
  if (bare && key.kind === 'Variable') return key.name;
  const only = key.kind === 'Template' && key.parts.length === 1 ? key.parts[0] : undefined;
  return only?.kind === 'TemplateLiteral' ? only.value : undefined;
}

/** The block's type and labels: what to underline when the block as a whole is at fault. */
function headerRange(block: Block): SourceRange {
  const last = block.labels[block.labels.length - 1];
  return last ? mergeRanges(block.typeRange, last.range) : block.typeRange;
}

function checkLabels(block: Block, want: number, type: string, diags: Diagnostics): boolean {
  if (block.labels.length === want) return true;
  if (block.labels.length < want) {
    diags.error(
      `Missing name for ${type}`,
      block.typeRange,
      `All "${type}" blocks must have a name label, like ${type} "name" { … }.`,
    );
  } else {
    const extra = block.labels[want]!;
    diags.error(
      `Extraneous label for ${type}`,
      extra.range,
      want === 0
        ? `No labels are expected for "${type}" blocks.`
        : `Only one label (the name) is expected for "${type}" blocks.`,
    );
  }
  return false;
}
