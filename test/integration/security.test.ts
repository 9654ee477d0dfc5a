// Process security as the container sees it, and the known runtime escapes (each test names its CVE).
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isRoot, skipReason, which } from '../helpers/env.js';
import { Sandbox } from '../helpers/sandbox.js';

const skip = skipReason(!isRoot ? 'integration tests need root' : !which('busybox') ? 'busybox-static is not installed' : undefined);

let sb: Sandbox;
beforeEach(() => { sb = new Sandbox(); });
afterEach(() => sb.cleanup());

describe.skipIf(skip)('process security fields', () => {
  it('NoNewPrivs, rlimits, oom_score_adj, scheduler, affinity, personality as configured', () => {
    const b = sb.bundle('b', ['sh', '-c', [
      'grep -E "^(NoNewPrivs|Cpus_allowed_list)" /proc/self/status',
      'grep -E "^Max (open files|processes|core file size)" /proc/self/limits',
      'cat /proc/self/oom_score_adj', 'cut -d" " -f41 /proc/self/stat', 'uname -m',
    ].join('; ')], (s) => {
      s.process!.noNewPrivileges = true;
      s.process!.rlimits = [{ type: 'RLIMIT_NOFILE', soft: 100, hard: 200 }, { type: 'RLIMIT_NPROC', soft: 300, hard: 400 }, { type: 'RLIMIT_CORE', soft: 0, hard: 0 }];
      s.process!.oomScoreAdj = 123;
      s.process!.scheduler = { policy: 'SCHED_BATCH', nice: 5 };
      s.process!.execCPUAffinity = { final: '0' };
      s.linux!.personality = { domain: 'LINUX32' };
    });
    const r = sb.run(['run', '-b', b, 's1']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^NoNewPrivs:\s+1$/m);
    expect(r.stdout).toMatch(/^Cpus_allowed_list:\s+0$/m);
    expect(r.stdout).toMatch(/^Max open files\s+100\s+200\s+files/m);
    expect(r.stdout).toMatch(/^Max processes\s+300\s+400\s+processes/m);
    expect(r.stdout).toMatch(/^Max core file size\s+0\s+0\s+bytes/m);
    expect(r.stdout).toMatch(/^123$/m);
    expect(r.stdout).toMatch(/^3$/m); // SCHED_BATCH
    expect(r.stdout).toMatch(/^i686$/m); // LINUX32
  });

  it('applies ioPriority and memoryPolicy', () => {
    const b = sb.bundle('b', ['sh', '-c', 'ionice -p $$ 2>&1; grep -o " bind:[0-9,-]*\\| prefer:[0-9]*\\| interleave:[0-9,-]*" /proc/self/numa_maps | head -1'], (s) => {
      s.process!.ioPriority = { class: 'IOPRIO_CLASS_BE', priority: 6 };
      s.linux!.memoryPolicy = { mode: 'MPOL_BIND', nodes: '0' };
    });
    const r = sb.run(['run', '-b', b, 'io']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/best-effort: prio 6|be\/6|class 2.*6/i);
    expect(r.stdout).toMatch(/bind:0/);
  });

  it('leaves oom_score_adj alone when not set', () => {
    const own = readFileSync('/proc/self/oom_score_adj', 'utf8');
    const b = sb.bundle('b', ['cat', '/proc/self/oom_score_adj']);
    expect(sb.run(['run', '-b', b, 's2']).stdout).toBe(own);
  });

  it('applies a namespaced sysctl inside, and refuses one that would change the host', () => {
    const b = sb.bundle('b', ['cat', '/proc/sys/net/ipv4/ip_unprivileged_port_start'], (s) => (s.linux!.sysctl = { 'net.ipv4.ip_unprivileged_port_start': '99' }));
    expect(sb.run(['run', '-b', b, 's3']).stdout).toBe('99\n');
    const b2 = sb.bundle('b2', ['true'], (s) => (s.linux!.sysctl = { 'vm.swappiness': '1' }));
    expect(sb.run(['run', '-b', b2, 's4']).stderr).toMatch(/linux.sysctl\["vm.swappiness"\] is not namespaced/);
  });

  it('warns about capabilities tsrun cannot grant and runs without them', () => {
    const own = BigInt(`0x${/^CapBnd:\s*(\S+)/m.exec(readFileSync('/proc/self/status', 'utf8'))![1]}`);
    const b = sb.bundle('b', ['grep', 'CapBnd', '/proc/self/status'], (s) => {
      const all = ['CAP_SYS_RESOURCE', 'CAP_KILL', 'CAP_SYS_ADMIN'];
      s.process!.capabilities = { bounding: all, effective: all, permitted: all };
    });
    const r = sb.run(['run', '-b', b, 's5']);
    expect(r.code, r.stderr).toBe(0);
    if (own & (1n << 24n)) return; // this host grants CAP_SYS_RESOURCE: nothing to warn about
    expect(r.warnings).toMatch(/CAP_SYS_RESOURCE cannot be granted/);
    expect(r.stdout).toMatch(/CapBnd:\s+0000000000200020/); // KILL | SYS_ADMIN
  });

  it('an AppArmor profile on a host without AppArmor is skipped with a warning (as crun); an SELinux label is an error (as runc)', () => {
    const lsm = (() => { try { return readFileSync('/sys/module/apparmor/parameters/enabled', 'utf8').trim() === 'Y'; } catch { return false; } })();
    if (lsm) return;
    const b = sb.bundle('b', ['true'], (s) => (s.process!.apparmorProfile = 'docker-default'));
    const r = sb.run(['run', '-b', b, 's6']);
    expect(r).toMatchObject({ code: 0, stderr: '' });
    expect(r.warnings).toMatch(/process.apparmorProfile "docker-default" is not applied: AppArmor is not enabled on this host/);
    if (existsSync('/sys/fs/selinux/enforce')) return;
    const c = sb.bundle('c', ['true'], (s) => (s.process!.selinuxLabel = 'system_u:system_r:container_t:s0'));
    expect(sb.run(['create', '-b', c, 's7']).stderr).toMatch(/SELinux is not enabled on this host \(process.selinuxLabel\)/);
  });
});

describe.skipIf(skip)('device rules (v1 devices controller, v2 eBPF program)', () => {
  it('a device node the rules do not allow cannot be opened, even by a container that may mknod it', () => {
    const b = sb.bundle('b', ['sh', '-c', 'mknod /tmp/mem c 1 1 && echo made; head -c 1 /tmp/mem > /dev/null 2>&1 && echo READ || echo denied; head -c 1 /dev/zero | wc -c'], (s) => {
      for (const set of ['bounding', 'effective', 'permitted'] as const) s.process!.capabilities![set]!.push('CAP_MKNOD');
    });
    const r = sb.run(['run', '-b', b, 'dev']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe('made\ndenied\n1\n');
  });
});

describe.skipIf(skip)('known escapes stay closed', () => {
  it('CVE-2024-21626: a cwd through /proc/self/fd/N cannot reach outside the root', () => {
    for (const fd of [3, 4, 5, 6, 7, 8]) {
      const b = sb.bundle(`b${fd}`, ['sh', '-c', 'pwd; ls ..'], (s) => (s.process!.cwd = `/proc/self/fd/${fd}`));
      const r = sb.run(['run', '-b', b, `cwd${fd}`]);
      // Either refused, or what it reaches is inside the container (no host paths listed).
      if (r.code === 0) expect(r.stdout).not.toMatch(/tsrun-test|work|shared/);
      else expect(r.stderr).toMatch(/process.cwd/);
    }
  });

  it('masked paths read as empty and read-only paths refuse writes', () => {
    const b = sb.bundle('b', ['sh', '-c', 'wc -c < /proc/keys; ls /proc/acpi 2>&1 | wc -l; (echo 1 > /proc/sys/kernel/domainname) 2>&1; true']);
    const r = sb.run(['run', '-b', b, 'm1']);
    const lines = r.stdout.split('\n');
    expect(lines[0]).toBe('0');
    expect(lines[1]).toBe('0');
    expect(r.stdout).toMatch(/domainname: Read-only file system/);
  });

  it('the waiting init is not dumpable: its /proc files stay root\'s while it runs as the user', () => {
    const b = sb.bundle('b', ['sleep', '100'], (s) => (s.process!.user = { uid: 1000, gid: 1000 }));
    expect(sb.run(['create', '-b', b, '--pid-file', join(sb.dir, 'pid'), 'd1']).code).toBe(0);
    const pid = Number(readFileSync(join(sb.dir, 'pid'), 'utf8'));
    expect(readFileSync(`/proc/${pid}/status`, 'utf8')).toMatch(/^Uid:\s+1000\s/m);
    expect(statSync(`/proc/${pid}/fd`).uid).toBe(0);
    expect(sb.run(['start', 'd1']).code).toBe(0);
    for (let i = 0; i < 100 && readFileSync(`/proc/${pid}/cmdline`, 'utf8').startsWith('tsrun-init'); i++) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 10);
    // After execve of the user's program the kernel makes it dumpable again, as for any process.
    expect(statSync(`/proc/${pid}/fd`).uid).toBe(1000);
  });
});
