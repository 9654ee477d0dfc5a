// Idmapped bind mounts in real containers (runc 1.2's mounts[].uidMappings/gidMappings and the
// idmap/ridmap options): what owners the container sees through the mount, what a write becomes on
// the host, and the configs refused with the field named.
import { execFileSync } from 'node:child_process';
import { chmodSync, chownSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Spec } from '../../src/config/gen/config.js';
import { isRoot, skipReason, which } from '../helpers/env.js';
import { Sandbox } from '../helpers/sandbox.js';

// An idmapped mount needs a user namespace for its mapping, which a chrooted process cannot make
// (EPERM: the cgroup v2 test VM runs everything under a chroot).
const usernsOk = () => execFileSync('sh', ['-c', 'unshare -U true 2>/dev/null && echo ok || true'], { encoding: 'utf8' }).trim() === 'ok';
const skip = skipReason(!isRoot ? 'integration tests need root' : !which('busybox') ? 'busybox-static is not installed' : !usernsOk() ? 'no user namespace can be created here (chroot)' : undefined);

let sb: Sandbox;
let src: string;
beforeEach(() => {
  sb = new Sandbox();
  // The mount source: files owned by 0 and by 1000 (uid and gid alike).
  src = join(sb.dir, 'src');
  mkdirSync(src);
  chmodSync(src, 0o777);
  for (const [name, id] of [['f0', 0], ['f1000', 1000]] as const) {
    writeFileSync(join(src, name), name);
    chownSync(join(src, name), id, id);
  }
});
afterEach(() => {
  for (const m of [join(src, 'sub')]) execFileSync('sh', ['-c', `mountpoint -q ${m} && umount -l ${m} || true`]);
  sb.cleanup();
});

const userns = (s: Spec) => {
  s.linux!.namespaces!.push({ type: 'user' });
  s.linux!.uidMappings = [{ containerID: 0, hostID: 100000, size: 65536 }];
  s.linux!.gidMappings = [{ containerID: 0, hostID: 100000, size: 65536 }];
  s.mounts = s.mounts!.filter((m) => m.type !== 'cgroup');
};
/** Mount points made in the rootfs beforehand: a user namespace's root may not create them there. */
const mountPoints = (b: string, ...dirs: string[]) => { for (const d of dirs) mkdirSync(join(b, 'rootfs', d)); return b; };
const owners = (dir: string) => `stat -c "%n %u %g" ${dir}/f0 ${dir}/f1000`;

describe.skipIf(skip)('idmapped mounts', () => {
  it("mounts[].uidMappings/gidMappings shift the owners the container sees; a plain bind beside it does not", () => {
    const b = sb.bundle('b', ['sh', '-c', `${owners('/idm')}; ${owners('/plain')}`], (s) => {
      const maps = [{ containerID: 0, hostID: 5000, size: 2000 }];
      s.mounts!.push({ destination: '/idm', type: 'bind', source: src, options: ['bind'], uidMappings: maps, gidMappings: maps });
      s.mounts!.push({ destination: '/plain', type: 'bind', source: src, options: ['bind'] });
    });
    const r = sb.run(['run', '-b', b, 'idm1']);
    expect(r.stderr).toBe('');
    expect(r.warnings).toBe('');
    expect(r.code).toBe(0);
    // On disk 0 and 1000; through the mapping 0 -> 5000 (size 2000): 5000 and 6000.
    expect(r.stdout).toBe(['/idm/f0 5000 5000', '/idm/f1000 6000 6000', '/plain/f0 0 0', '/plain/f1000 1000 1000', ''].join('\n'));
  });

  it("idmap alone takes the container's user namespace: its root owns the host's root files and writes as host root", () => {
    const b = sb.bundle('b', ['sh', '-c', `${owners('/idm')}; ${owners('/plain')}; echo hi > /idm/new && echo wrote; echo hi > /plain/new2 2>&1 || echo plain-refused`], (s) => {
      userns(s);
      s.mounts!.push({ destination: '/idm', type: 'bind', source: src, options: ['rbind', 'idmap'] });
      s.mounts!.push({ destination: '/plain', type: 'bind', source: src, options: ['rbind'] });
    });
    const r = sb.run(['run', '-b', mountPoints(b, 'idm', 'plain'), 'idm2']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const out = r.stdout.split('\n');
    // Through the idmapped mount the container's ids are the host's; through the plain one the
    // host's 0 and 1000 are not mapped in the namespace (the overflow id).
    expect(out.slice(0, 4)).toEqual(['/idm/f0 0 0', '/idm/f1000 1000 1000', '/plain/f0 65534 65534', '/plain/f1000 65534 65534']);
    expect(out).toContain('wrote');
    const st = statSync(join(src, 'new'));
    expect([st.uid, st.gid]).toEqual([0, 0]);
    // Without the mapping the container's root is host uid 100000: the 0777 directory lets it in,
    // and the file it makes belongs to 100000.
    expect(statSync(join(src, 'new2')).uid).toBe(100000);
  });

  it('ridmap maps the mounts under an rbind too; idmap only the top one', () => {
    const sub = join(src, 'sub');
    mkdirSync(sub);
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'mode=755', 'tsrun-idmap-sub', sub]);
    writeFileSync(join(sub, 'g0'), 'x');
    const b = sb.bundle('b', ['sh', '-c', 'stat -c "%n %u" /r/sub/g0 /i/sub/g0 /r/f0 /i/f0'], (s) => {
      userns(s);
      s.mounts!.push({ destination: '/r', type: 'bind', source: src, options: ['rbind', 'ridmap'] });
      s.mounts!.push({ destination: '/i', type: 'bind', source: src, options: ['rbind', 'idmap'] });
    });
    const r = sb.run(['run', '-b', mountPoints(b, 'r', 'i'), 'idm3']);
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe(['/r/sub/g0 0', '/i/sub/g0 65534', '/r/f0 0', '/i/f0 0', ''].join('\n'));
  });

  it("idmap in a container that joins another's user namespace by path uses that namespace (a pod's containers)", async () => {
    const a = sb.bundle('a', ['sleep', '100'], userns);
    expect(sb.run(['create', '-b', a, '--pid-file', join(sb.dir, 'a.pid'), 'idm-pod']).code).toBe(0);
    const pid = Number(readFileSync(join(sb.dir, 'a.pid'), 'utf8'));
    const b = sb.bundle('b', ['sh', '-c', owners('/idm')], (s) => {
      userns(s);
      s.linux!.namespaces = s.linux!.namespaces!.map((n) => (n.type === 'user' ? { type: 'user', path: `/proc/${pid}/ns/user` } : n));
      delete s.linux!.uidMappings;
      delete s.linux!.gidMappings;
      s.mounts!.push({ destination: '/idm', type: 'bind', source: src, options: ['rbind', 'idmap'] });
    });
    const r = sb.run(['run', '-b', mountPoints(b, 'idm'), 'idm-ctr']);
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe(['/idm/f0 0 0', '/idm/f1000 1000 1000', ''].join('\n'));
    expect(sb.run(['create', '--dry-run', '-b', b, 'idm-ctr2']).stdout).toContain(`(the user namespace /proc/${pid}/ns/user)`);
  });

  it('--dry-run shows the clone and the id mapping before any namespace, then the attach', () => {
    const b = sb.bundle('b', ['true'], (s) => {
      const maps = [{ containerID: 0, hostID: 5000, size: 10 }];
      s.mounts!.push({ destination: '/idm', type: 'bind', source: src, options: ['rbind', 'ridmap'], uidMappings: maps, gidMappings: maps });
    });
    const r = sb.run(['create', '--dry-run', '-b', b, 'idm4']);
    expect(r.code).toBe(0);
    const hold = r.stdout.indexOf('clone the mount tree of');
    const idmap = r.stdout.indexOf(`id-map every mount of the tree of ${src} (uid map "0 5000 10", gid map "0 5000 10")`);
    const unshare = r.stdout.indexOf('create the ');
    expect(hold).toBeGreaterThan(-1);
    expect(idmap).toBeGreaterThan(hold);
    expect(unshare).toBeGreaterThan(idmap);
  });

  it('refuses what runc refuses, naming the field: no mappings and no user namespace; a mount that is not a bind', () => {
    const b1 = sb.bundle('b1', ['true'], (s) => {
      s.mounts!.push({ destination: '/idm', type: 'bind', source: src, options: ['bind', 'idmap'] });
    });
    const r1 = sb.run(['run', '-b', b1, 'idm5']);
    expect(r1.code).toBe(1);
    expect(r1.stderr).toMatch(/idm5: the idmap mount option takes the mappings of the container's user namespace, and there is none \(mounts\[\d+\]\.options\)/);
    const b2 = sb.bundle('b2', ['true'], (s) => {
      const maps = [{ containerID: 0, hostID: 5000, size: 10 }];
      s.mounts!.push({ destination: '/t', type: 'tmpfs', source: 'tmpfs', options: [], uidMappings: maps, gidMappings: maps });
    });
    const r2 = sb.run(['run', '-b', b2, 'idm6']);
    expect(r2.code).toBe(1);
    expect(r2.stderr).toMatch(/idmapped mounts are only supported for bind mounts \(mounts\[\d+\]\.uidMappings\)/);
  });
});
