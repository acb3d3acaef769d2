/**
 * Version constraints as Nomad checks them: `version` uses hashicorp/go-version's lenient
 * versions and constraints (with `~>` and its pre-release rules), `semver` uses Nomad's
 * helper/constraints/semver (Semver 2.0 ordering, strict constraint versions, no `~>`).
 * The left-hand version is parsed leniently in both cases, as Nomad does.
 */

export interface Version {
  /** Numeric segments, padded with zeros to at least three. */
  segments: number[];
  /** How many segments were written. */
  written: number;
  /** Pre-release without the leading "-", "" when none. */
  pre: string;
}

// go-version's VersionRegexpRaw, anchored.
const VERSION_RE =
  /^v?([0-9]+(?:\.[0-9]+)*?)(?:-([0-9]+[0-9A-Za-z\-~]*(?:\.[0-9A-Za-z\-~]+)*)|(?:-?([A-Za-z\-~]+[0-9A-Za-z\-~]*(?:\.[0-9A-Za-z\-~]+)*)))?(?:\+(?:[0-9A-Za-z\-~]+(?:\.[0-9A-Za-z\-~]+)*))?$/;
// go-version's SemverRegexpRaw: one to three segments.
const SEMVER_RE =
  /^v?([0-9]+(?:\.[0-9]+){0,2})(?:-([0-9A-Za-z\-~]+(?:\.[0-9A-Za-z\-~]+)*))?(?:\+(?:[0-9A-Za-z\-~]+(?:\.[0-9A-Za-z\-~]+)*))?$/;

function build(segmentText: string, pre: string | undefined): Version | undefined {
  const segments = segmentText.split('.').map(Number);
  if (segments.some((s) => !Number.isSafeInteger(s))) return undefined;
  const written = segments.length;
  while (segments.length < 3) segments.push(0);
  return { segments, written, pre: pre ?? '' };
}

/** go-version `NewVersion`: "1.2", "v1.2.3-beta.1+meta", "5.15.0-91-generic" (pre "91-generic"). */
export function parseVersion(text: string): Version | undefined {
  const m = VERSION_RE.exec(text.trim());
  return m ? build(m[1]!, m[2] ?? m[3]) : undefined;
}

/** go-version `NewSemver`. */
export function parseSemver(text: string): Version | undefined {
  const m = SEMVER_RE.exec(text.trim());
  return m ? build(m[1]!, m[2]) : undefined;
}

const INT_RE = /^[+-]?[0-9]+$/;

/** go-version comparePart: numeric parts sort before alphanumeric ones. */
function comparePart(a: string, b: string): number {
  if (a === b) return 0;
  const aNum = INT_RE.test(a);
  const bNum = INT_RE.test(b);
  if (a === '') return bNum ? -1 : 1;
  if (b === '') return aNum ? 1 : -1;
  if (aNum && !bNum) return -1;
  if (!aNum && bNum) return 1;
  if (!aNum && !bNum) return a > b ? 1 : -1;
  return Number(a) > Number(b) ? 1 : -1;
}

function comparePrereleases(a: string, b: string): number {
  if (a === b) return 0;
  const as = a.split('.');
  const bs = b.split('.');
  for (let i = 0; i < Math.max(as.length, bs.length); i++) {
    const c = comparePart(as[i] ?? '', bs[i] ?? '');
    if (c !== 0) return c;
  }
  return 0;
}

/** go-version `Compare`: segments (missing ones are zeros), then pre-releases. */
export function compareVersions(a: Version, b: Version): number {
  const n = Math.max(a.segments.length, b.segments.length);
  for (let i = 0; i < n; i++) {
    const x = a.segments[i] ?? 0;
    const y = b.segments[i] ?? 0;
    if (x !== y) return x < y ? -1 : 1;
  }
  if (a.pre === '' && b.pre === '') return 0;
  if (a.pre === '') return 1;
  if (b.pre === '') return -1;
  return comparePrereleases(a.pre, b.pre);
}

/** A parsed constraint list: every entry must hold. */
export type VersionCheck = (v: Version) => boolean;

/** go-version prereleaseCheck: a constraint without a pre-release never matches one. */
function prereleaseOk(v: Version, c: Version): boolean {
  if (c.pre !== '' && v.pre !== '') {
    return (
      v.segments.length === c.segments.length && v.segments.every((s, i) => s === c.segments[i])
    );
  }
  if (c.pre === '' && v.pre !== '') return false;
  return true;
}

function pessimistic(v: Version, c: Version): boolean {
  if (!prereleaseOk(v, c) || (c.pre !== '' && v.pre === '')) return false;
  if (compareVersions(v, c) < 0) return false;
  const cs = c.segments.length;
  if (cs > v.segments.length) return false;
  for (let i = 0; i < c.written - 1; i++) {
    if (v.segments[i] !== c.segments[i]) return false;
  }
  return c.segments[cs - 1]! <= v.segments[cs - 1]!;
}

type Op = '' | '=' | '!=' | '>' | '<' | '>=' | '<=' | '~>';

function goVersionOp(op: Op, c: Version): VersionCheck {
  switch (op) {
    case '':
    case '=':
      return (v) => compareVersions(v, c) === 0;
    case '!=':
      return (v) => compareVersions(v, c) !== 0;
    case '>':
      return (v) => prereleaseOk(v, c) && compareVersions(v, c) > 0;
    case '<':
      return (v) => prereleaseOk(v, c) && compareVersions(v, c) < 0;
    case '>=':
      return (v) => prereleaseOk(v, c) && compareVersions(v, c) >= 0;
    case '<=':
      return (v) => prereleaseOk(v, c) && compareVersions(v, c) <= 0;
    case '~>':
      return (v) => pessimistic(v, c);
  }
}

function semverOp(op: Op, c: Version): VersionCheck | undefined {
  switch (op) {
    case '':
    case '=':
      return (v) => compareVersions(v, c) === 0;
    case '!=':
      return (v) => compareVersions(v, c) !== 0;
    case '>':
      return (v) => compareVersions(v, c) > 0;
    case '<':
      return (v) => compareVersions(v, c) < 0;
    case '>=':
      return (v) => compareVersions(v, c) >= 0;
    case '<=':
      return (v) => compareVersions(v, c) <= 0;
    default:
      return undefined;
  }
}

const CONSTRAINT_RE = /^\s*(~>|>=|<=|!=|=|>|<)?\s*(\S+)\s*$/;

function parseList(
  text: string,
  parse: (s: string) => Version | undefined,
  op: (op: Op, c: Version) => VersionCheck | undefined,
): VersionCheck | undefined {
  const checks: VersionCheck[] = [];
  for (const single of text.split(',')) {
    const m = CONSTRAINT_RE.exec(single);
    if (!m) return undefined;
    const c = parse(m[2]!);
    if (!c) return undefined;
    const check = op((m[1] ?? '') as Op, c);
    if (!check) return undefined;
    checks.push(check);
  }
  return (v) => checks.every((c) => c(v));
}

/** go-version `NewConstraint`, e.g. ">= 1.2, < 2" or "~> 1.4"; undefined when malformed. */
export function parseVersionConstraint(text: string): VersionCheck | undefined {
  return parseList(text, parseVersion, goVersionOp);
}

/** Nomad's semver constraints, e.g. ">= 1.2.0-beta.1, < 2.0.0"; undefined when malformed. */
export function parseSemverConstraint(text: string): VersionCheck | undefined {
  return parseList(text, parseSemver, semverOp);
}
