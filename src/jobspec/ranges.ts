import type { SourceRange } from '../diag/range.js';

/** Where a value of the decoded model came from in the source. */
export interface RangeEntry {
  /** The whole attribute or block. */
  range: SourceRange;
  /** The attribute name or block type (and labels). */
  nameRange?: SourceRange;
  /** The attribute's expression; absent for blocks. */
  valueRange?: SourceRange;
}

/**
 * Maps JSON pointers into the decoded model (`/group/0/task/1/resources/memory`) to source
 * ranges, so that schema errors and semantic rules can point at the attribute or block at fault.
 */
export class RangeIndex {
  private readonly entries = new Map<string, RangeEntry>();

  constructor(readonly fileRange: SourceRange) {}

  set(pointer: string, entry: RangeEntry): void {
    this.entries.set(pointer, entry);
  }

  get(pointer: string): RangeEntry | undefined {
    return this.entries.get(pointer);
  }

  /** The entry for the pointer, or for its closest ancestor that has one; the file as a last resort. */
  nearest(pointer: string): RangeEntry {
    let p = pointer;
    for (;;) {
      const e = this.entries.get(p);
      if (e) return e;
      if (p === '') return { range: this.fileRange };
      p = p.slice(0, p.lastIndexOf('/'));
    }
  }

  /** The best range to underline for a problem with the value at pointer. */
  valueRange(pointer: string): SourceRange {
    const e = this.nearest(pointer);
    return e.valueRange ?? e.nameRange ?? e.range;
  }

  /** The best range to underline for a problem with the attribute or block name at pointer. */
  nameRange(pointer: string): SourceRange {
    const e = this.nearest(pointer);
    return e.nameRange ?? e.range;
  }
}

/** Builds a JSON pointer from path segments, escaping `~` and `/` as RFC 6901 says. */
export function pointer(...segments: (string | number)[]): string {
  let out = '';
  for (const seg of segments) out += '/' + escapeSegment(String(seg));
  return out;
}

/** The pointer of a child of `parent` (a key or an index): `pointer` for one segment, cheaper. */
export function childPointer(parent: string, segment: string | number): string {
  return parent + '/' + (typeof segment === 'number' ? segment : escapeSegment(segment));
}

// Hot: called for every attribute of every job; most names need no escaping.
function escapeSegment(s: string): string {
  return s.includes('~') || s.includes('/') ? s.replace(/~/g, '~0').replace(/\//g, '~1') : s;
}
