import { stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { makeDirs, mkdirScript, parseFailures } from '../../providers/drivers/make-dirs.js';
import type { Shell } from '../../providers/types.js';
import { localTransportFixture, recordingScripts } from '../support/local-transport.js';

const fixture = localTransportFixture('drover-make-dirs-');

describe('makeDirs', () => {
  it('creates every directory, requests arriving together sharing sessions', async () => {
    const { transport, scripts } = recordingScripts(fixture.transport());
    const dir = fixture.dir();
    const wanted = Array.from({ length: 10 }, (_, i) => [
      join(dir, `a${i}`, 'local'),
      join(dir, `a${i}`, "it's $HOME `x`"),
    ]);
    await Promise.all(wanted.map((dirs) => makeDirs(transport.shell, dirs)));
    for (const d of wanted.flat()) expect((await stat(d)).isDirectory()).toBe(true);
    // The first request runs alone; the nine that came while it ran go out together.
    expect(scripts).toHaveLength(2);
  });

  it("fails only the request whose directory cannot be made, with mkdir's message", async () => {
    const transport = fixture.transport();
    const dir = fixture.dir();
    const file = join(dir, 'a-file');
    await writeFile(file, 'not a directory');
    const results = await Promise.allSettled([
      makeDirs(transport, [join(dir, 'ok1')]),
      makeDirs(transport, [join(dir, 'ok2')]),
      makeDirs(transport, [join(file, 'below')]),
      makeDirs(transport, [join(dir, 'ok3')]),
    ]);
    expect(results.map((r) => r.status)).toEqual([
      'fulfilled',
      'fulfilled',
      'rejected',
      'fulfilled',
    ]);
    const reason = (results[2] as PromiseRejectedResult).reason as Error;
    expect(reason.message).toMatch(/Not a directory|File exists/);
    expect(reason.message).not.toContain('\n');
  });

  it('rejects every waiting request when the host cannot be reached', async () => {
    const shell = Object.create(fixture.transport()) as Shell;
    shell.sh = () => Promise.reject(new Error('node n1: connection refused'));
    await expect(makeDirs(shell, [join(fixture.dir(), 'x')])).rejects.toThrow('connection refused');
  });
});

describe('the script', () => {
  it('reports failures by request index', () => {
    expect(parseFailures('FAILED 2 mkdir: cannot create directory: Permission denied\n')).toEqual(
      new Map([[2, 'mkdir: cannot create directory: Permission denied']]),
    );
    expect(mkdirScript([['/a b'], ["/c'd"]])).toContain(`'/c'\\''d'`);
  });
});
