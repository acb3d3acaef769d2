/**
 * Reads the structure of HCL blocks out of the published JSON Schema, so the schema stays the
 * single source of truth: `x-block` says a property is written as a block (single, list, map or
 * freeform) and `x-label` names the property that receives the block's label.
 */
import type { ValidateFunction } from 'ajv/dist/2020.js';
import jobspecSchemaJson from '../generated/jobspec.schema.js';
import validateJobspec from '../generated/jobspec.validate.js';

export type JsonSchema = { [key: string]: unknown };
export type BlockKind = 'single' | 'list' | 'map' | 'freeform';

/** How one property of a block body is written in HCL. */
export type PropertyShape =
  | { form: 'attribute'; schema: JsonSchema }
  | { form: 'block'; kind: BlockKind; label?: string; body: BlockSchema; schema: JsonSchema };

/** The body of one block type, as described by its schema. */
export class BlockSchema {
  private shapes?: Map<string, PropertyShape>;

  constructor(
    private readonly root: SchemaDocument,
    readonly schema: JsonSchema,
  ) {}

  /** The property names this block accepts (attributes and nested blocks). */
  names(): string[] {
    return [...this.properties().keys()];
  }

  property(name: string): PropertyShape | undefined {
    return this.properties().get(name);
  }

  /** Whether the body accepts any property (map and freeform bodies). */
  get open(): boolean {
    const ap = this.schema.additionalProperties;
    return ap !== undefined && ap !== false;
  }

  private properties(): Map<string, PropertyShape> {
    if (this.shapes) return this.shapes;
    const shapes = new Map<string, PropertyShape>();
    const props = (this.schema.properties ?? {}) as Record<string, JsonSchema>;
    for (const [name, raw] of Object.entries(props)) shapes.set(name, this.root.shapeOf(raw));
    this.shapes = shapes;
    return shapes;
  }
}

export class SchemaDocument {
  private readonly bodies = new WeakMap<JsonSchema, BlockSchema>();

  /**
   * @param precompiled the validator generated from this schema at build time
   *   (`npm run gen:types`), when there is one; otherwise it is compiled on first use.
   */
  constructor(
    readonly schema: JsonSchema,
    readonly precompiled?: ValidateFunction,
  ) {}

  /** The block schema of the document's root object (a job block's body, a config file's body). */
  get rootBlock(): BlockSchema {
    return this.block(this.resolve(this.schema));
  }

  /** Follows local `$ref`s (`#/$defs/x`) to the schema they name. */
  resolve(s: JsonSchema): JsonSchema {
    let cur = s;
    for (let i = 0; i < 32 && typeof cur.$ref === 'string'; i++) {
      const ref = cur.$ref;
      if (!ref.startsWith('#/')) throw new Error(`unsupported $ref ${ref}`);
      let target: unknown = this.schema;
      for (const seg of ref.slice(2).split('/')) {
        target = (target as Record<string, unknown>)[seg.replace(/~1/g, '/').replace(/~0/g, '~')];
      }
      if (typeof target !== 'object' || target === null) throw new Error(`dangling $ref ${ref}`);
      // Keep annotations written beside the $ref (they describe this use of the definition).
      const { $ref: _ref, ...beside } = cur;
      cur = { ...(target as JsonSchema), ...beside };
    }
    return cur;
  }

  block(s: JsonSchema): BlockSchema {
    let b = this.bodies.get(s);
    if (!b) {
      b = new BlockSchema(this, s);
      this.bodies.set(s, b);
    }
    return b;
  }

  /** Decides whether a property is an attribute or a block, looking through `$ref` and `items`. */
  shapeOf(raw: JsonSchema): PropertyShape {
    const s = this.resolve(raw);
    const items =
      typeof s.items === 'object' && s.items !== null
        ? this.resolve(s.items as JsonSchema)
        : undefined;
    const kind = (s['x-block'] ?? items?.['x-block']) as BlockKind | undefined;
    if (!kind) return { form: 'attribute', schema: s };
    const label = (s['x-label'] ?? items?.['x-label']) as string | undefined;
    const bodySchema = kind === 'list' && items ? items : s;
    return {
      form: 'block',
      kind,
      ...(label ? { label } : {}),
      body: this.block(bodySchema),
      schema: s,
    };
  }
}

const documents = new Map<string, SchemaDocument>();

/**
 * The document of the schema `schemas/<name>.schema.json`, made once per process from its
 * generated module (`src/generated/<name>.schema.ts`).
 * @param precompiled its validator generated at build time, if any (see SchemaDocument).
 */
export function schemaDocument(
  name: string,
  schema: JsonSchema,
  precompiled?: ValidateFunction,
): SchemaDocument {
  let doc = documents.get(name);
  if (!doc) {
    doc = new SchemaDocument(schema, precompiled);
    documents.set(name, doc);
  }
  return doc;
}

/** The job language's schema. */
export function jobspecSchema(): SchemaDocument {
  return schemaDocument(
    'jobspec',
    jobspecSchemaJson,
    validateJobspec as unknown as ValidateFunction,
  );
}
