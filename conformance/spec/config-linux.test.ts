// runtime-spec v1.3.0 config-linux.md: namespaces, id mappings, devices, cgroups, seccomp, paths.
// Each test quotes the sentence it checks; COVERAGE.md lists them all.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Sandbox, cgroupDirsOf, created, mountsOf, nsOf, rmCgroup, runIn, skip, sleepMs, stateOf, waitUntil, which, refused } from './helpers.js';

let sb: Sandbox;
beforeEach(() => { sb = new Sandbox(); });
afterEach(() => sb.cleanup());


const NS_FILE: Record<string, string> = { pid: 'pid', network: 'net', mount: 'mnt', ipc: 'ipc', uts: 'uts', user: 'user', cgroup: 'cgroup', time: 'time' };
const USERNS = (s: Parameters<NonNullable<Parameters<Sandbox['bundle']>[2]>>[0]) => {
  s.linux!.namespaces!.push({ type: 'user' });
  s.linux!.uidMappings = [{ containerID: 0, hostID: 100000, size: 65536 }];
  s.linux!.gidMappings = [{ containerID: 0, hostID: 100000, size: 65536 }];
  s.mounts = s.mounts!.filter((m) => m.type !== 'cgroup');
};

describe.skipIf(skip)('config-linux.md: default filesystems', () => {
  it('config-linux.md: "The following filesystems SHOULD be made available in each container\'s filesystem: /proc proc, /sys sysfs, /dev/pts devpts, /dev/shm tmpfs" (with the config `tsrun spec` writes)', () => {
    const r = runIn(sb, 'fs', ['cat', '/proc/self/mountinfo']);
    const ms = mountsOf(r.stdout);
    const type = (p: string) => ms.filter((m) => m.point === p).map((m) => m.fstype)[0];
    expect([type('/proc'), type('/sys'), type('/dev/pts'), type('/dev/shm')]).toEqual(['proc', 'sysfs', 'devpts', 'tmpfs']);
  });
});

describe.skipIf(skip)('config-linux.md: namespaces', () => {
  for (const t of Object.keys(NS_FILE)) {
    it(`config-linux.md: "The following namespace types SHOULD be supported: ${t}" / "If path is not specified, the runtime MUST create a new container namespace of type type."`, () => {
      const b = sb.bundle('b', ['sleep', '100'], (s) => {
        if (t === 'user') USERNS(s);
        else if (!s.linux!.namespaces!.some((n) => n.type === t)) s.linux!.namespaces!.push({ type: t as 'time' });
      });
      const pid = created(sb, b, `ns-${t}`);
      expect(nsOf(pid, NS_FILE[t])).not.toBe(nsOf('self', NS_FILE[t]));
    });
  }

  it('config-linux.md: "If a namespace type is not specified in the namespaces array, the container MUST inherit the runtime namespace of that type."', () => {
    const b = sb.bundle('b', ['sleep', '100'], (s) => {
      s.linux!.namespaces = s.linux!.namespaces!.filter((n) => n.type === 'mount' || n.type === 'pid');
      delete s.hostname;
    });
    const pid = created(sb, b, 'inh');
    for (const t of ['net', 'ipc', 'uts', 'cgroup', 'user', 'time']) expect(nsOf(pid, t), t).toBe(nsOf('self', t));
    expect(nsOf(pid, 'mnt')).not.toBe(nsOf('self', 'mnt'));
  });

  it('config-linux.md: "The runtime MUST place the container process in the namespace associated with that path."', () => {
    const a = sb.bundle('a', ['sleep', '100'], (s) => (s.hostname = 'owner'));
    const apid = created(sb, a, 'owner');
    const b = sb.bundle('b', ['sleep', '100'], (s) => {
      delete s.hostname;
      s.linux!.namespaces = s.linux!.namespaces!.map((n) => (['network', 'uts', 'ipc'].includes(n.type) ? { type: n.type, path: `/proc/${apid}/ns/${NS_FILE[n.type]}` } : n));
    });
    const pid = created(sb, b, 'joiner');
    for (const t of ['net', 'uts', 'ipc']) expect(nsOf(pid, t), t).toBe(nsOf(apid, t));
  });

  it('config-linux.md: "This value MUST be an absolute path in the runtime mount namespace." (namespaces[].path)', () => {
    refused(sb, 'nsrel', (s) => (s.linux!.namespaces = s.linux!.namespaces!.map((n) => (n.type === 'network' ? { type: 'network', path: 'proc/1/ns/net' } : n))));
  });

  it('config-linux.md: "The runtime MUST generate an error if path is not associated with a namespace of type type."', () => {
    const a = sb.bundle('a', ['sleep', '100']);
    const apid = created(sb, a, 'other');
    refused(sb, 'nswrong', (s) => (s.linux!.namespaces = s.linux!.namespaces!.map((n) => (n.type === 'network' ? { type: 'network', path: `/proc/${apid}/ns/uts` } : n))));
    const file = join(sb.dir, 'plain');
    writeFileSync(file, '');
    refused(sb, 'nsfile', (s) => (s.linux!.namespaces = s.linux!.namespaces!.map((n) => (n.type === 'network' ? { type: 'network', path: file } : n))));
  });

  it('config-linux.md: "If a namespaces field contains duplicated namespaces with same type, the runtime MUST generate an error."', () => {
    refused(sb, 'nsdup', (s) => s.linux!.namespaces!.push({ type: 'pid' }));
  });

  it('config-linux.md: uidMappings/gidMappings (field effect) and "The runtime SHOULD NOT modify the ownership of referenced filesystems to realize the mapping."', () => {
    const b = sb.bundle('b', ['sleep', '100'], USERNS);
    const before = statSync(join(b, 'rootfs/bin/busybox'));
    const pid = created(sb, b, 'um');
    expect(readFileSync(`/proc/${pid}/uid_map`, 'utf8').trim().split(/\s+/)).toEqual(['0', '100000', '65536']);
    expect(readFileSync(`/proc/${pid}/gid_map`, 'utf8').trim().split(/\s+/)).toEqual(['0', '100000', '65536']);
    const after = statSync(join(b, 'rootfs/bin/busybox'));
    expect([after.uid, after.gid]).toEqual([before.uid, before.gid]);
    expect(statSync(join(b, 'rootfs')).uid).toBe(0);
  });

  it('config-linux.md: timeOffsets "sets the offset for Time Namespace" (field effect)', () => {
    const r = runIn(sb, 'time', ['cat', '/proc/uptime'], (s) => {
      s.linux!.namespaces!.push({ type: 'time' });
      s.linux!.timeOffsets = { boottime: { secs: 86400 * 3 }, monotonic: { secs: 0 } };
    });
    const host = Number(readFileSync('/proc/uptime', 'utf8').split(' ')[0]);
    expect(Number(r.stdout.split(' ')[0]) - host).toBeGreaterThan(86400 * 3 - 60);
  });
});

describe.skipIf(skip)('config-linux.md: devices', () => {
  it('config-linux.md: "devices (array of objects, OPTIONAL) lists devices that MUST be available in the container." (with type, major/minor, fileMode, uid, gid; also outside /dev)', () => {
    const r = runIn(sb, 'dev', ['ls', '-ln', '/dev/my-null', '/dev/my-loop', '/opt-null', '/dev/my-fifo'], (s) => {
      s.linux!.devices = [
        { path: '/dev/my-null', type: 'c', major: 1, minor: 3, fileMode: 0o620, uid: 7, gid: 8 },
        { path: '/dev/my-loop', type: 'b', major: 7, minor: 0, fileMode: 0o600 },
        { path: '/opt-null', type: 'c', major: 1, minor: 3 },
        { path: '/dev/my-fifo', type: 'p' },
      ];
    });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^crw--w----\s+1 7\s+8\s+1,\s+3 .*\/dev\/my-null$/m);
    expect(r.stdout).toMatch(/^brw-------\s+1 0\s+0\s+7,\s+0 .*\/dev\/my-loop$/m);
    expect(r.stdout).toMatch(/^c.*1,\s+3 .*\/opt-null$/m);
    expect(r.stdout).toMatch(/^p.*\/dev\/my-fifo$/m);
  });

  it('config-linux.md: "If a file already exists at path that does not match the requested device, the runtime MUST generate an error."', () => {
    const b = sb.bundle('b', ['true'], (s) => (s.linux!.devices = [{ path: '/etc/group', type: 'c', major: 1, minor: 3 }]));
    const before = readFileSync(join(b, 'rootfs/etc/group'), 'utf8');
    const r = sb.run(['create', '-b', b, 'devx']);
    // The bundle's own file must not have been replaced either.
    expect(statSync(join(b, 'rootfs/etc/group')).isFile()).toBe(true);
    expect(readFileSync(join(b, 'rootfs/etc/group'), 'utf8')).toBe(before);
    expect(r.code).not.toBe(0);
  });

  it('config-linux.md: "In addition to any devices configured with this setting, the runtime MUST also supply: /dev/null, /dev/zero, /dev/full, /dev/random, /dev/urandom, /dev/tty, ... /dev/ptmx (a bind-mount or symlink of the container\'s /dev/pts/ptmx)"', () => {
    const r = runIn(sb, 'ddev', ['sh', '-c', 'for d in null zero full random urandom tty; do stat -c "%n %F %t:%T" /dev/$d; done; readlink /dev/ptmx; stat -L -c "%t:%T" /dev/ptmx'], (s) => (s.linux!.devices = []));
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe([
      '/dev/null character special file 1:3', '/dev/zero character special file 1:5', '/dev/full character special file 1:7',
      '/dev/random character special file 1:8', '/dev/urandom character special file 1:9', '/dev/tty character special file 5:0', 'pts/ptmx', '5:2', '',
    ].join('\n'));
  });

  it('config-linux.md: "/dev/console is set up if terminal is enabled in the config by bind mounting the pseudoterminal pty to /dev/console."', async () => {
    const { sys } = await import('../../src/sys/index.js');
    const { closeSync } = await import('node:fs');
    const b = sb.bundle('b', ['sh', '-c', 'stat -c "%t:%T" /dev/console > /tmp/console; tty > /tmp/tty; grep " /dev/console " /proc/self/mountinfo > /tmp/mnt'], (s) => (s.process!.terminal = true));
    const sock = join(sb.dir, 'console.sock');
    const listen = sys().listenUnix(sock);
    try {
      expect(sb.run(['create', '-b', b, '--console-socket', sock, 'con']).stderr).toBe('');
      const { fd } = sys().recvFd(listen, 5000);
      expect(sb.run(['start', 'con']).code).toBe(0);
      expect(waitUntil(() => existsSync(join(b, 'rootfs/tmp/mnt')))).toBe(true);
      sleepMs(100);
      const tty = readFileSync(join(b, 'rootfs/tmp/tty'), 'utf8').trim();
      expect(tty).toMatch(/^\/dev\/pts\/\d+$/);
      expect(readFileSync(join(b, 'rootfs/tmp/console'), 'utf8').trim()).toMatch(/^88:\d+$/); // a pts device (major 136 = 0x88)
      expect(readFileSync(join(b, 'rootfs/tmp/mnt'), 'utf8')).toMatch(/ \/dev\/console /); // bind-mounted
      closeSync(fd);
    } finally {
      closeSync(listen);
    }
  });
});

describe.skipIf(skip)('config-linux.md: control groups', () => {
  afterEach(() => { for (const p of ['tsrun-spec-abs', 'tsrun-spec-own', 'tsrun-spec-dev1', 'tsrun-spec-dev2']) rmCgroup(p); });

  it('config-linux.md: "In the case of an absolute path (starting with /), the runtime MUST take the path to be relative to the cgroups mount point." / "If the value is specified, the runtime MUST consistently attach to the same place in the cgroups hierarchy given the same value of cgroupsPath."', () => {
    const b = sb.bundle('b', ['sleep', '100'], (s) => (s.linux!.cgroupsPath = '/tsrun-spec-abs/c1'));
    const pid1 = created(sb, b, 'cg1');
    expect(readFileSync(`/proc/${pid1}/cgroup`, 'utf8')).toMatch(/^\d+:pids:\/tsrun-spec-abs\/c1$/m);
    expect(readFileSync('/sys/fs/cgroup/pids/tsrun-spec-abs/c1/cgroup.procs', 'utf8').trim().split('\n')).toContain(String(pid1));
    const first = readFileSync(`/proc/${pid1}/cgroup`, 'utf8');
    expect(sb.run(['delete', '--force', 'cg1']).code).toBe(0);
    const pid2 = created(sb, b, 'cg2');
    expect(readFileSync(`/proc/${pid2}/cgroup`, 'utf8')).toBe(first);
  });

  it('config-linux.md: "Runtimes MAY consider certain cgroupsPath values to be invalid, and MUST generate an error if this is the case."', () => {
    expect(refused(sb, 'cgsd', (s) => (s.linux!.cgroupsPath = 'system.slice:tsrun:x'))).toMatch(/cgroupsPath/);
  });

  it('config-linux.md: "Runtimes SHOULD NOT change the ownership of container cgroups when cgroups v1 is in use."', () => {
    const b = sb.bundle('b', ['sleep', '100'], (s) => {
      USERNS(s);
      s.mounts!.push({ destination: '/sys/fs/cgroup', type: 'cgroup', source: 'cgroup', options: ['nosuid', 'noexec', 'nodev'] });
      s.linux!.cgroupsPath = '/tsrun-spec-own/c';
    });
    created(sb, b, 'own');
    for (const f of ['', '/cgroup.procs', '/tasks']) expect(statSync(`/sys/fs/cgroup/pids/tsrun-spec-own/c${f}`).uid, f).toBe(0);
  });

  it('config-linux.md: "The runtime MUST apply entries in the listed order." (resources.devices)', () => {
    // Opening c 10:229 (fuse; not one of the default rules) is allowed only when its allow entry
    // comes after the deny-all one. (mknod itself is allowed by runc's default "c *:* m" rule.)
    const edit = (devices: object[], path: string) => (s: Parameters<NonNullable<Parameters<Sandbox['bundle']>[2]>>[0]) => {
      s.linux!.resources = { devices: devices as never };
      s.linux!.cgroupsPath = path;
      const caps = ['CAP_MKNOD'];
      s.process!.capabilities = { bounding: caps, effective: caps, permitted: caps };
    };
    const deny = { allow: false, access: 'rwm' };
    const allow = { allow: true, type: 'c', major: 10, minor: 229, access: 'rw' };
    const script = 'mknod /tmp/n c 10 229 && head -c 0 /tmp/n 2>&1; echo done';
    const ok = runIn(sb, 'dev1', ['sh', '-c', script], edit([deny, allow], '/tsrun-spec-dev1/c'));
    expect(ok.stdout).toMatch(/done\n$/);
    expect(ok.stdout).not.toMatch(/Operation not permitted/);
    const no = runIn(sb, 'dev2', ['sh', '-c', script], edit([allow, deny], '/tsrun-spec-dev2/c'));
    expect(no.stdout).toMatch(/Operation not permitted/);
  });

  it('config-linux.md: resources memory, cpu, pids, blockIO (field effects, written to the container\'s cgroup)', () => {
    const b = sb.bundle('b', ['sleep', '100'], (s) => {
      s.linux!.resources = {
        memory: { limit: 64 << 20, reservation: 32 << 20, swappiness: 10 },
        cpu: { shares: 512, quota: 50000, period: 100000, cpus: '0', mems: '0' },
        pids: { limit: 33 },
        blockIO: { weight: 300 },
      };
    });
    const pid = created(sb, b, 'res');
    const dir = (c: string) => cgroupDirsOf(pid).find((d) => d.includes(`/${c}/`))!;
    const v = (c: string, f: string) => readFileSync(join(dir(c), f), 'utf8').trim();
    expect(v('memory', 'memory.limit_in_bytes')).toBe(String(64 << 20));
    expect(v('memory', 'memory.soft_limit_in_bytes')).toBe(String(32 << 20));
    expect(v('cpu', 'cpu.shares')).toBe('512');
    expect(v('cpu', 'cpu.cfs_quota_us')).toBe('50000');
    expect(v('cpuset', 'cpuset.cpus')).toBe('0');
    expect(v('pids', 'pids.max')).toBe('33');
    if (existsSync(join(dir('blkio'), 'blkio.bfq.weight'))) expect(v('blkio', 'blkio.bfq.weight')).toBe('300');
  });

  it('config-linux.md: "Even though it may superficially seem redundant, 0 is a valid limit value for the pids cgroup controller from the kernel\'s perspective and SHOULD be treated as such by runtimes."', () => {
    const b = sb.bundle('b', ['true'], (s) => (s.linux!.resources = { pids: { limit: 0 } }));
    const pid = created(sb, b, 'p0');
    expect(readFileSync(join(cgroupDirsOf(pid).find((d) => d.includes('/pids/'))!, 'pids.max'), 'utf8').trim()).toBe('0');
  });

  it('config-linux.md: "If enabled (true), runtime MAY check if a new memory limit is lower than the current usage, and MUST reject the new limit." (checkBeforeUpdate)', () => {
    const b = sb.bundle('b', ['sh', '-c', 'head -c 16777216 /dev/zero > /dev/shm/fill; echo up > /tmp/up; sleep 100'], (s) => (s.linux!.resources = { memory: { limit: 64 << 20, checkBeforeUpdate: true } }));
    expect(sb.run(['run', '-d', '-b', b, 'cbu']).code).toBe(0);
    expect(waitUntil(() => existsSync(join(b, 'rootfs/tmp/up')))).toBe(true);
    const res = join(sb.dir, 'res.json');
    writeFileSync(res, JSON.stringify({ memory: { limit: 4 << 20, checkBeforeUpdate: true } }));
    const r = sb.run(['update', '-r', res, 'cbu']);
    expect(r.code).not.toBe(0);
    const dir = cgroupDirsOf(stateOf(sb, 'cbu').pid).find((d) => d.includes('/memory/'))!;
    expect(readFileSync(join(dir, 'memory.limit_in_bytes'), 'utf8').trim()).toBe(String(64 << 20));
  });

  it('config-linux.md: "The runtime MUST generate an error when the configuration refers to a cgroup controller that is not present or that cannot be enabled." (unified, on this cgroup v1 host)', () => {
    refused(sb, 'uni', (s) => (s.linux!.resources = { unified: { 'memory.max': '100000000' } }));
  });

  it('runtime.md: "If the runtime cannot apply a property as specified in the configuration, it MUST generate an error and a new container MUST NOT be created." (a resource whose controller is not mounted here: net_cls / hugetlb / rdma)', () => {
    const mounted = (c: string) => readFileSync('/proc/self/mountinfo', 'utf8').split('\n').some((l) => / - cgroup /.test(l) && l.split(' - ')[1].split(' ')[2]?.split(',').includes(c));
    if (!mounted('net_cls')) refused(sb, 'ncls', (s) => (s.linux!.resources = { network: { classID: 5 } }));
    if (!mounted('hugetlb')) refused(sb, 'huge', (s) => (s.linux!.resources = { hugepageLimits: [{ pageSize: '2MB', limit: 2 << 20 }] }));
    if (!mounted('rdma')) refused(sb, 'rdma', (s) => (s.linux!.resources = { rdma: { mlx5_0: { hcaHandles: 3 } } }));
  });
});

describe.skipIf(skip)('config-linux.md: intelRdt', () => {
  it('config-linux.md: "If no mounted resctrl pseudo-filesystem is available in the runtime mount namespace, the runtime MUST generate an error."', () => {
    const resctrl = readFileSync('/proc/self/mountinfo', 'utf8').includes(' - resctrl ');
    expect(resctrl, 'this host has resctrl mounted; the sentence cannot be checked here').toBe(false);
    refused(sb, 'rdt', (s) => (s.linux!.intelRdt = { closID: 'spec' }));
  });
});

describe.skipIf(skip)('config-linux.md: sysctl, personality, memoryPolicy', () => {
  it('config-linux.md: sysctl "allows kernel parameters to be modified at runtime for the container" / personality / memoryPolicy (field effects)', () => {
    const r = runIn(sb, 'k', ['sh', '-c', 'cat /proc/sys/kernel/shmmni /proc/sys/net/ipv4/ip_forward; uname -m; grep -c "bind:0" /proc/self/numa_maps'], (s) => {
      s.linux!.sysctl = { 'kernel.shmmni': '1234', 'net.ipv4.ip_forward': '1' };
      s.linux!.personality = { domain: 'LINUX32' };
      s.linux!.memoryPolicy = { mode: 'MPOL_BIND', nodes: '0' };
    });
    expect(r.code, r.stderr).toBe(0);
    const [shm, fwd, arch, bound] = r.stdout.trim().split('\n');
    expect([shm, fwd, arch]).toEqual(['1234', '1', 'i686']);
    expect(Number(bound)).toBeGreaterThan(0);
  });
});

describe.skipIf(skip)('config-linux.md: seccomp', () => {
  it('config-linux.md: seccomp syscalls[].action, errnoRet, args (field effect: a matched call fails with the configured errno)', () => {
    const r = runIn(sb, 'sc', ['sh', '-c', 'mkdir /tmp/d 2>&1; echo rc=$?'], (s) => (s.linux!.seccomp = { defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['mkdir', 'mkdirat'], action: 'SCMP_ACT_ERRNO', errnoRet: 18 }] }));
    expect(r.stdout).toMatch(/Invalid cross-device link|Cross-device link/);
    expect(r.stdout).toMatch(/rc=1/);
  });

  it('config-linux.md: "When the action doesn\'t support an errno, the runtime MUST print and error and fail." (defaultErrnoRet and syscalls[].errnoRet)', () => {
    expect(refused(sb, 'e1', (s) => (s.linux!.seccomp = { defaultAction: 'SCMP_ACT_KILL', defaultErrnoRet: 1, syscalls: [{ names: ['read'], action: 'SCMP_ACT_ALLOW' }] }))).toMatch(/defaultErrnoRet/);
    expect(refused(sb, 'e2', (s) => (s.linux!.seccomp = { defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['mkdir'], action: 'SCMP_ACT_KILL', errnoRet: 1 }] }))).toMatch(/errnoRet/);
  });

  it('config-linux.md: "This field MUST NOT be set if listenerPath is not set." (listenerMetadata)', () => {
    refused(sb, 'lm', (s) => (s.linux!.seccomp = { defaultAction: 'SCMP_ACT_ALLOW', listenerMetadata: 'x', syscalls: [{ names: ['mkdir'], action: 'SCMP_ACT_ERRNO' }] }));
  });

  it('config-linux.md: "names MUST contain at least one entry."', () => {
    refused(sb, 'nm', (s) => (s.linux!.seccomp = { defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: [], action: 'SCMP_ACT_ERRNO' }] }));
  });

  it('config-linux.md: "If sending to this socket fails, the runtime MUST generate an error."', () => {
    refused(sb, 'lp', (s) => (s.linux!.seccomp = { defaultAction: 'SCMP_ACT_ALLOW', listenerPath: join(sb.dir, 'nobody-listens.sock'), syscalls: [{ names: ['mkdir'], action: 'SCMP_ACT_NOTIFY' }] }));
  });

  it.skipIf(!which('python3'))('config-linux.md: listenerPath: "This socket MUST use AF_UNIX domain and SOCK_STREAM type." / "The runtime MUST send exactly one container process state per connection." / "The connection MUST NOT be reused and it MUST be closed after sending a seccomp state." / "The container runtime MUST send the container process state over the UNIX socket as regular payload serialized in JSON and file descriptors MUST be sent using SCM_RIGHTS." / "If more than one sendmsg(2) is used, the file descriptors MUST be sent only in the first call."', async () => {
    const sock = join(sb.dir, 'agent.sock');
    const report = join(sb.dir, 'agent.json');
    // An AF_UNIX SOCK_STREAM agent: accepts one connection, reads it to EOF, notes which recvmsg
    // calls carried fds and what the fd is, then checks that no second connection comes.
    writeFileSync(join(sb.dir, 'agent.py'), `
import array, json, os, socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.bind(${JSON.stringify(sock)}); s.listen(4)
c, _ = s.accept()
data, calls, fds = b'', [], []
while True:
    msg, anc, flags, _ = c.recvmsg(65536, socket.CMSG_SPACE(16 * 4))
    got = []
    for level, kind, d in anc:
        if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
            a = array.array('i'); a.frombytes(d[:len(d) - len(d) % 4]); got += list(a)
    if not msg and not got: break
    calls.append(len(got)); fds += got; data += msg
s.settimeout(1.0)
try:
    s.accept(); second = True
except socket.timeout:
    second = False
links = [os.readlink('/proc/self/fd/%d' % f) for f in fds]
json.dump({'payload': data.decode(), 'calls': calls, 'links': links, 'second': second}, open(${JSON.stringify(report)} + '.tmp', 'w'))
os.rename(${JSON.stringify(report)} + '.tmp', ${JSON.stringify(report)})
`);
    const agent = spawn('python3', [join(sb.dir, 'agent.py')], { stdio: 'ignore' });
    try {
      expect(waitUntil(() => existsSync(sock))).toBe(true);
      const b = sb.bundle('b', ['true'], (s) => (s.linux!.seccomp = { defaultAction: 'SCMP_ACT_ALLOW', listenerPath: sock, listenerMetadata: 'meta', syscalls: [{ names: ['mkdir', 'mkdirat'], action: 'SCMP_ACT_NOTIFY' }] }));
      const c = sb.run(['create', '-b', b, 'lst']);
      expect(c.code, c.stderr).toBe(0);
      expect(waitUntil(() => existsSync(report), 5000)).toBe(true);
      const rep = JSON.parse(readFileSync(report, 'utf8'));
      const doc = JSON.parse(rep.payload); // exactly one JSON document, and the connection was closed (EOF)
      expect(doc).toMatchObject({ ociVersion: '1.3.0', fds: ['seccompFd'], pid: stateOf(sb, 'lst').pid, metadata: 'meta', state: { id: 'lst', bundle: b } });
      expect(rep.calls[0]).toBe(1); // the fd came with the first message
      expect(rep.calls.slice(1).every((n: number) => n === 0)).toBe(true);
      expect(rep.links[0]).toMatch(/seccomp/);
      expect(rep.second).toBe(false); // not reused, no second connection
    } finally {
      agent.kill('SIGKILL');
    }
  });
});

describe.skipIf(skip)('config-linux.md: rootfsPropagation, maskedPaths, readonlyPaths', () => {
  it('config-linux.md: rootfsPropagation "sets the rootfs\'s mount propagation" (field effect: shared, private)', () => {
    for (const [p, re] of [['shared', /shared:\d+/]] as const) {
      const r = runIn(sb, `rp-${p}`, ['cat', '/proc/self/mountinfo'], (s) => (s.linux!.rootfsPropagation = p));
      expect(mountsOf(r.stdout).find((m) => m.point === '/')!.optional, p).toMatch(re);
    }
    const r = runIn(sb, 'rp-private', ['cat', '/proc/self/mountinfo'], (s) => (s.linux!.rootfsPropagation = 'private'));
    expect(mountsOf(r.stdout).find((m) => m.point === '/')!.optional).not.toMatch(/shared:|master:/);
  });

  it('config-linux.md: maskedPaths "will mask over the provided paths inside the container so that they cannot be read." / readonlyPaths "will set the provided paths as readonly inside the container." (field effects)', () => {
    const b = sb.bundle('b', ['sh', '-c', 'cat /etc/secret-file; ls /etc/secret-dir | wc -l; touch /etc/ro-dir/x 2>&1; echo end'], (s) => {
      s.linux!.maskedPaths = ['/etc/secret-file', '/etc/secret-dir'];
      s.linux!.readonlyPaths = ['/etc/ro-dir'];
    });
    writeFileSync(join(b, 'rootfs/etc/secret-file'), 'secret');
    mkdirSync(join(b, 'rootfs/etc/secret-dir'));
    writeFileSync(join(b, 'rootfs/etc/secret-dir/f'), 'secret');
    mkdirSync(join(b, 'rootfs/etc/ro-dir'));
    const r = sb.run(['run', '-b', b, 'mp']);
    expect(r.stdout).toBe('0\ntouch: /etc/ro-dir/x: Read-only file system\nend\n');
  });

  it('config-linux.md: "The values MUST be absolute paths in the container namespace." (maskedPaths, readonlyPaths)', () => {
    refused(sb, 'mprel', (s) => (s.linux!.maskedPaths = ['proc/kcore']));
    refused(sb, 'roprel', (s) => (s.linux!.readonlyPaths = ['proc/sys']));
  });
});
