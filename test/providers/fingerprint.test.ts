import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import {
  FINGERPRINT_SECTIONS,
  fingerprintScript,
  goArch,
  hostFacts,
  parseCpuMaxFreq,
  parseCpuinfo,
  parseDf,
  parseHostnameIps,
  parseIpRoute,
  parseMeminfo,
  parseNproc,
  parseOsRelease,
  parseUname,
  splitSections,
  type FingerprintSection,
} from '../../providers/transports/fingerprint.js';

const CPUINFO_X86 = `processor\t: 0
model name\t: Intel(R) Xeon(R) CPU E5-2680 v4 @ 2.40GHz
cpu MHz\t\t: 1199.960
processor\t: 1
model name\t: Intel(R) Xeon(R) CPU E5-2680 v4 @ 2.40GHz
cpu MHz\t\t: 3300.102
`;

const CPUINFO_ARM = `processor\t: 0
BogoMIPS\t: 108.00
processor\t: 1
processor\t: 2
processor\t: 3
Hardware\t: BCM2835
`;

const OS_RELEASE_UBUNTU = `PRETTY_NAME="Ubuntu 22.04.4 LTS"
NAME="Ubuntu"
VERSION_ID="22.04"
VERSION="22.04.4 LTS (Jammy Jellyfish)"
ID=ubuntu
ID_LIKE=debian
# a comment
HOME_URL='https://www.ubuntu.com/'
`;

const DF = `Filesystem     1024-blocks     Used Available Capacity Mounted on
/dev/vda         264212084 23422112  82968800      23% /
`;

describe('parsers', () => {
  it.each([
    [
      'Linux 6.1.0-18-amd64 x86_64\n',
      { kernelName: 'linux', kernelVersion: '6.1.0-18-amd64', machine: 'x86_64' },
    ],
    ['Darwin 23.4.0 arm64', { kernelName: 'darwin', kernelVersion: '23.4.0', machine: 'arm64' }],
    ['', undefined],
    ['Linux', undefined],
  ])('uname %j', (text, expected) => {
    expect(parseUname(text)).toEqual(expected);
  });

  it.each([
    ['x86_64', 'amd64'],
    ['aarch64', 'arm64'],
    ['arm64', 'arm64'],
    ['armv7l', 'arm'],
    ['armv6l', 'arm'],
    ['i686', '386'],
    ['ppc64le', 'ppc64le'],
    ['s390x', 's390x'],
    ['riscv64', 'riscv64'],
    ['mips64el', 'mips64le'],
  ])('GOARCH of %s is %s', (machine, arch) => {
    expect(goArch(machine)).toBe(arch);
  });

  it('reads x86 cpuinfo: count, model, the highest clock', () => {
    expect(parseCpuinfo(CPUINFO_X86)).toEqual({
      processors: 2,
      modelName: 'Intel(R) Xeon(R) CPU E5-2680 v4 @ 2.40GHz',
      mhz: 3300,
    });
  });

  it('falls back to the clock in the model name', () => {
    expect(
      parseCpuinfo('processor : 0\nmodel name : Intel(R) Core(TM) i7 CPU @ 2.93GHz\n'),
    ).toEqual({
      processors: 1,
      modelName: 'Intel(R) Core(TM) i7 CPU @ 2.93GHz',
      mhz: 2930,
    });
  });

  it('reads arm cpuinfo, which has no clock', () => {
    expect(parseCpuinfo(CPUINFO_ARM)).toEqual({ processors: 4, modelName: 'BCM2835' });
  });

  it.each([
    ['3500000\n', 3500],
    ['', undefined],
    ['n/a', undefined],
  ])('cpuinfo_max_freq %j', (text, mhz) => {
    expect(parseCpuMaxFreq(text)).toBe(mhz);
  });

  it.each([
    ['8\n', 8],
    ['', undefined],
    ['0', undefined],
    ['x', undefined],
  ])('nproc %j', (text, n) => {
    expect(parseNproc(text)).toBe(n);
  });

  it('reads MemTotal in bytes', () => {
    expect(parseMeminfo('MemTotal:       24731708 kB\nMemAvailable:   1 kB\n')).toEqual({
      totalBytes: 24731708 * 1024,
    });
    expect(parseMeminfo('')).toEqual({});
  });

  it('reads os-release, quoted or not', () => {
    const os = parseOsRelease(OS_RELEASE_UBUNTU);
    expect(os.ID).toBe('ubuntu');
    expect(os.VERSION_ID).toBe('22.04');
    expect(os.VERSION).toBe('22.04.4 LTS (Jammy Jellyfish)');
    expect(os.HOME_URL).toBe('https://www.ubuntu.com/');
    expect(parseOsRelease('NAME="say \\"hi\\""')).toEqual({ NAME: 'say "hi"' });
  });

  it('reads the source address of the default route', () => {
    expect(parseIpRoute('1.1.1.1 via 192.0.2.1 dev eth0 src 192.0.2.2 uid 0 \n    cache \n')).toBe(
      '192.0.2.2',
    );
    expect(parseIpRoute('')).toBeUndefined();
  });

  it('takes the first non-loopback IPv4 address of hostname -I', () => {
    expect(parseHostnameIps('127.0.1.1 fd00::2 10.0.0.5 172.17.0.1 \n')).toBe('10.0.0.5');
    expect(parseHostnameIps('fd00::2\n')).toBeUndefined();
  });

  it('reads the available space of df -Pk in MB', () => {
    expect(parseDf(DF)).toEqual({ availableMB: Math.floor(82968800 / 1024) });
    expect(parseDf('')).toEqual({});
  });
});

function sections(
  over: Partial<Record<FingerprintSection, string>>,
): Record<FingerprintSection, string> {
  return { ...Object.fromEntries(FINGERPRINT_SECTIONS.map((s) => [s, ''])), ...over } as Record<
    FingerprintSection,
    string
  >;
}

describe('hostFacts', () => {
  it("gives Nomad's attributes and the node's resources for a Debian host", () => {
    const facts = hostFacts(
      sections({
        uname: 'Linux 6.1.0-18-amd64 x86_64\n',
        nproc: '2\n',
        cpuinfo: CPUINFO_X86,
        cpumaxfreq: '3500000\n',
        meminfo: 'MemTotal:       16384000 kB\n',
        osrelease: 'ID=debian\nVERSION_ID="12"\n',
        debianversion: '12.5\n',
        hostname: 'web-1\n',
        iproute: '1.1.1.1 via 10.0.0.1 dev eth0 src 10.0.0.5 uid 0\n',
        df: DF,
      }),
    );
    expect(facts).toEqual({
      attributes: {
        'kernel.name': 'linux',
        'kernel.version': '6.1.0-18-amd64',
        'kernel.arch': 'x86_64',
        'cpu.arch': 'amd64',
        'cpu.numcores': '2',
        'cpu.frequency': '3500',
        'cpu.totalcompute': '7000',
        'cpu.modelname': 'Intel(R) Xeon(R) CPU E5-2680 v4 @ 2.40GHz',
        'memory.totalbytes': String(16384000 * 1024),
        'os.name': 'debian',
        'os.version': '12.5',
        'unique.hostname': 'web-1',
        'unique.network.ip-address': '10.0.0.5',
        'unique.storage.bytesfree': String(Math.floor(82968800 / 1024) * 1024 * 1024),
      },
      resources: { cpu: 7000, cores: 2, memory: 16000, disk: Math.floor(82968800 / 1024) },
    });
  });

  it('makes do with little: no clock, no ip(8), no df', () => {
    const facts = hostFacts(
      sections({
        uname: 'Linux 6.6.20 aarch64\n',
        cpuinfo: CPUINFO_ARM,
        osrelease: OS_RELEASE_UBUNTU,
        hostname: 'pi\n',
        hostnameips: '127.0.1.1 192.168.1.20\n',
      }),
    );
    expect(facts.attributes).toEqual({
      'kernel.name': 'linux',
      'kernel.version': '6.6.20',
      'kernel.arch': 'aarch64',
      'cpu.arch': 'arm64',
      'cpu.numcores': '4',
      'cpu.frequency': '1000',
      'cpu.totalcompute': '4000',
      'cpu.modelname': 'BCM2835',
      'os.name': 'ubuntu',
      'os.version': '22.04',
      'unique.hostname': 'pi',
      'unique.network.ip-address': '192.168.1.20',
    });
    expect(facts.resources).toEqual({ cpu: 4000, cores: 4, memory: 0 });
  });
});

describe('fingerprintScript', () => {
  it('prints every section in one sh run, and measures the nearest existing directory', () => {
    const r = spawnSync('/bin/sh', ['-c', fingerprintScript("/nonexistent/it's/alloc")], {
      encoding: 'utf8',
    });
    expect(r.status).toBe(0);
    const s = splitSections(r.stdout);
    expect(s.uname).toMatch(/^\S+ \S+ \S+\n$/);
    expect(s.df).toMatch(/ \/\n$/); // measured at "/"
    expect(s.hostname.trim()).not.toBe('');
  });

  it('ignores text before the first marker and unknown markers', () => {
    const s = splitSections(
      'noise\n@@drover-fingerprint:uname\nLinux 6 x86_64\n@@drover-fingerprint:bogus\nx\n',
    );
    expect(s.uname).toBe('Linux 6 x86_64\n');
    expect(s.df).toBe('');
  });
});
