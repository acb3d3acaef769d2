import { describe, expect, it } from 'vitest';
import {
  archiveOf,
  artifactDestination,
  parseArtifactSource,
  parseChecksum,
  planArtifact,
} from '../../src/jobspec/artifact-source.js';

const SHA256 = 'ab'.repeat(32);

describe('parseArtifactSource', () => {
  it('reads http(s) URLs, file:// URLs and host paths', () => {
    expect(parseArtifactSource('https://example.com/a.tgz')).toEqual({
      kind: 'http',
      url: 'https://example.com/a.tgz',
    });
    expect(parseArtifactSource('http://127.0.0.1:8080/x')).toMatchObject({ kind: 'http' });
    expect(parseArtifactSource('file:///srv/my%20files/a.zip')).toEqual({
      kind: 'file',
      path: '/srv/my files/a.zip',
    });
    expect(parseArtifactSource('/srv/a.tar')).toEqual({ kind: 'file', path: '/srv/a.tar' });
  });

  it.each([
    ['git::https://github.com/example/repo', 'git::'],
    ['s3::https://s3.amazonaws.com/bucket/foo', 's3::'],
    ['gcs::https://www.googleapis.com/storage/v1/b/o', 'gcs::'],
    ['hg::http://example.com/repo', 'hg::'],
    ['github.com/hashicorp/nomad', 'git sources'],
    ['git@github.com:hashicorp/nomad.git', 'git sources'],
    ['bucket.s3.amazonaws.com/key', 's3 sources'],
    ['s3://bucket/key', 's3://'],
    ['ssh://host/x', 'ssh://'],
  ])('refuses %s as not built', (source, named) => {
    const parsed = parseArtifactSource(source);
    expect(parsed.kind).toBe('refused');
    expect(parsed.kind === 'refused' && parsed.reason).toContain(named);
    expect(parsed.kind === 'refused' && parsed.reason).toContain('not built yet');
  });
});

describe('parseChecksum', () => {
  it('reads type:hex for md5, sha1, sha256 and sha512, lower-casing the digest', () => {
    expect(parseChecksum(`sha256:${SHA256.toUpperCase()}`)).toEqual({
      type: 'sha256',
      hex: SHA256,
    });
    expect(parseChecksum(`md5:${'0'.repeat(32)}`).type).toBe('md5');
    expect(parseChecksum(`sha1:${'0'.repeat(40)}`).type).toBe('sha1');
    expect(parseChecksum(` sha512:${'f'.repeat(128)} `).type).toBe('sha512');
  });

  it.each([
    ['', 'checksum value cannot be empty'],
    [SHA256, 'checksum must be given as "type:value"'],
    [`crc32:${SHA256}`, 'unsupported checksum type: crc32'],
    ['sha256:zz', 'is not hex'],
    ['sha256:abcd', 'invalid sha256 checksum: abcd'],
    [`md5:${SHA256}`, 'invalid md5 checksum'],
  ])('rejects %j with Nomad words', (value, message) => {
    expect(() => parseChecksum(value)).toThrow(message);
  });
});

describe('archiveOf', () => {
  it('detects archives by name, longest suffix first', () => {
    expect(archiveOf('a.tar.gz', undefined)).toBe('tar.gz');
    expect(archiveOf('a.TGZ', undefined)).toBe('tar.gz');
    expect(archiveOf('a.tar', undefined)).toBe('tar');
    expect(archiveOf('a.tar.xz', undefined)).toBe('tar.xz');
    expect(archiveOf('a.zip', undefined)).toBe('zip');
    expect(archiveOf('a.txt', undefined)).toBeUndefined();
  });

  it('follows the archive option: false keeps the file, a type forces it', () => {
    expect(archiveOf('a.tar.gz', 'false')).toBeUndefined();
    expect(archiveOf('download', 'zip')).toBe('zip');
    expect(archiveOf('a.zip', 'true')).toBe('zip');
    expect(() => archiveOf('a', 'rar')).toThrow('unknown archive type "rar"');
  });

  it('says single compressed files are not built', () => {
    expect(() => archiveOf('a.gz', undefined)).toThrow('not unpacked by drover yet');
    expect(archiveOf('a.gz', 'false')).toBeUndefined();
  });
});

describe('planArtifact', () => {
  it('takes checksum and archive from the URL query out of the URL', () => {
    const plan = planArtifact({
      source: `https://example.com/dl/app.bin?x=1&checksum=sha256:${SHA256}&archive=false`,
      mode: 'any',
    });
    expect(plan).toEqual({
      source: { kind: 'http', url: 'https://example.com/dl/app.bin?x=1' },
      mode: 'any',
      fileName: 'app.bin',
      checksum: { type: 'sha256', hex: SHA256 },
    });
  });

  it('never unpacks in file mode', () => {
    expect(planArtifact({ source: 'https://e/a.tgz', mode: 'file' }).archive).toBeUndefined();
    expect(planArtifact({ source: 'https://e/a.tgz', mode: 'any' }).archive).toBe('tar.gz');
  });

  it('throws for refused sources and missing ones', () => {
    expect(() => planArtifact({ source: 'git::https://x/y' })).toThrow('git:: getter');
    expect(() => planArtifact({})).toThrow('source must be specified');
  });
});

describe('artifactDestination', () => {
  const alloc = '/var/drover/alloc/abc';
  it('joins relative destinations to the task directory', () => {
    expect(artifactDestination(alloc, 'web', 'local/')).toBe(`${alloc}/web/local`);
    expect(artifactDestination(alloc, 'web', 'local/bin/tool')).toBe(`${alloc}/web/local/bin/tool`);
    expect(artifactDestination(alloc, 'web', '../alloc/data')).toBe(`${alloc}/alloc/data`);
  });

  it('keeps absolute paths inside the allocation and joins others (NOMAD_TASK_DIR=/local)', () => {
    expect(artifactDestination(alloc, 'web', `${alloc}/web/local/x`)).toBe(`${alloc}/web/local/x`);
    expect(artifactDestination(alloc, 'web', '/local/x')).toBe(`${alloc}/web/local/x`);
  });

  it('refuses destinations that leave the allocation directory', () => {
    expect(() => artifactDestination(alloc, 'web', '../../etc')).toThrow(
      'destination "../../etc" escapes the allocation directory',
    );
    expect(() => artifactDestination(alloc, 'web', '..')).toThrow('escapes');
    expect(() => artifactDestination(alloc, 'web', 'local/../../../x')).toThrow('escapes');
  });
});
