/** A position in a source file. Lines and columns are 1-based; byte is the 0-based UTF-8 offset. */
export interface Pos {
  line: number;
  column: number;
  byte: number;
}

/** A half-open span [start, end) in one file, as Terraform's JSON diagnostics print it. */
export interface SourceRange {
  filename: string;
  start: Pos;
  end: Pos;
}

/** The smallest range covering both a and b (same file assumed). */
export function mergeRanges(a: SourceRange, b: SourceRange): SourceRange {
  if (a instanceof Span && b instanceof Span && a.source === b.source)
    return new Span(a.source, Math.min(a.from, b.from), Math.max(a.to, b.to));
  return {
    filename: a.filename,
    start: a.start.byte <= b.start.byte ? a.start : b.start,
    end: a.end.byte >= b.end.byte ? a.end : b.end,
  };
}

/**
 * A source file as the parser's ranges see it: positions are resolved from UTF-16 offsets on
 * demand, through a table of line starts made on first use. Most ranges of a file are never
 * printed, so the parser keeps offsets only (no position objects per token).
 */
export class SourceText {
  private lineStarts: number[] | undefined;
  /** UTF-8 offset of each line start; made on first use, for files that are not ASCII. */
  private lineBytes: number[] | undefined;
  private ascii = true;

  constructor(
    readonly filename: string,
    readonly src: string,
  ) {}

  /** The position of offset `at`: lines at `\n` only, columns in code points, bytes in UTF-8. */
  pos(at: number): Pos {
    const starts = (this.lineStarts ??= this.findLines());
    let lo = 0;
    let hi = starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (starts[mid]! <= at) lo = mid;
      else hi = mid - 1;
    }
    const from = starts[lo]!;
    if (this.ascii) return { line: lo + 1, column: at - from + 1, byte: at };
    const bytes = (this.lineBytes ??= this.findLineBytes(starts));
    const { columns, byteCount } = this.walk(from, at);
    // A byte order mark at the start of the file takes bytes but no column, as in hcl.
    const bom = lo === 0 && at > 0 && this.src.charCodeAt(0) === 0xfeff ? 1 : 0;
    return { line: lo + 1, column: columns + 1 - bom, byte: bytes[lo]! + byteCount };
  }

  private findLines(): number[] {
    const src = this.src;
    const starts = [0];
    for (let i = src.indexOf('\n'); i >= 0; i = src.indexOf('\n', i + 1)) starts.push(i + 1);
    // eslint-disable-next-line no-control-regex
    this.ascii = !/[^\x00-\x7f]/.test(src);
    return starts;
  }

  private findLineBytes(starts: number[]): number[] {
    const out = [0];
    for (let k = 1; k < starts.length; k++)
      out.push(out[k - 1]! + this.walk(starts[k - 1]!, starts[k]!).byteCount);
    return out;
  }

  /** Code points and UTF-8 bytes from offset `from` to `to`, a surrogate pair counting once. */
  private walk(from: number, to: number): { columns: number; byteCount: number } {
    const src = this.src;
    let columns = 0;
    let byteCount = 0;
    let i = from;
    while (i < to) {
      const c = src.charCodeAt(i);
      columns++;
      if (c < 0x80) byteCount += 1;
      else if (c < 0x800) byteCount += 2;
      else if (c >= 0xd800 && c <= 0xdbff && i + 1 < src.length) {
        const d = src.charCodeAt(i + 1);
        if (d >= 0xdc00 && d <= 0xdfff) {
          byteCount += 4;
          i += 2;
          continue;
        }
        byteCount += 3;
      } else byteCount += 3;
      i++;
    }
    return { columns, byteCount };
  }
}

/**
 * A range given by offsets into a `SourceText`; its positions are made when read. Printed as
 * JSON, it is the plain `{ filename, start, end }` every range is.
 */
export class Span implements SourceRange {
  constructor(
    readonly source: SourceText,
    /** Start and end as UTF-16 offsets into the source text. */
    readonly from: number,
    readonly to: number,
  ) {}

  get filename(): string {
    return this.source.filename;
  }

  get start(): Pos {
    return this.source.pos(this.from);
  }

  get end(): Pos {
    return this.source.pos(this.to);
  }

  toJSON(): SourceRange {
    return { filename: this.filename, start: this.start, end: this.end };
  }
}

/**
 * The range from the start of `a` (its end, with `fromEnd`) to the end of `b`: offsets only when
 * both are spans of one source, so that no position is made for a range nobody prints.
 */
export function spanning(a: SourceRange, b: SourceRange, fromEnd = false): SourceRange {
  if (a instanceof Span && b instanceof Span && a.source === b.source)
    return new Span(a.source, fromEnd ? a.to : a.from, b.to);
  return { filename: a.filename, start: fromEnd ? a.end : a.start, end: b.end };
}
