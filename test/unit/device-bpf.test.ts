// The v2 device filter, run through a small interpreter of the instructions it uses.
import { describe, expect, it } from 'vitest';
import { deviceFilter, deviceFilterInsns } from '../../src/cgroups/device-bpf.js';
import { deviceRules, type DeviceRule } from '../../src/cgroups/devices.js';

function run(prog: Uint8Array, type: 'b' | 'c', access: string, major: number, minor: number): number {
  const acc = [...access].reduce((m, c) => m | ({ m: 1, r: 2, w: 4 } as Record<string, number>)[c], 0);
  const ctx = [(type === 'b' ? 1 : 2) | (acc << 16), major, minor];
  const r = new Array(11).fill(0);
  const v = new DataView(prog.buffer, prog.byteOffset, prog.byteLength);
  for (let pc = 0; pc < prog.length / 8; pc++) {
    const code = v.getUint8(pc * 8), regs = v.getUint8(pc * 8 + 1), off = v.getInt16(pc * 8 + 2, true), imm = v.getInt32(pc * 8 + 4, true);
    const dst = regs & 15, src = regs >> 4;
    switch (code) {
      case 0x61: r[dst] = ctx[off / 4] >>> 0; break;
      case 0x54: r[dst] = (r[dst] & imm) >>> 0; break;
      case 0x74: r[dst] = r[dst] >>> imm; break;
      case 0xbf: r[dst] = r[src]; break;
      case 0xb7: r[dst] = imm; break;
      case 0x55: if (r[dst] !== imm >>> 0) pc += off; break;
      case 0x95: return r[0];
      default: throw new Error(`opcode ${code.toString(16)}`);
    }
  }
  throw new Error('fell off the end');
}

describe('cgroup v2 device filter', () => {
  const rules = deviceRules([{ allow: false, access: 'rwm' }, { allow: true, type: 'c', major: 10, minor: 229, access: 'rw' }]);
  const prog = deviceFilter(rules);

  it('denies what no rule allows (deny-all first, as Docker and runc spec configs)', () => {
    expect(run(prog, 'b', 'r', 8, 0)).toBe(0); // /dev/sda
    expect(run(prog, 'c', 'rw', 1, 1)).toBe(0); // /dev/mem
  });
  it('allows runc\'s default devices, and mknod of any device', () => {
    expect(run(prog, 'c', 'rwm', 1, 3)).toBe(1); // /dev/null
    expect(run(prog, 'c', 'rw', 136, 7)).toBe(1); // /dev/pts/7
    expect(run(prog, 'b', 'm', 8, 0)).toBe(1); // mknod only
  });
  it('checks access as a subset, type, major and minor', () => {
    expect(run(prog, 'c', 'rw', 10, 229)).toBe(1);
    expect(run(prog, 'c', 'm', 10, 229)).toBe(1); // mknod: the default "c *:* m"
    expect(run(prog, 'c', 'rw', 10, 228)).toBe(0);
    expect(run(prog, 'b', 'rw', 10, 229)).toBe(0);
  });
  it('lets the last matching rule win, and stops at a catch-all', () => {
    const r: DeviceRule[] = [
      { allow: true, type: 'c', major: 1, minor: 1, access: 'r' }, // shadowed by the catch-all after it
      { allow: false, type: 'a', major: -1, minor: -1, access: 'rwm' },
      { allow: true, type: 'c', major: 5, minor: -1, access: 'rwm' },
      { allow: false, type: 'c', major: 5, minor: 1, access: 'w' },
    ];
    const p = deviceFilter(r);
    expect(run(p, 'c', 'r', 1, 1)).toBe(0);
    expect(run(p, 'c', 'r', 5, 1)).toBe(1);
    expect(run(p, 'c', 'w', 5, 1)).toBe(0);
    expect(run(p, 'c', 'w', 5, 2)).toBe(1);
    expect(run(deviceFilter([{ allow: true, type: 'a', major: -1, minor: -1, access: 'rwm' }]), 'b', 'rw', 8, 0)).toBe(1);
    expect(deviceFilterInsns([]).length).toBe(8); // prologue and "deny"
  });
});
