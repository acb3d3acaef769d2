/** IP network functions: cidrhost, cidrnetmask, cidrsubnet, cidrsubnets (IPv4 and IPv6). */
import { T } from '../types.js';
import type { Value } from '../value.js';
import { argError, fn, param, type HclFunction } from './spec.js';

interface Prefix {
  addr: bigint;
  bits: number; // 32 or 128
  len: number;
}

function parseIPv4(s: string): bigint | undefined {
  const parts = s.split('.');
  if (parts.length !== 4) return undefined;
  let v = 0n;
  for (const p of parts) {
    if (!/^\d{1,3}$/.test(p) || Number(p) > 255) return undefined;
    v = (v << 8n) | BigInt(p);
  }
  return v;
}

function parseIPv6(s: string): bigint | undefined {
  let text = s;
  if (text.includes('.')) {
    // An embedded IPv4 tail (`::ffff:1.2.3.4`) stands for the last two groups.
    const cut = text.lastIndexOf(':');
    const v4 = parseIPv4(text.slice(cut + 1));
    if (v4 === undefined) return undefined;
    text = `${text.slice(0, cut + 1)}${(v4 >> 16n).toString(16)}:${(v4 & 0xffffn).toString(16)}`;
  }
  const halves = text.split('::');
  if (halves.length > 2) return undefined;
  const group = (h: string) => (h === '' ? [] : h.split(':'));
  const head = group(halves[0] ?? '');
  const rest = halves.length === 2 ? group(halves[1] ?? '') : [];
  const words: bigint[] = [];
  for (const g of [...head, ...rest]) {
    if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return undefined;
  }
  const total = head.length + rest.length;
  if (halves.length === 1 && total !== 8) return undefined;
  if (halves.length === 2 && total > 7) return undefined;
  words.push(...head.map((g) => BigInt('0x' + g)));
  if (halves.length === 2) for (let i = total; i < 8; i++) words.push(0n);
  words.push(...rest.map((g) => BigInt('0x' + g)));
  return words.reduce((acc, w) => (acc << 16n) | w, 0n);
}

function parsePrefix(s: string): Prefix | string {
  const [ip = '', lenText, extra] = s.split('/');
  if (lenText === undefined || extra !== undefined || !/^\d+$/.test(lenText)) {
    return `invalid CIDR address: ${s}`;
  }
  const v4 = parseIPv4(ip);
  const bits = v4 !== undefined ? 32 : 128;
  const addr = v4 ?? parseIPv6(ip);
  const len = Number(lenText);
  if (addr === undefined || len > bits) return `invalid CIDR address: ${s}`;
  const mask = ((1n << BigInt(len)) - 1n) << BigInt(bits - len);
  return { addr: addr & mask, bits, len };
}

function formatAddr(v: bigint, bits: number): string {
  if (bits === 32) return [24n, 16n, 8n, 0n].map((s) => String((v >> s) & 0xffn)).join('.');
  const words = Array.from({ length: 8 }, (_, i) => Number((v >> BigInt(112 - i * 16)) & 0xffffn));
  // Compress the longest run of zero words (length ≥ 2), as RFC 5952 asks.
  let best = -1;
  let bestLen = 1;
  for (let i = 0; i < 8;) {
    if (words[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && words[j] === 0) j++;
    if (j - i > bestLen) {
      best = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = words.map((w) => w.toString(16));
  if (best < 0) return hex.join(':');
  return `${hex.slice(0, best).join(':')}::${hex.slice(best + bestLen).join(':')}`;
}

function subnet(p: Prefix, newbits: number, netnum: bigint): Prefix | string {
  const len = p.len + newbits;
  if (len > p.bits) return `insufficient address space to extend prefix of ${p.len} by ${newbits}`;
  const max = 1n << BigInt(newbits);
  if (netnum < 0n || netnum >= max)
    return `prefix extension of ${newbits} does not accommodate a subnet numbered ${netnum}`;
  return { addr: p.addr | (netnum << BigInt(p.bits - len)), bits: p.bits, len };
}

const prefixParam = param('prefix', T.string);

export const networkFunctions: Record<string, HclFunction> = {
  cidrhost: fn([prefixParam, param('hostnum', T.number)], ([s, h]) => {
    const p = parsePrefix(s as string);
    if (typeof p === 'string') return argError(0, p);
    const hostnum = h as number;
    if (!Number.isInteger(hostnum)) return argError(1, 'must be a whole number');
    const size = 1n << BigInt(p.bits - p.len);
    let n = BigInt(hostnum);
    if (n < 0n) n += size;
    if (n < 0n || n >= size)
      return argError(1, `prefix of ${p.len} does not accommodate a host numbered ${hostnum}`);
    return formatAddr(p.addr | n, p.bits);
  }),
  cidrnetmask: fn([prefixParam], ([s]) => {
    const p = parsePrefix(s as string);
    if (typeof p === 'string') return argError(0, p);
    if (p.bits !== 32) return argError(0, 'only IPv4 networks have a netmask');
    return formatAddr(((1n << BigInt(p.len)) - 1n) << BigInt(32 - p.len), 32);
  }),
  cidrsubnet: fn(
    [prefixParam, param('newbits', T.number), param('netnum', T.number)],
    ([s, nb, nn]) => {
      const p = parsePrefix(s as string);
      if (typeof p === 'string') return argError(0, p);
      if (!Number.isInteger(nb) || !Number.isInteger(nn))
        return argError(1, 'must be a whole number');
      const r = subnet(p, nb as number, BigInt(nn as number));
      return typeof r === 'string' ? argError(1, r) : `${formatAddr(r.addr, r.bits)}/${r.len}`;
    },
  ),
  cidrsubnets: fn(
    [prefixParam],
    ([s, ...newbits]) => {
      const p = parsePrefix(s as string);
      if (typeof p === 'string') return argError(0, p);
      const out: Value[] = [];
      let next = p.addr;
      for (const [i, nbv] of newbits.entries()) {
        const nb = nbv as number;
        if (!Number.isInteger(nb) || nb < 1)
          return argError(i + 1, 'must extend the prefix by at least one bit');
        const len = p.len + nb;
        if (len > p.bits)
          return argError(
            i + 1,
            `would extend prefix to ${len} bits, which is too long for an IPv${p.bits === 32 ? 4 : 6} address`,
          );
        const step = 1n << BigInt(p.bits - len);
        // Align to this subnet's size, then check it still lies inside the base prefix.
        const start = ((next + step - 1n) / step) * step;
        const end = p.addr + (1n << BigInt(p.bits - p.len));
        if (start + step > end)
          return argError(
            i + 1,
            `not enough remaining address space for a subnet with a prefix of ${len} bits after ${formatAddr(next, p.bits)}`,
          );
        out.push(`${formatAddr(start, p.bits)}/${len}`);
        next = start + step;
      }
      return out;
    },
    param('newbits', T.number),
  ),
};
