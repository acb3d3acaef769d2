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
  return {
    filename: a.filename,
    start: a.start.byte <= b.start.byte ? a.start : b.start,
    end: a.end.byte >= b.end.byte ? a.end : b.end,
  };
}
