/**
 * Validates a decoded job against the published schema with Ajv and turns Ajv's errors into
 * diagnostics at the source range of the value at fault, keeping only the most specific cause.
 */
import { createRequire } from 'node:module';
import type { Ajv2020, ErrorObject, ValidateFunction } from 'ajv/dist/2020.js';
import type { Diagnostics } from '../diag/diagnostic.js';
import type { Value } from '../hcl/value.js';
import type { RangeIndex } from './ranges.js';
import type { JsonSchema, SchemaDocument } from './schema.js';
import { didYouMean } from './suggest.js';

const compiled = new WeakMap<SchemaDocument, ValidateFunction>();

/** Ajv set up for drover's schemas: strict, all errors, cty-like scalar coercion. */
export function createAjv(): Ajv2020 {
  // Loaded on first use: the schemas drover ships come with validators generated at build time.
  const { Ajv2020: Ajv } = createRequire(import.meta.url)('ajv/dist/2020.js') as {
    Ajv2020: typeof Ajv2020;
  };
  const ajv = new Ajv({
    strict: true,
    allErrors: true,
    verbose: true,
    // HCL converts scalars to the declared type (5 → "5" for a string argument), so does Ajv here.
    coerceTypes: true,
    allowUnionTypes: true,
  });
  ajv.addKeyword({ keyword: 'x-block', schemaType: 'string' });
  ajv.addKeyword({ keyword: 'x-label', schemaType: 'string' });
  // The jobspec schema's normalization annotations (see its $comment).
  ajv.addKeyword({ keyword: 'x-normalized', schemaType: 'string' });
  ajv.addKeyword({ keyword: 'x-duration', schemaType: 'boolean' });
  return ajv;
}

function validatorFor(doc: SchemaDocument): ValidateFunction {
  let v = doc.precompiled ?? compiled.get(doc);
  if (!v) {
    v = createAjv().compile(doc.schema);
    compiled.set(doc, v);
  }
  return v;
}

/** Validates (and coerces scalars in) `data`; reports each problem at its range. */
export function validateAgainstSchema(
  data: Value,
  doc: SchemaDocument,
  ranges: RangeIndex,
  diags: Diagnostics,
): boolean {
  const validate = validatorFor(doc);
  if (validate(data)) return true;
  for (const e of mostSpecific(validate.errors ?? [])) report(e, ranges, diags);
  return false;
}

const COMBINATORS = new Set(['anyOf', 'oneOf', 'if', 'then', 'else', 'not', 'allOf']);

/**
 * Ajv reports every failing branch; people want the one real cause. Keep errors about the
 * deepest paths, fold "a or b" type mismatches into one, and drop combinator summaries that
 * have a concrete error beside or below them.
 */
export function mostSpecific(errors: readonly ErrorObject[]): ErrorObject[] {
  const paths = errors.filter((e) => !COMBINATORS.has(e.keyword)).map((e) => e.instancePath);
  const deeper = (p: string) => paths.some((q) => q.startsWith(p + '/'));
  const kept: ErrorObject[] = [];
  const seen = new Set<string>();
  for (const e of errors) {
    if (COMBINATORS.has(e.keyword) && paths.includes(e.instancePath)) continue;
    if (e.keyword !== 'required' && deeper(e.instancePath)) continue;
    const key = `${e.instancePath}|${e.keyword}|${JSON.stringify(e.params)}`;
    if (seen.has(key)) continue;
    seen.add(key);
    kept.push(e);
  }
  // Several type errors at one path come from alternative branches: merge them.
  const byPath = new Map<string, ErrorObject[]>();
  for (const e of kept) byPath.set(e.instancePath, [...(byPath.get(e.instancePath) ?? []), e]);
  const out: ErrorObject[] = [];
  for (const group of byPath.values()) {
    const types = group.filter((e) => e.keyword === 'type');
    if (types.length > 1) {
      const merged = types.flatMap((e) => [e.params.type as string | string[]]).flat();
      out.push({ ...types[0]!, params: { type: [...new Set(merged)] } });
      out.push(...group.filter((e) => e.keyword !== 'type'));
    } else if (
      group.length > 1 &&
      group.some((e) => e.keyword === 'enum' || e.keyword === 'const')
    ) {
      // An enum/const mismatch in one branch and a pattern in another: the first concrete one.
      out.push(group.find((e) => e.keyword !== 'type') ?? group[0]!);
    } else out.push(...group);
  }
  return out;
}

function report(e: ErrorObject, ranges: RangeIndex, diags: Diagnostics): void {
  const path = e.instancePath;
  const name = attributeName(path);
  const parent: JsonSchema | undefined = e.parentSchema;
  const about =
    typeof parent?.description === 'string' ? `\n\n"${name}": ${parent.description}` : '';
  switch (e.keyword) {
    case 'required': {
      const missing = String(e.params.missingProperty);
      diags.error(
        'Missing required argument',
        ranges.nameRange(path),
        `The argument "${missing}" is required here, but no definition was found.`,
      );
      return;
    }
    case 'type': {
      const want = ([] as string[]).concat(e.params.type as string | string[]).map(jsonTypeName);
      diags.error(
        'Incorrect attribute value type',
        ranges.valueRange(path),
        `Inappropriate value for "${name}": ${want.join(' or ')} required, got ${describe(e.data)}.${about}`,
      );
      return;
    }
    case 'enum': {
      const allowed = (e.params.allowedValues as unknown[]).map((v) => JSON.stringify(v));
      const got = JSON.stringify(e.data);
      diags.error(
        `Invalid value for "${name}"`,
        ranges.valueRange(path),
        `Expected one of ${allowed.join(', ')}; got ${got}.${typeof e.data === 'string' ? didYouMean(e.data, (e.params.allowedValues as unknown[]).map(String)) : ''}`,
      );
      return;
    }
    case 'additionalProperties': {
      const extra = String(e.params.additionalProperty);
      const known = Object.keys((parent?.properties as object | undefined) ?? {});
      diags.error(
        'Unsupported argument',
        ranges.nameRange(`${path}/${extra}`),
        `An argument named "${extra}" is not expected here.${didYouMean(extra, known)}`,
      );
      return;
    }
    case 'minimum':
    case 'maximum':
    case 'exclusiveMinimum':
    case 'exclusiveMaximum': {
      const words: Record<string, string> = {
        minimum: 'at least',
        maximum: 'at most',
        exclusiveMinimum: 'greater than',
        exclusiveMaximum: 'less than',
      };
      diags.error(
        `Invalid value for "${name}"`,
        ranges.valueRange(path),
        `Must be ${words[e.keyword]} ${String(e.params.limit)}; got ${JSON.stringify(e.data)}.${about}`,
      );
      return;
    }
    case 'pattern':
      diags.error(
        `Invalid value for "${name}"`,
        ranges.valueRange(path),
        `${JSON.stringify(e.data)} is not in the expected form (${String(e.params.pattern)}).${about}`,
      );
      return;
    case 'minItems':
    case 'maxItems': {
      const blockish = typeof parent?.items === 'object';
      diags.error(
        e.keyword === 'maxItems' && blockish
          ? `Too many "${name}" definitions`
          : `Invalid value for "${name}"`,
        ranges.valueRange(path),
        `Must have ${e.keyword === 'minItems' ? 'at least' : 'at most'} ${String(e.params.limit)} item(s).${about}`,
      );
      return;
    }
    default:
      diags.error(
        `Invalid value for "${name}"`,
        ranges.valueRange(path),
        `${name} ${e.message ?? 'is invalid'}.${about}`,
      );
  }
}

/** The attribute or block name a JSON pointer ends in (skipping list indexes). */
function attributeName(path: string): string {
  const segs = path
    .split('/')
    .slice(1)
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
  for (let i = segs.length - 1; i >= 0; i--) if (!/^\d+$/.test(segs[i]!)) return segs[i]!;
  return 'job';
}

function jsonTypeName(t: string): string {
  switch (t) {
    case 'integer':
      return 'a whole number';
    case 'number':
      return 'a number';
    case 'boolean':
      return 'a bool';
    case 'array':
      return 'a list';
    case 'object':
      return 'an object';
    case 'null':
      return 'null';
    default:
      return 'a string';
  }
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'an object';
  if (typeof v === 'boolean') return `a bool (${String(v)})`;
  if (typeof v === 'number') return `a number (${v})`;
  return `a string (${JSON.stringify(v)})`;
}
