import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Diagnostics } from '../../src/diag/diagnostic.js';
import { findJobFiles } from '../../src/jobspec/files.js';
import { nodeFileAccess } from '../../src/io/node-files.js';

describe('findJobFiles in a real directory', () => {
  const dir = mkdtempSync(join(tmpdir(), 'drover-jobfiles-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  for (const f of ['b.hcl', 'a.nomad', 'c.nomad.hcl', 'drover.hcl', 'x.vars.hcl', 'notes.txt'])
    writeFileSync(join(dir, f), 'job "x" {}\n');
  mkdirSync(join(dir, 'sub.hcl'));
  symlinkSync(join(dir, 'b.hcl'), join(dir, 'link.hcl'));
  symlinkSync(join(dir, 'missing'), join(dir, 'broken.hcl'));
  symlinkSync(join(dir, 'sub.hcl'), join(dir, 'dirlink.hcl'));

  const expected = ['a.nomad', 'b.hcl', 'c.nomad.hcl', 'link.hcl'].map((f) => join(dir, f));

  it('takes regular files and links to files, sorted; skips directories, broken links, config', () => {
    const diags = new Diagnostics();
    expect(findJobFiles([dir], nodeFileAccess, diags)).toEqual(expected);
    expect(diags.items).toEqual([]);
  });

  it('finds the same files through listDir and stat alone (file access without entry kinds)', () => {
    const { listDirKinds: _, ...plain } = nodeFileAccess;
    expect(plain).not.toHaveProperty('listDirKinds');
    expect(findJobFiles([dir], plain, new Diagnostics())).toEqual(expected);
  });
});
