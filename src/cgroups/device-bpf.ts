// cgroup v2 has no devices.allow/deny files: the device rules become a BPF_PROG_TYPE_CGROUP_DEVICE
// program (as runc's and crun's device filters). Pure: rules in, program bytes out; the addon loads
// and attaches it. The kernel calls it with {access_type: type | access << 16, major, minor}.
import type { DeviceRule } from './devices.js';

const TYPE = { b: 1, c: 2 } as const; // BPF_DEVCG_DEV_BLOCK, BPF_DEVCG_DEV_CHAR
const ACC = { m: 1, r: 2, w: 4 } as const; // BPF_DEVCG_ACC_MKNOD, _READ, _WRITE

interface Insn { code: number; dst: number; src: number; off: number; imm: number }
const LDX_W = 0x61, AND32_K = 0x54, RSH32_K = 0x74, MOV64_X = 0xbf, MOV64_K = 0xb7, JNE_K = 0x55, EXIT = 0x95;
const I = (code: number, dst = 0, src = 0, off = 0, imm = 0): Insn => ({ code, dst, src, off, imm });

const accessMask = (access: string) => [...access].reduce((m, c) => m | ACC[c as keyof typeof ACC], 0);

/** The instructions of one rule: each check jumps past the rest of the block when it does not match. */
function block(r: DeviceRule): Insn[] {
  const checks: Insn[][] = [];
  if (r.type !== 'a') checks.push([I(JNE_K, 2, 0, 0, TYPE[r.type as 'b' | 'c'])]);
  const mask = accessMask(r.access);
  // The requested access must be within the rule's: (access & ~mask) == 0.
  if (mask !== 7) checks.push([I(MOV64_X, 1, 3), I(AND32_K, 1, 0, 0, ~mask & 7), I(JNE_K, 1, 0, 0, 0)]);
  if (r.major >= 0) checks.push([I(JNE_K, 4, 0, 0, r.major)]);
  if (r.minor >= 0) checks.push([I(JNE_K, 5, 0, 0, r.minor)]);
  const total = checks.reduce((n, c) => n + c.length, 0) + 2;
  const out: Insn[] = [];
  for (const c of checks) {
    out.push(...c);
    c[c.length - 1].off = total - out.length; // lands on the first instruction after the block
  }
  out.push(I(MOV64_K, 0, 0, 0, r.allow ? 1 : 0), I(EXIT));
  return out;
}

/** The program for rules in config order (the last matching rule wins, as the v1 lists behave). */
export function deviceFilterInsns(rules: DeviceRule[]): Insn[] {
  const prologue = [
    I(LDX_W, 2, 1, 0), I(AND32_K, 2, 0, 0, 0xffff), // r2 = device type
    I(LDX_W, 3, 1, 0), I(RSH32_K, 3, 0, 0, 16), // r3 = requested access
    I(LDX_W, 4, 1, 4), // r4 = major
    I(LDX_W, 5, 1, 8), // r5 = minor
  ];
  const body: Insn[] = [];
  let fallback = false; // deny what no rule matches
  for (const r of [...rules].reverse()) {
    // "a *:* rwm" sets what every device gets; the rules before it no longer matter.
    if (r.type === 'a' && r.major < 0 && r.minor < 0 && accessMask(r.access) === 7) {
      fallback = r.allow;
      break;
    }
    body.push(...block(r));
  }
  return [...prologue, ...body, I(MOV64_K, 0, 0, 0, fallback ? 1 : 0), I(EXIT)];
}

export function encodeInsns(insns: Insn[]): Uint8Array {
  const out = new Uint8Array(insns.length * 8);
  const v = new DataView(out.buffer);
  insns.forEach((x, i) => {
    v.setUint8(i * 8, x.code);
    v.setUint8(i * 8 + 1, (x.src << 4) | x.dst);
    v.setInt16(i * 8 + 2, x.off, true);
    v.setInt32(i * 8 + 4, x.imm, true);
  });
  return out;
}

export function deviceFilter(rules: DeviceRule[]): Uint8Array {
  return encodeInsns(deviceFilterInsns(rules));
}
