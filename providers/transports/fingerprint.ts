/**
 * Node fingerprinting with Nomad's attribute names, as pure functions over the text of a few
 * commands. `fingerprintScript` prints all of them in one `sh` round trip (section markers
 * between), so the local and the ssh transport read a host the same way; `hostFacts` turns that
 * output into attributes and resources.
 */
import type { NodeResources } from '../../src/state/types.js';

/** The sections `fingerprintScript` prints, in order. */
export const FINGERPRINT_SECTIONS = [
  'uname',
  'nproc',
  'cpuinfo',
  'cpumaxfreq',
  'meminfo',
  'osrelease',
  'debianversion',
  'hostname',
  'iproute',
  'hostnameips',
  'df',
] as const;
export type FingerprintSection = (typeof FINGERPRINT_SECTIONS)[number];

const MARK = '@@drover-fingerprint:';

/**
 * A POSIX sh script printing every input of `hostFacts`, each after a `@@drover-fingerprint:NAME`
 * line. `diskPath` is where allocations go (its nearest existing ancestor is measured).
 */
export function fingerprintScript(diskPath: string): string {
  const q = `'${diskPath.replace(/'/g, `'\\''`)}'`;
  const commands: Record<FingerprintSection, string> = {
    uname: 'uname -srm',
    nproc: 'nproc 2>/dev/null || getconf _NPROCESSORS_ONLN',
    cpuinfo:
      "grep -E '^(processor|model name|cpu MHz|Hardware|Processor)[[:space:]]*:' /proc/cpuinfo",
    cpumaxfreq: 'cat /sys/devices/system/cpu/cpu0/cpufreq/cpuinfo_max_freq',
    meminfo: 'grep -E "^(MemTotal|MemAvailable):" /proc/meminfo',
    osrelease: 'cat /etc/os-release 2>/dev/null || cat /usr/lib/os-release',
    debianversion: 'cat /etc/debian_version',
    hostname: 'hostname 2>/dev/null || uname -n',
    iproute: 'ip -4 route get 1.1.1.1',
    hostnameips: 'hostname -I',
    df: `d=${q}; while [ ! -d "$d" ]; do d=$(dirname "$d"); done; df -Pk "$d"`,
  };
  return FINGERPRINT_SECTIONS.map((s) => `echo '${MARK}${s}'\n(${commands[s]}) 2>/dev/null`).join(
    '\n',
  );
}

/** Splits the script's output into its sections (absent ones are empty). */
export function splitSections(output: string): Record<FingerprintSection, string> {
  const out = Object.fromEntries(FINGERPRINT_SECTIONS.map((s) => [s, ''])) as Record<
    FingerprintSection,
    string
  >;
  let current: FingerprintSection | undefined;
  const known = new Set<string>(FINGERPRINT_SECTIONS);
  const lines = output.split('\n');
  if (lines[lines.length - 1] === '') lines.pop(); // the final newline ends a line, not starts one
  for (const line of lines) {
    if (line.startsWith(MARK)) {
      const name = line.slice(MARK.length).trim();
      current = known.has(name) ? (name as FingerprintSection) : undefined;
      continue;
    }
    if (current !== undefined) out[current] += `${line}\n`;
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Parsers, one per command

export interface Uname {
  /** `linux`, as Go's runtime.GOOS spells it. */
  kernelName: string;
  kernelVersion: string;
  /** uname -m, e.g. `x86_64`. */
  machine: string;
}

/** `uname -srm`: "Linux 6.1.0-18-amd64 x86_64". */
export function parseUname(text: string): Uname | undefined {
  const words = text.trim().split(/\s+/);
  if (words.length < 3 || words[0] === '') return undefined;
  return {
    kernelName: (words[0] ?? '').toLowerCase(),
    kernelVersion: words.slice(1, -1).join(' '),
    machine: words[words.length - 1] ?? '',
  };
}

/** uname -m → Go's GOARCH, which Nomad's `cpu.arch` reports. */
export function goArch(machine: string): string {
  const m = machine.toLowerCase();
  if (m === 'x86_64' || m === 'amd64') return 'amd64';
  if (m === 'aarch64' || m === 'arm64') return 'arm64';
  if (/^armv?[5-7]/.test(m) || m === 'arm') return 'arm';
  if (/^i[3-6]86$/.test(m) || m === 'x86') return '386';
  if (m === 'ppc64le' || m === 'ppc64' || m === 's390x' || m === 'riscv64') return m;
  if (m === 'mips64' || m === 'mips64el' || m === 'mips' || m === 'mipsel')
    return m.replace('el', 'le');
  return m;
}

export interface CpuInfo {
  processors: number;
  modelName?: string;
  /** The highest `cpu MHz` seen, rounded. */
  mhz?: number;
}

/** /proc/cpuinfo (x86 and arm layouts). */
export function parseCpuinfo(text: string): CpuInfo {
  let processors = 0;
  let modelName: string | undefined;
  let mhz: number | undefined;
  for (const line of text.split('\n')) {
    const colon = line.indexOf(':');
    if (colon < 0) continue;
    const key = line.slice(0, colon).trim();
    const value = line.slice(colon + 1).trim();
    if (key === 'processor') processors++;
    else if ((key === 'model name' || key === 'Hardware' || key === 'Processor') && !modelName) {
      if (value !== '') modelName = value;
    } else if (key === 'cpu MHz') {
      const n = Number(value);
      if (Number.isFinite(n) && n > 0) mhz = Math.max(mhz ?? 0, Math.round(n));
    }
  }
  // Intel's model names carry the base clock: "… CPU @ 2.40GHz".
  if (mhz === undefined && modelName) {
    const m = /@\s*([\d.]+)\s*GHz/i.exec(modelName);
    if (m?.[1]) mhz = Math.round(Number(m[1]) * 1000);
  }
  return { processors, ...(modelName ? { modelName } : {}), ...(mhz ? { mhz } : {}) };
}

/** cpufreq's cpuinfo_max_freq is in kHz. */
export function parseCpuMaxFreq(text: string): number | undefined {
  const khz = Number(text.trim());
  return text.trim() !== '' && Number.isFinite(khz) && khz > 0 ? Math.round(khz / 1000) : undefined;
}

/** `nproc`: a positive integer. */
export function parseNproc(text: string): number | undefined {
  const n = Number(text.trim());
  return text.trim() !== '' && Number.isInteger(n) && n > 0 ? n : undefined;
}

/** /proc/meminfo's MemTotal, in bytes. */
export function parseMeminfo(text: string): { totalBytes?: number } {
  const m = /^MemTotal:\s*(\d+)\s*kB/m.exec(text);
  return m?.[1] ? { totalBytes: Number(m[1]) * 1024 } : {};
}

/** /etc/os-release: KEY=value lines, values optionally quoted. */
export function parseOsRelease(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const eq = line.indexOf('=');
    if (eq <= 0) continue;
    let value = line.slice(eq + 1).trim();
    const quote = value[0];
    if ((quote === '"' || quote === "'") && value.endsWith(quote) && value.length >= 2) {
      value = value.slice(1, -1);
      if (quote === '"') value = value.replace(/\\(["\\$`])/g, '$1');
    }
    out[line.slice(0, eq)] = value;
  }
  return out;
}

/** `ip -4 route get …`: the `src` address of the default route. */
export function parseIpRoute(text: string): string | undefined {
  return /\bsrc\s+(\d+\.\d+\.\d+\.\d+)/.exec(text)?.[1];
}

/** `hostname -I`: the first IPv4 address that is not loopback. */
export function parseHostnameIps(text: string): string | undefined {
  return text
    .trim()
    .split(/\s+/)
    .find((a) => /^\d+\.\d+\.\d+\.\d+$/.test(a) && !a.startsWith('127.'));
}

/** `df -Pk DIR`: available space in MB. */
export function parseDf(text: string): { availableMB?: number } {
  const lines = text.trim().split('\n');
  const fields = lines[1]?.trim().split(/\s+/);
  const kb = Number(fields?.[3]);
  return fields && fields.length >= 6 && Number.isFinite(kb)
    ? { availableMB: Math.floor(kb / 1024) }
    : {};
}

// ---------------------------------------------------------------------------------------------
// All together

/** When a host does not tell its clock rate (VMs on arm, for one), count each core as 1 GHz. */
export const FALLBACK_CPU_MHZ = 1000;

export interface HostFacts {
  attributes: Record<string, string>;
  resources: NodeResources;
}

/** Nomad's node attributes and the node's resources from the script's sections. */
export function hostFacts(sections: Readonly<Record<FingerprintSection, string>>): HostFacts {
  const attributes: Record<string, string> = {};
  const uname = parseUname(sections.uname);
  if (uname) {
    attributes['kernel.name'] = uname.kernelName;
    attributes['kernel.version'] = uname.kernelVersion;
    attributes['kernel.arch'] = uname.machine;
    attributes['cpu.arch'] = goArch(uname.machine);
  }

  const cpu = parseCpuinfo(sections.cpuinfo);
  const cores = parseNproc(sections.nproc) ?? (cpu.processors > 0 ? cpu.processors : 1);
  const mhz = parseCpuMaxFreq(sections.cpumaxfreq) ?? cpu.mhz ?? FALLBACK_CPU_MHZ;
  attributes['cpu.numcores'] = String(cores);
  attributes['cpu.frequency'] = String(mhz);
  attributes['cpu.totalcompute'] = String(mhz * cores);
  if (cpu.modelName) attributes['cpu.modelname'] = cpu.modelName;

  const mem = parseMeminfo(sections.meminfo);
  if (mem.totalBytes !== undefined) attributes['memory.totalbytes'] = String(mem.totalBytes);

  const os = parseOsRelease(sections.osrelease);
  const osName = os.ID?.toLowerCase();
  if (osName) attributes['os.name'] = osName;
  // Nomad (gopsutil) reads Debian's point release from /etc/debian_version.
  const debian = sections.debianversion.trim();
  const osVersion = osName === 'debian' && /^\d/.test(debian) ? debian : os.VERSION_ID;
  if (osVersion) attributes['os.version'] = osVersion;

  const hostname = sections.hostname.trim().split('\n')[0]?.trim();
  if (hostname) attributes['unique.hostname'] = hostname;
  const ip = parseIpRoute(sections.iproute) ?? parseHostnameIps(sections.hostnameips);
  if (ip) attributes['unique.network.ip-address'] = ip;

  const disk = parseDf(sections.df);
  if (disk.availableMB !== undefined) {
    attributes['unique.storage.bytesfree'] = String(disk.availableMB * 1024 * 1024);
  }

  return {
    attributes,
    resources: {
      cpu: mhz * cores,
      cores,
      memory: mem.totalBytes === undefined ? 0 : Math.floor(mem.totalBytes / (1024 * 1024)),
      ...(disk.availableMB === undefined ? {} : { disk: disk.availableMB }),
    },
  };
}
