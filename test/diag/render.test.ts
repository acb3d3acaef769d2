import { describe, expect, it } from 'vitest';
import { codeFrame, renderDiagnostic, toJsonDiagnostics } from '../../src/diag/render.js';
import type { Diagnostic } from '../../src/diag/diagnostic.js';

const src = 'job "x" {\n  count = -1\n}\n';
const d: Diagnostic = {
  severity: 'error',
  summary: 'Invalid count',
  detail: 'count must not be negative.',
  range: {
    filename: 'a.hcl',
    start: { line: 2, column: 11, byte: 20 },
    end: { line: 2, column: 13, byte: 22 },
  },
};

describe('renderDiagnostic', () => {
  it('prints file:line:col, a code frame with carets under the range, and the detail', () => {
    const out = renderDiagnostic(d, () => src);
    expect(out.split('\n')).toEqual([
      'a.hcl:2:11: error: Invalid count',
      '  1 | job "x" {',
      '> 2 |   count = -1',
      '    |           ^^',
      '  3 | }',
      '',
      '  count must not be negative.',
    ]);
  });

  it('still renders when the source is not at hand', () => {
    expect(renderDiagnostic(d, () => undefined).split('\n')[0]).toBe(
      'a.hcl:2:11: error: Invalid count',
    );
  });

  it('underlines at least one column for zero-width ranges', () => {
    const r = { ...d.range!, end: d.range!.start };
    expect(codeFrame(src, r)[2]).toBe('    |           ^');
  });
});

describe('toJsonDiagnostics', () => {
  it("follows Terraform's validate -json shape", () => {
    const j = toJsonDiagnostics([d, { severity: 'warning', summary: 'w' }]);
    expect(j).toMatchObject({ valid: false, error_count: 1, warning_count: 1 });
    expect(j.diagnostics[0]!.range!.start).toEqual({ line: 2, column: 11, byte: 20 });
  });
});
