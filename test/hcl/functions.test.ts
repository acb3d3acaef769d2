import * as crypto from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { standardFunctions } from '../../src/hcl/functions/index.js';
import type { Value } from '../../src/hcl/value.js';
import { fails, ok, scopeWith } from './eval-support.js';

/** An in-memory file tree under /job for the file-system functions. */
const tree: Record<string, string> = {
  '/job/hello.txt': 'hello\n',
  '/job/conf/a.conf': 'a',
  '/job/conf/b.conf': 'b',
  '/job/conf/sub/c.conf': 'c',
  '/job/conf/readme.md': '#',
};
const dirs = new Set(['/job', '/job/conf', '/job/conf/sub']);
const files = {
  readFile: (p: string) => {
    const v = tree[p];
    if (v === undefined) {
      throw Object.assign(new Error(`ENOENT: no such file or directory, open '${p}'`), {
        code: dirs.has(p) ? 'EISDIR' : 'ENOENT',
      });
    }
    return v;
  },
  stat: (p: string) =>
    dirs.has(p) ? ('dir' as const) : tree[p] !== undefined ? ('file' as const) : undefined,
  listDir: (p: string) => {
    const prefix = p.endsWith('/') ? p : `${p}/`;
    const names = new Set<string>();
    for (const f of [...Object.keys(tree), ...dirs]) {
      if (f.startsWith(prefix)) names.add(f.slice(prefix.length).split('/')[0]!);
    }
    return [...names].filter((n) => n !== '');
  },
  homeDir: () => '/home/u',
};

const scope = scopeWith({
  baseDir: '/job',
  files,
  now: () => new Date('2024-03-05T07:08:09.250Z'),
  variables: { m: { b: 2, a: 1 }, l: ['x', 'y', 'z'] },
});

const table = (rows: [string, Value][]) => {
  it.each(rows)('%s', (src, want) => {
    expect(ok(src, scope)).toEqual(want);
  });
};

describe('string functions', () => {
  table([
    ['upper("héllo")', 'HÉLLO'],
    ['lower("ABC")', 'abc'],
    ['title("hello wide-world")', 'Hello Wide-World'],
    ['chomp("a\\n\\r\\n")', 'a'],
    ['indent(2, "a\\nb")', 'a\n  b'],
    ['trimspace("  a b \\n")', 'a b'],
    ['trim("?!hello?!", "!?")', 'hello'],
    ['trimprefix("helloworld", "hello")', 'world'],
    ['trimsuffix("helloworld", "world")', 'hello'],
    ['startswith("hello", "he")', true],
    ['endswith("hello", "lo")', true],
    ['strcontains("hello", "ell")', true],
    ['split(",", "a,b,,c")', ['a', 'b', '', 'c']],
    ['join(", ", ["a", "b"], ["c"])', 'a, b, c'],
    ['join("", [1, true])', '1true'],
    ['strlen("🇩🇪ab")', 3],
    ['strrev("abc")', 'cba'],
    ['substr("hello world", 1, 4)', 'ello'],
    ['substr("hello", -3, -1)', 'llo'],
    ['replace("a-b-c", "-", "+")', 'a+b+c'],
    ['regex_replace("a1b22", "[0-9]+", "<$0>")', 'a<1>b<22>'],
    ['regex_replace("key=val", "(?P<k>\\\\w+)=(\\\\w+)", "$2:$${k}")', 'val:key'],
    ['regex("[a-z]+", "53abc12")', 'abc'],
    ['regex("(\\\\d)(\\\\d)", "a12")', ['1', '2']],
    ['regex("(?P<y>\\\\d{4})-(?P<m>\\\\d{2})", "on 2024-03")', { y: '2024', m: '03' }],
    ['regexall("[a-z]+", "1a2bb3")', ['a', 'bb']],
    ['format("%s has %d items", "list", 3)', 'list has 3 items'],
    ['format("%5s|%-5s|%05d", "a", "b", 42)', '    a|b    |00042'],
    ['format("%.2f %e %g", 3.14159, 1234.5, 0.00001)', '3.14 1.234500e+03 1e-05'],
    ['format("%v %v %v", 1000000, "s", [1])', '1e+06 s [1]'],
    ['format("%#v %q %t", { a = 1 }, "q", true)', '{"a":1} "q" true'],
    ['format("%[2]s %[1]s %s", "a", "b")', 'b a b'],
    ['format("%x %X %o %b %+d", 255, 255, 8, 5, 3)', 'ff FF 10 101 +3'],
    ['format("100%%")', '100%'],
    ['formatlist("%s=%d", ["a", "b"], [1, 2])', ['a=1', 'b=2']],
    ['formatlist("%s-%s", "x", ["a", "b"])', ['x-a', 'x-b']],
  ]);

  it.each<[string, string, string]>([
    ['regex("[", "x")', 'Invalid function argument @ 1:7-1:10', 'invalid regular expression'],
    [
      'regex("a", "b")',
      'Error in function call @ 1:1-1:16',
      'pattern did not match any part of the given string',
    ],
    [
      'format("%d", "x")',
      'Error in function call @ 1:1-1:18',
      'unsupported value for "%d" at 0: a number is required',
    ],
    ['format("%d", 1.5)', 'Error in function call @ 1:1-1:18', 'an integer is required'],
    [
      'format("%s %s", "a")',
      'Error in function call @ 1:1-1:21',
      'not enough arguments for "%s" at 3: need index 2 but have 1 total',
    ],
    ['format("%y", 1)', 'Error in function call @ 1:1-1:16', 'unsupported format verb "y"'],
    [
      'formatlist("%s%s", ["a"], ["b", "c"])',
      'Invalid function argument @ 1:27-1:37',
      'argument 2 has length 2, which is inconsistent with argument 1 of length 1',
    ],
    [
      'substr("abc", 5, 1)',
      'Invalid function argument @ 1:15-1:16',
      'offset is beyond the end of the string',
    ],
    ['join("-", ["a", null])', 'Invalid function argument @ 1:11-1:22', 'element is null'],
  ])('%s fails', (src, where, detail) => {
    const r = fails(src, scope);
    expect(r.where).toEqual([where]);
    expect(r.details[0]).toContain(detail);
  });
});

describe('collection functions', () => {
  table([
    ['length("héllo")', 5],
    ['length([1, 2])', 2],
    ['length({ a = 1 })', 1],
    ['chunklist(["a", "b", "c"], 2)', [['a', 'b'], ['c']]],
    ['chunklist([1, 2], 0)', [[1, 2]]],
    ['coalesce(null, "", "b")', ''],
    ['coalesce(null, 1, "b")', '1'],
    ['coalescelist([], ["a"], ["b"])', ['a']],
    ['compact(["a", "", null, "b"])', ['a', 'b']],
    ['concat([1], [2, 3], [])', [1, 2, 3]],
    ['contains(["a", "b"], "b")', true],
    ['contains([1, 2], "1")', false],
    ['distinct(["a", "b", "a"])', ['a', 'b']],
    ['element(l, 4)', 'y'],
    ['flatten([[1, [2]], [], 3])', [1, 2, 3]],
    ['index(["a", "b"], "b")', 1],
    ['keys(m)', ['a', 'b']],
    ['values(m)', [1, 2]],
    ['lookup(m, "a", 0)', 1],
    ['lookup(m, "c", "none")', 'none'],
    ['merge({ a = 1, b = 2 }, null, { b = 3, c = 4 })', { a: 1, b: 3, c: 4 }],
    ['range(3)', [0, 1, 2]],
    ['range(1, 4)', [1, 2, 3]],
    ['range(5, 1, -2)', [5, 3]],
    ['range(0, 1, 0.25)', [0, 0.25, 0.5, 0.75]],
    ['reverse([1, 2, 3])', [3, 2, 1]],
    ['reverse("abc")', 'cba'],
    ['setintersection(["a", "b"], ["b", "c"])', ['b']],
    ['setunion(["b"], ["a", "b"])', ['a', 'b']],
    ['setsubtract(["a", "b", "c"], ["b"])', ['a', 'c']],
    [
      'setproduct(["a", "b"], [1, 2])',
      [
        ['a', 1],
        ['a', 2],
        ['b', 1],
        ['b', 2],
      ],
    ],
    ['slice(l, 1, 3)', ['y', 'z']],
    ['sort(["b", "a", "10", "9"])', ['10', '9', 'a', 'b']],
    ['zipmap(["a", "b"], [1, 2])', { a: 1, b: 2 }],
    ['alltrue([true, "true"])', true],
    ['anytrue([false])', false],
    ['one([])', null],
    ['one(["x"])', 'x'],
    ['sum([1, 2.5])', 3.5],
  ]);

  it.each<[string, string, string]>([
    [
      'length(1)',
      'Invalid function argument @ 1:8-1:9',
      'argument must be a string, a collection type, or a structural type',
    ],
    [
      'element([1], -1)',
      'Invalid function argument @ 1:14-1:16',
      'cannot use element function with a negative index',
    ],
    ['index(["a"], "z")', 'Error in function call @ 1:1-1:18', 'item not found'],
    ['keys([1])', 'Invalid function argument @ 1:6-1:9', 'must have map or object type'],
    ['lookup(m, "c")', 'Error in function call @ 1:1-1:15', 'lookup failed to find key "c"'],
    [
      'merge({}, 1)',
      'Invalid function argument @ 1:11-1:12',
      'arguments must be maps or objects, got number',
    ],
    ['range(0, 2000)', 'Error in function call @ 1:1-1:15', 'more than 1024 values were generated'],
    [
      'range(1, 0, 1)',
      'Invalid function argument @ 1:13-1:14',
      'step must be negative when start is greater than limit',
    ],
    [
      'slice([1, 2], 1, 3)',
      'Invalid function argument @ 1:18-1:19',
      'the end index must not be greater than the length of the list',
    ],
    [
      'zipmap(["a"], [])',
      'Error in function call @ 1:1-1:18',
      'number of keys (1) does not match number of values (0)',
    ],
    [
      'chunklist([1], -1)',
      'Invalid function argument @ 1:16-1:18',
      'the size argument must be positive',
    ],
    ['concat([1], 2)', 'Invalid function argument @ 1:13-1:14', 'a list, set or tuple is required'],
    ['one([1, 2])', 'Invalid function argument @ 1:5-1:11', 'either zero or one elements'],
    [
      'sort([[1]])',
      'Invalid function argument @ 1:6-1:11',
      'Invalid value for "list" parameter: element 0: string required.',
    ],
    ['coalesce(null)', 'Error in function call @ 1:1-1:15', 'no non-null arguments'],
  ])('%s fails', (src, where, detail) => {
    const r = fails(src, scope);
    expect(r.where).toEqual([where]);
    expect(r.details[0]).toContain(detail);
  });
});

describe('numeric functions', () => {
  table([
    ['abs(-1.5)', 1.5],
    ['ceil(1.2)', 2],
    ['floor(-1.2)', -2],
    ['signum(-3)', -1],
    ['pow(2, 10)', 1024],
    ['log(8, 2)', 3],
    ['max(1, "7", 3)', 7],
    ['min(4, 2)', 2],
    ['parseint("ff", 16)', 255],
    ['parseint("-101", 2)', -5],
    ['parseint("FF", 16)', 255],
  ]);

  it.each<[string, string, string]>([
    [
      'parseint("12", 1)',
      'Invalid function argument @ 1:16-1:17',
      'base must be a whole number between 2 and 62 inclusive',
    ],
    [
      'parseint("xyz", 10)',
      'Invalid function argument @ 1:10-1:15',
      'cannot parse "xyz" as a base 10 integer',
    ],
    ['max()', 'Error in function call @ 1:1-1:6', 'must pass at least one number'],
    ['abs("x")', 'Invalid function argument @ 1:5-1:8', 'a number is required'],
  ])('%s fails', (src, where, detail) => {
    const r = fails(src, scope);
    expect(r.where).toEqual([where]);
    expect(r.details[0]).toContain(detail);
  });
});

describe('encoding functions', () => {
  table([
    ['base64encode("hello")', 'aGVsbG8='],
    ['base64decode("aGVsbG8=")', 'hello'],
    ['jsonencode({ b = [1, true, null], a = "<x>" })', '{"a":"\\u003cx\\u003e","b":[1,true,null]}'],
    ['jsonencode(1e21)', '1000000000000000000000'],
    ['jsondecode("{\\"a\\": [1, \\"x\\", null]}")', { a: [1, 'x', null] }],
    ['yamlencode({ b = [1, { c = "d" }], a = "x" })', '"a": "x"\n"b":\n- 1\n- "c": "d"\n'],
    ['yamlencode({ a = {}, b = [], c = "l1\\nl2\\n" })', '"a": {}\n"b": []\n"c": |\n  l1\n  l2\n'],
    ['yamldecode("a: 1\\nb: [x, true]\\n")', { a: 1, b: ['x', true] }],
    ['yamldecode("")', null],
    ['csvdecode("a,b\\n1,\\"x,y\\"\\n")', [{ a: '1', b: 'x,y' }]],
    ['urlencode("a b&c/ü")', 'a+b%26c%2F%C3%BC'],
  ]);

  it.each<[string, string, string]>([
    ['base64decode("%%%")', 'Invalid function argument @ 1:14-1:19', 'illegal base64 data'],
    ['base64decode("/w==")', 'Invalid function argument @ 1:14-1:20', 'not valid UTF-8'],
    ['jsondecode("{")', 'Invalid function argument @ 1:12-1:15', 'invalid JSON'],
    [
      'csvdecode("a,b\\n1\\n")',
      'Invalid function argument @ 1:11-1:21',
      'record on line 2: wrong number of fields',
    ],
    ['yamldecode("a: [")', 'Invalid function argument @ 1:12-1:18', 'on line'],
  ])('%s fails', (src, where, detail) => {
    const r = fails(src, scope);
    expect(r.where).toEqual([where]);
    expect(r.details[0]).toContain(detail);
  });
});

describe('crypto and uuid functions', () => {
  table([
    ['md5("hello")', '5d41402abc4b2a76b9719d911017c592'],
    ['sha1("hello")', 'aaf4c61ddcc5e8a2dabede0f3b482cd9aea9434d'],
    ['sha256("hello")', '2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824'],
    [
      'sha512("")',
      'cf83e1357eefb8bdf1542850d66d8007d620e4050b5715dc83f4a921d36ce9ce47d0d13c5d85f2b0ff8318d2877eec2f63b931bd47417a81a538327af927da3e',
    ],
    ['base64sha256("hello")', 'LPJNul+wow4m6DsqxbninhsWHlwfp0JecwQzYpOLmCQ='],
    ['uuidv5("dns", "www.example.com")', '2ed6657d-e927-568b-95e1-2665a8aea6a2'],
    ['length(uuidv4())', 36],
  ]);

  it('uuidv4 is random', () => {
    expect(ok('uuidv4()', scope)).not.toEqual(ok('uuidv4()', scope));
  });

  it('rsadecrypt decrypts PKCS #1 v1.5 ciphertext with a PEM private key', () => {
    const { privateKey, publicKey } = crypto.generateKeyPairSync('rsa', { modulusLength: 1024 });
    const ciphertext = crypto
      .publicEncrypt(
        { key: publicKey, padding: crypto.constants.RSA_PKCS1_PADDING },
        Buffer.from('s3cret'),
      )
      .toString('base64');
    const pem = privateKey.export({ format: 'pem', type: 'pkcs1' }).toString();
    const withKey = scopeWith({ variables: { c: ciphertext, k: pem, other: 'not a key' } });
    expect(ok('rsadecrypt(c, k)', withKey)).toBe('s3cret');
    expect(fails('rsadecrypt(c, other)', withKey).where).toEqual([
      'Invalid function argument @ 1:15-1:20',
    ]);
  });

  it('uuidv5 rejects an unknown namespace', () => {
    expect(fails('uuidv5("nope", "x")', scope).where).toEqual([
      'Invalid function argument @ 1:8-1:14',
    ]);
  });
});

describe('network functions', () => {
  table([
    ['cidrhost("10.12.112.0/20", 16)', '10.12.112.16'],
    ['cidrhost("10.12.112.0/20", -1)', '10.12.127.255'],
    ['cidrhost("fd00:fd12:3456:7890::/56", 16)', 'fd00:fd12:3456:7800::10'],
    ['cidrnetmask("172.16.0.0/12")', '255.240.0.0'],
    ['cidrsubnet("172.16.0.0/12", 4, 2)', '172.18.0.0/16'],
    ['cidrsubnet("10.1.2.0/24", 4, 15)', '10.1.2.240/28'],
    ['cidrsubnet("fd00:fd12:3456:7890::/56", 16, 162)', 'fd00:fd12:3456:7800:a200::/72'],
    [
      'cidrsubnets("10.1.0.0/16", 4, 4, 8, 4)',
      ['10.1.0.0/20', '10.1.16.0/20', '10.1.32.0/24', '10.1.48.0/20'],
    ],
  ]);

  it.each<[string, string]>([
    ['cidrhost("10.0.0.0/30", 4)', 'Invalid function argument @ 1:25-1:26'],
    ['cidrsubnet("10.0.0.0/30", 4, 0)', 'Invalid function argument @ 1:27-1:28'],
    ['cidrnetmask("not-an-ip")', 'Invalid function argument @ 1:13-1:24'],
  ])('%s fails', (src, where) => {
    expect(fails(src, scope).where).toEqual([where]);
  });
});

describe('date and time functions (clock injected)', () => {
  table([
    ['timestamp()', '2024-03-05T07:08:09Z'],
    ['formatdate("DD MMM YYYY hh:mm ZZZ", "2018-01-02T23:12:01Z")', '02 Jan 2018 23:12 UTC'],
    [
      'formatdate("EEEE, MMMM D, YY H:mm:ss aa", "2018-01-02T23:12:01-08:00")',
      'Tuesday, January 2, 18 11:12:01 pm',
    ],
    [
      'formatdate("h \'o\'\'clock\' ZZZZZ Z", "2018-01-02T09:00:00+05:30")',
      "9 o'clock +05:30 +05:30",
    ],
    ['timeadd("2017-11-22T00:00:00Z", "10m")', '2017-11-22T00:10:00Z'],
    ['timeadd("2017-11-22T00:00:00+01:00", "-1h30m")', '2017-11-21T22:30:00+01:00'],
    ['timecmp("2017-11-22T00:00:00Z", "2017-11-22T01:00:00+01:00")', 0],
  ]);

  it.each<[string, string, string]>([
    [
      'formatdate("YYY", "2018-01-02T23:12:01Z")',
      'Invalid function argument @ 1:12-1:17',
      'year must either be "YY" or "YYYY"',
    ],
    [
      'formatdate("YYYY", "2018-01-02")',
      'Invalid function argument @ 1:20-1:32',
      'not a valid RFC3339 timestamp',
    ],
    [
      'timeadd("2017-11-22T00:00:00Z", "10")',
      'Invalid function argument @ 1:33-1:37',
      'missing unit in duration',
    ],
  ])('%s fails', (src, where, detail) => {
    const r = fails(src, scope);
    expect(r.where).toEqual([where]);
    expect(r.details[0]).toContain(detail);
  });
});

describe('type conversion functions', () => {
  table([
    ['tostring(1.5)', '1.5'],
    ['tostring(true)', 'true'],
    ['tostring(null)', null],
    ['tonumber("42")', 42],
    ['tobool("false")', false],
    ['tolist(["a", 1])', ['a', '1']],
    ['toset(["a", "b", "a"])', ['a', 'b']],
    ['tomap({ a = 1, b = "x" })', { a: '1', b: 'x' }],
    ['try(tonumber("x"), 0)', 0],
    ['can(tonumber("x"))', false],
    ['convert(["a"], set(string))', ['a']],
    ['convert({ a = [1] }, map(list(string)))', { a: ['1'] }],
    ['convert([1, "a"], tuple([string, string]))', ['1', 'a']],
    ['convert({ x = 1, extra = 2 }, object({ x = string }))', { x: '1' }],
    ['convert({}, object({ p = optional(number) }))', { p: null }],
  ]);

  it.each<[string, string, string]>([
    ['tonumber("x")', 'Invalid function argument @ 1:10-1:13', 'cannot convert "x" to number'],
    ['tobool(1)', 'Invalid function argument @ 1:8-1:9', 'cannot convert number to bool'],
    ['tostring([])', 'Invalid function argument @ 1:10-1:12', 'cannot convert tuple to string'],
    [
      'tolist([1, true])',
      'Invalid function argument @ 1:8-1:17',
      'all list elements must have the same type',
    ],
    [
      'convert([1], tuple([string, string]))',
      'Invalid function argument @ 1:9-1:12',
      'a tuple of 2 element(s) is required',
    ],
    [
      'convert({}, object({ x = string }))',
      'Invalid function argument @ 1:9-1:11',
      'attribute "x" is required',
    ],
    [
      'convert({ a = { b = "x" } }, object({ a = object({ b = bool }) }))',
      'Invalid function argument @ 1:9-1:28',
      'attribute "a": attribute "b": a bool is required',
    ],
  ])('%s fails', (src, where, detail) => {
    const r = fails(src, scope);
    expect(r.where).toEqual([where]);
    expect(r.details[0]).toContain(detail);
  });
});

describe('file-system functions (relative to the jobspec directory)', () => {
  table([
    ['file("hello.txt")', 'hello\n'],
    ['file("/job/conf/a.conf")', 'a'],
    ['filebase64("hello.txt")', 'aGVsbG8K'],
    ['fileexists("hello.txt")', true],
    ['fileexists("nope.txt")', false],
    ['fileset("conf", "*.conf")', ['a.conf', 'b.conf']],
    ['fileset("conf", "**/*.conf")', ['a.conf', 'b.conf', 'sub/c.conf']],
    ['fileset(".", "conf/{a,c}.*")', ['conf/a.conf']],
    ['filemd5("hello.txt")', 'b1946ac92492d2347c6235b4d2611184'],
    ['basename("/a/b/c.txt")', 'c.txt'],
    ['basename("")', '.'],
    ['dirname("/a/b/c.txt")', '/a/b'],
    ['dirname("c.txt")', '.'],
    ['abspath("/x/../y")', '/y'],
  ]);

  it('pathexpand expands the home directory', () => {
    expect(ok('pathexpand("~/x")', scope)).toBe('/home/u/x');
    expect(ok('pathexpand("~")', scope)).toBe('/home/u');
    expect(ok('pathexpand("/abs")', scope)).toBe('/abs');
  });

  it('reads no file and expands no "~" when it was given no file access', () => {
    const bare = scopeWith({ baseDir: '/job' });
    expect(fails('pathexpand("~/x")', bare).details.join()).toContain(
      'the home directory is not known here',
    );
    expect(fails('file("hello.txt")', bare).details.join()).toContain('no file access was given');
    expect(ok('fileexists("hello.txt")', bare)).toBe(false);
  });

  it.each<[string, string, string]>([
    [
      'file("missing.txt")',
      'Invalid function argument @ 1:6-1:19',
      'Invalid value for "path" parameter: no file exists at "/job/missing.txt".',
    ],
    [
      'file("conf")',
      'Invalid function argument @ 1:6-1:12',
      '"/job/conf" is a directory, not a file',
    ],
    ['fileexists("conf")', 'Invalid function argument @ 1:12-1:18', 'is a directory'],
  ])('%s fails', (src, where, detail) => {
    const r = fails(src, scope);
    expect(r.where).toEqual([where]);
    expect(r.details[0]).toContain(detail);
  });
});

describe('the library', () => {
  it("offers every function of Nomad's jobspec2", () => {
    const nomad = [
      'abs',
      'base64decode',
      'base64encode',
      'bcrypt',
      'can',
      'ceil',
      'chomp',
      'chunklist',
      'cidrhost',
      'cidrnetmask',
      'cidrsubnet',
      'cidrsubnets',
      'coalesce',
      'coalescelist',
      'compact',
      'concat',
      'contains',
      'convert',
      'csvdecode',
      'distinct',
      'element',
      'flatten',
      'floor',
      'format',
      'formatdate',
      'formatlist',
      'indent',
      'index',
      'join',
      'jsondecode',
      'jsonencode',
      'keys',
      'length',
      'log',
      'lookup',
      'lower',
      'max',
      'md5',
      'merge',
      'min',
      'parseint',
      'pow',
      'range',
      'reverse',
      'replace',
      'regex_replace',
      'rsadecrypt',
      'setintersection',
      'setproduct',
      'setunion',
      'sha1',
      'sha256',
      'sha512',
      'signum',
      'slice',
      'sort',
      'split',
      'strlen',
      'strrev',
      'substr',
      'timeadd',
      'title',
      'trim',
      'trimprefix',
      'trimspace',
      'trimsuffix',
      'try',
      'upper',
      'urlencode',
      'uuidv4',
      'uuidv5',
      'values',
      'yamldecode',
      'yamlencode',
      'zipmap',
      'abspath',
      'basename',
      'dirname',
      'file',
      'filebase64',
      'fileexists',
      'fileset',
      'pathexpand',
    ];
    const have = standardFunctions();
    expect(nomad.filter((n) => !have.has(n))).toEqual([]);
  });
});
