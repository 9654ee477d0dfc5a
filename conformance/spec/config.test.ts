// runtime-spec v1.3.0 config.md: each field's observable effect inside the container, and the
// errors the runtime must give. Each test quotes the sentence it checks; COVERAGE.md lists them all.
import { execFileSync, spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Hook } from '../../src/config/gen/config.js';
import { TSRUN } from '../../test/helpers/env.js';
import { Sandbox, created, mountsOf, nsOf, rmCgroup, runIn, skip, stateOf, waitStatus, waitUntil, refused } from './helpers.js';

let sb: Sandbox;
beforeEach(() => { sb = new Sandbox(); });
afterEach(() => sb.cleanup());


describe.skipIf(skip)('config.md: ociVersion, root', () => {
  it('config.md: "ociVersion (string, REQUIRED) MUST be in SemVer v2.0.0 format" (with "Runtimes MUST generate an error when invalid or unsupported values are encountered.")', () => {
    expect(refused(sb, 'v1', (s) => (s.ociVersion = '1.0'))).toMatch(/ociVersion/);
    expect(refused(sb, 'v2', (s) => delete (s as { ociVersion?: string }).ociVersion)).toMatch(/ociVersion/);
  });

  it('config.md: "On all other platforms, this field is REQUIRED." (root)', () => {
    expect(refused(sb, 'nr', (s) => delete (s as { root?: unknown }).root)).toMatch(/root/);
  });

  it('config.md: "A directory MUST exist at the path declared by the field." (root.path; a missing one is an error)', () => {
    refused(sb, 'np', (s) => (s.root!.path = 'no-such-rootfs'));
  });

  it('config.md: "On POSIX platforms, path is either an absolute path or a relative path to the bundle." (absolute root.path)', () => {
    const other = sb.bundle('other', ['true']);
    writeFileSync(join(other, 'rootfs/marker'), 'x');
    const r = runIn(sb, 'abs', ['cat', '/marker'], (s) => (s.root!.path = join(other, 'rootfs')));
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe('x');
  });

  it('config.md: "readonly (bool, OPTIONAL) If true then the root filesystem MUST be read-only inside the container, defaults to false."', () => {
    const ro = runIn(sb, 'ro', ['sh', '-c', 'touch /x 2>&1; cat /proc/self/mountinfo'], (s) => (s.root!.readonly = true));
    expect(ro.stdout).toMatch(/Read-only file system/);
    expect(mountsOf(ro.stdout).find((m) => m.point === '/')!.opts.split(',')).toContain('ro');
    const rw = runIn(sb, 'rw', ['sh', '-c', 'touch /x && echo ok'], (s) => delete s.root!.readonly);
    expect(rw.stdout).toBe('ok\n');
  });
});

describe.skipIf(skip)('config.md: mounts', () => {
  it('config.md: "The runtime MUST mount entries in the listed order."', () => {
    const r = runIn(sb, 'order', ['sh', '-c', 'cat /proc/self/mountinfo; cat /m/sub/f 2>&1; ls /m'], (s) => {
      s.mounts!.push(
        { destination: '/m', type: 'tmpfs', source: 'first', options: ['size=100k'] },
        { destination: '/m/sub', type: 'tmpfs', source: 'second', options: ['size=200k'] },
        { destination: '/m', type: 'tmpfs', source: 'third', options: ['size=300k'] },
      );
    });
    expect(r.code, r.stderr).toBe(0);
    const ms = mountsOf(r.stdout).filter((m) => m.point.startsWith('/m'));
    expect(ms.map((m) => `${m.point} ${m.superOpts.match(/size=\d+k/)![0]}`)).toEqual(['/m size=100k', '/m/sub size=200k', '/m size=300k']);
    // The last /m covers the first (and /m/sub under it): the order was applied, not sorted.
    expect(r.stdout).toMatch(/No such file or directory/);
  });

  it('config.md: "For compatibility with old tools and configurations, it MAY be a relative path, in which case it MUST be interpreted as relative to "/"."', () => {
    const r = runIn(sb, 'rel', ['sh', '-c', 'grep " /rel " /proc/self/mountinfo'], (s) => s.mounts!.push({ destination: 'rel', type: 'tmpfs', source: 'tmpfs' }));
    expect(r.stderr).toBe('');
    expect(r.stdout).toMatch(/ \/rel rw.* - tmpfs /);
  });

  it('config.md: "Runtimes SHOULD treat unknown options as filesystem-specific ones and pass those as a comma-separated string to the fifth (const void *data) argument of mount(2)."', () => {
    const r = runIn(sb, 'data', ['sh', '-c', 'grep " /d " /proc/self/mountinfo'], (s) => s.mounts!.push({ destination: '/d', type: 'tmpfs', source: 'tmpfs', options: ['size=128k', 'mode=0711', 'nr_inodes=77'] }));
    expect(r.code, r.stderr).toBe(0);
    const m = mountsOf(r.stdout)[0];
    expect(m.superOpts.split(',')).toEqual(expect.arrayContaining(['size=128k', 'nr_inodes=77', 'mode=711']));
  });

  it('config.md: "If specified, it MUST be specified along with gidMappings." / "If specified, it MUST be specified along with uidMappings." (mounts[].uidMappings/gidMappings)', () => {
    const map = [{ containerID: 0, hostID: 1000, size: 1 }];
    refused(sb, 'um', (s) => s.mounts!.push({ destination: '/x', type: 'bind', source: '/tmp', options: ['bind', 'idmap'], uidMappings: map }));
    refused(sb, 'gm', (s) => s.mounts!.push({ destination: '/x', type: 'bind', source: '/tmp', options: ['bind', 'idmap'], gidMappings: map }));
  });

  // A host tree for the idmap tests: a file owned by root, in a directory the mapped root can enter.
  const idmapSource = () => {
    const dir = join(sb.dir, 'idsrc');
    if (!existsSync(dir)) {
      mkdirSync(dir);
      writeFileSync(join(dir, 'f'), 'x');
    }
    return dir;
  };
  const map5000 = [{ containerID: 0, hostID: 5000, size: 2000 }];
  const idmapProbe = ['sh', '-c', 'stat -c %u /x/f; grep " /x " /proc/self/mountinfo'];
  // The mapping needs a user namespace, which a chrooted process (the cgroup v2 test VM) cannot make.
  const noUserns = spawnSync('unshare', ['-U', 'true']).status !== 0;

  it.skipIf(noUserns)('config.md: idmap/ridmap "This option SHOULD NOT be passed to the underlying mount(2) call." / "If uidMappings or gidMappings are specified for the mount, the runtime MUST use those values for the mount\'s mapping." / "This SHOULD be implemented using mount_setattr(MOUNT_ATTR_IDMAP)"', () => {
    for (const opt of ['idmap', 'ridmap']) {
      const r = runIn(sb, `id-${opt}`, idmapProbe, (s) => s.mounts!.push({ destination: '/x', type: 'bind', source: idmapSource(), options: ['rbind', opt], uidMappings: map5000, gidMappings: map5000 }));
      expect(r.code, r.stderr).toBe(0);
      const [uid, line] = r.stdout.split('\n');
      expect(uid, opt).toBe('5000'); // the mount's own mapping: on-disk 0 is 5000
      const m = mountsOf(line)[0];
      expect(m.opts.split(','), opt).toContain('idmapped'); // MOUNT_ATTR_IDMAP, as the kernel shows it
      expect(m.superOpts, opt).not.toContain('idmap');
    }
  });

  it.skipIf(noUserns)('config.md: idmap/ridmap "If they are not specified, the runtime MAY use the container\'s user namespace mapping"', () => {
    for (const opt of ['idmap', 'ridmap']) {
      // /tmp (1777) lets the namespace's root make the mount point.
      const r = runIn(sb, `idu-${opt}`, ['stat', '-c', '%u', '/tmp/x/f'], (s) => {
        s.linux!.namespaces!.push({ type: 'user' });
        s.linux!.uidMappings = [{ containerID: 0, hostID: 100000, size: 65536 }];
        s.linux!.gidMappings = [{ containerID: 0, hostID: 100000, size: 65536 }];
        s.mounts = s.mounts!.filter((m) => m.type !== 'cgroup');
        s.mounts!.push({ destination: '/tmp/x', type: 'bind', source: idmapSource(), options: ['rbind', opt] });
      });
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout, opt).toBe('0\n'); // on-disk 0 through the namespace's mapping is its root again
    }
  });

  it.skipIf(noUserns)('config.md: mounts uidMappings/gidMappings "This SHOULD be implemented using mount_setattr(MOUNT_ATTR_IDMAP)"', () => {
    const r = runIn(sb, 'id-maps', idmapProbe, (s) => s.mounts!.push({ destination: '/x', type: 'bind', source: idmapSource(), options: ['bind'], uidMappings: map5000, gidMappings: map5000 }));
    expect(r.code, r.stderr).toBe(0);
    const [uid, line] = r.stdout.split('\n');
    expect(uid).toBe('5000');
    expect(mountsOf(line)[0].opts.split(',')).toContain('idmapped');
  });

  it('config.md: "idmap ... If there are no uidMappings and gidMappings specified and the container isn\'t using user namespaces, an error MUST be returned."', () => {
    for (const opt of ['idmap', 'ridmap']) {
      const b = sb.bundle(`b-${opt}`, ['true'], (s) => s.mounts!.push({ destination: '/x', type: 'bind', source: sb.dir, options: ['rbind', opt] }));
      expect(sb.run(['create', '-b', b, opt]).code, opt).not.toBe(0);
    }
  });
});

// The option table: "Runtimes MUST/SHOULD/MAY implement the following option strings for Linux".
// One container mounts a tmpfs (or a bind of a host tree with a submount) per option; each test
// then checks that option's mount in the container's mountinfo.
describe.skipIf(skip)('config.md: mount option strings for Linux', () => {
  let box: Sandbox;
  let mounts: ReturnType<typeof mountsOf> = [];
  let out = '';
  const src = () => join(box.dir, 'src');
  // option -> [MUST|SHOULD, kind of mount, check on the mount (and for r* options, its submount)]
  type M = ReturnType<typeof mountsOf>[number];
  const has = (flag: string) => (m: M) => m.opts.split(',').includes(flag);
  const lacks = (flag: string) => (m: M) => !m.opts.split(',').includes(flag);
  const superHas = (flag: string) => (m: M) => m.superOpts.split(',').includes(flag);
  const opt = (re: RegExp) => (m: M) => re.test(m.optional);
  const table: Record<string, ['MUST' | 'SHOULD', 'tmpfs' | 'bind' | 'rbind', (m: M) => boolean]> = {
    async: ['MUST', 'tmpfs', (m) => !superHas('sync')(m)],
    atime: ['MUST', 'tmpfs', lacks('noatime')],
    bind: ['MUST', 'bind', (m) => m.fstype !== 'tmpfs' || true],
    defaults: ['MUST', 'tmpfs', (m) => has('rw')(m) && lacks('nosuid')(m) && lacks('nodev')(m) && lacks('noexec')(m)],
    dev: ['MUST', 'tmpfs', lacks('nodev')],
    diratime: ['MUST', 'tmpfs', lacks('nodiratime')],
    dirsync: ['MUST', 'tmpfs', superHas('dirsync')],
    exec: ['MUST', 'tmpfs', lacks('noexec')],
    iversion: ['MUST', 'tmpfs', () => true],
    lazytime: ['MUST', 'tmpfs', superHas('lazytime')],
    loud: ['MUST', 'tmpfs', () => true],
    noatime: ['MUST', 'tmpfs', has('noatime')],
    nodev: ['MUST', 'tmpfs', has('nodev')],
    nodiratime: ['MUST', 'tmpfs', has('nodiratime')],
    noexec: ['MUST', 'tmpfs', has('noexec')],
    noiversion: ['MUST', 'tmpfs', () => true],
    nolazytime: ['MUST', 'tmpfs', (m) => !superHas('lazytime')(m)],
    norelatime: ['MUST', 'tmpfs', () => true],
    nostrictatime: ['MUST', 'tmpfs', () => true],
    nosuid: ['MUST', 'tmpfs', has('nosuid')],
    nosymfollow: ['SHOULD', 'tmpfs', has('nosymfollow')],
    private: ['MUST', 'bind', (m) => !/shared:|master:/.test(m.optional)],
    ratime: ['SHOULD', 'rbind', lacks('noatime')],
    rbind: ['MUST', 'rbind', () => true],
    rdev: ['SHOULD', 'rbind', lacks('nodev')],
    rdiratime: ['SHOULD', 'rbind', lacks('nodiratime')],
    relatime: ['MUST', 'tmpfs', has('relatime')],
    rexec: ['SHOULD', 'rbind', lacks('noexec')],
    rnoatime: ['SHOULD', 'rbind', has('noatime')],
    rnodiratime: ['SHOULD', 'rbind', has('nodiratime')],
    rnoexec: ['SHOULD', 'rbind', has('noexec')],
    rnorelatime: ['SHOULD', 'rbind', () => true],
    rnostrictatime: ['SHOULD', 'rbind', () => true],
    rnosuid: ['SHOULD', 'rbind', has('nosuid')],
    rnosymfollow: ['SHOULD', 'rbind', has('nosymfollow')],
    ro: ['MUST', 'tmpfs', has('ro')],
    rprivate: ['MUST', 'rbind', (m) => !/shared:|master:/.test(m.optional)],
    rrelatime: ['SHOULD', 'rbind', has('relatime')],
    rro: ['SHOULD', 'rbind', has('ro')],
    rrw: ['SHOULD', 'rbind', has('rw')],
    rshared: ['MUST', 'rbind', opt(/shared:\d+/)],
    rslave: ['MUST', 'rbind', opt(/master:\d+/)],
    rstrictatime: ['SHOULD', 'rbind', (m) => lacks('relatime')(m) && lacks('noatime')(m)],
    rsuid: ['SHOULD', 'rbind', lacks('nosuid')],
    rsymfollow: ['SHOULD', 'rbind', lacks('nosymfollow')],
    runbindable: ['MUST', 'rbind', opt(/unbindable/)],
    rw: ['MUST', 'tmpfs', has('rw')],
    shared: ['MUST', 'bind', opt(/shared:\d+/)],
    silent: ['MUST', 'tmpfs', () => true],
    slave: ['MUST', 'bind', opt(/master:\d+/)],
    strictatime: ['MUST', 'tmpfs', (m) => lacks('relatime')(m) && lacks('noatime')(m)],
    suid: ['MUST', 'tmpfs', lacks('nosuid')],
    symfollow: ['SHOULD', 'tmpfs', lacks('nosymfollow')],
    sync: ['MUST', 'tmpfs', superHas('sync')],
    unbindable: ['MUST', 'bind', opt(/unbindable/)],
  };
  // The opposite flag is set first where the option only clears a flag, so clearing is visible.
  const before: Record<string, string[]> = {
    atime: ['noatime'], dev: ['nodev'], diratime: ['nodiratime'], exec: ['noexec'], suid: ['nosuid'], symfollow: ['nosymfollow'], rw: ['ro'], async: ['sync'], nolazytime: ['lazytime'],
    rdev: ['rnodev'], rdiratime: ['rnodiratime'], rexec: ['rnoexec'], rsuid: ['rnosuid'], rsymfollow: ['rnosymfollow'], rrw: ['rro'], ratime: ['rnoatime'],
  };

  beforeAll(() => {
    if (skip) return;
    box = new Sandbox();
    // A host tree with a submount, shared so that rshared/rslave have a peer group to join.
    mkdirSync(join(src(), 'sub'), { recursive: true });
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'srcroot', src()]);
    mkdirSync(join(src(), 'sub'));
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'srcsub', join(src(), 'sub')]);
    execFileSync('mount', ['--make-rshared', src()]);
    const b = box.bundle('b', ['cat', '/proc/self/mountinfo'], (s) => {
      for (const [name, [, kind]] of Object.entries(table)) {
        const options = [...(before[name] ?? []), name];
        if (kind === 'tmpfs') s.mounts!.push({ destination: `/o/${name}`, type: 'tmpfs', source: 'tmpfs', options });
        else s.mounts!.push({ destination: `/o/${name}`, type: 'bind', source: src(), options: [kind, ...options] });
      }
    });
    const r = box.run(['run', '-b', b, 'opts']);
    out = r.stdout + r.stderr;
    mounts = mountsOf(r.stdout);
  });
  afterAll(() => {
    if (skip) return;
    spawnSync('umount', ['-R', join(box.dir, 'src')]);
    box.cleanup();
  });

  for (const [name, [level, kind, check]] of Object.entries(table)) {
    it(`config.md: "${name}" | ${level} (mount option table: "Runtimes MUST/SHOULD/MAY implement the following option strings for Linux")`, () => {
      expect(mounts.length, out).toBeGreaterThan(0);
      const m = mounts.find((x) => x.point === `/o/${name}`);
      expect(m, out).toBeDefined();
      expect(check(m!), `${name}: ${JSON.stringify(m)}`).toBe(true);
      if (kind === 'rbind') {
        const sub = mounts.find((x) => x.point === `/o/${name}/sub`);
        expect(sub, `${name}: the submount came along`).toBeDefined();
        if (name.startsWith('r') && name !== 'rbind') expect(check(sub!), `${name} on the submount: ${JSON.stringify(sub)}`).toBe(true);
      }
    });
  }

  it('config.md: "shared" | MUST (mount option table), with linux.rootfsPropagation also set', () => {
    // rootfsPropagation is the rootfs's own propagation; a mount that asks for "shared" must stay shared.
    const r = runIn(sb, 'shrp', ['cat', '/proc/self/mountinfo'], (s) => {
      s.linux!.rootfsPropagation = 'private';
      s.mounts!.push({ destination: '/s', type: 'tmpfs', source: 'tmpfs', options: ['shared'] });
    });
    expect(r.code, r.stderr).toBe(0);
    expect(mountsOf(r.stdout).find((m) => m.point === '/s')!.optional).toMatch(/shared:\d+/);
  });

  it('config.md: "remount" | MUST (mount option table)', () => {
    const r = runIn(sb, 'remount', ['sh', '-c', 'echo hi > /r/f; grep " /r " /proc/self/mountinfo; cat /r/f'], (s) => {
      s.mounts!.push({ destination: '/r', type: 'tmpfs', source: 'tmpfs' }, { destination: '/r', type: 'tmpfs', source: 'tmpfs', options: ['remount', 'ro'] });
    });
    // remount changes the mount already at /r (read-only now), it does not stack a new one.
    const lines = mountsOf(r.stdout);
    expect(lines.length, r.stdout + r.stderr).toBe(1);
    expect(lines[0].opts.split(',')).toContain('ro');
  });
});

describe.skipIf(skip)('config.md: process', () => {
  it('config.md: "Runtimes MUST ignore consoleSize if terminal is false or unset."', () => {
    const r = runIn(sb, 'cs', ['sh', '-c', '[ -t 1 ] && echo tty || echo notty'], (s) => {
      s.process!.terminal = false;
      s.process!.consoleSize = { height: 10, width: 20 };
    });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe('notty\n');
  });

  it('config.md: "cwd (string, REQUIRED) is the working directory that will be set for the executable. This value MUST be an absolute path."', () => {
    refused(sb, 'cwdrel', (s) => (s.process!.cwd = 'tmp'));
    const r = runIn(sb, 'cwd', ['pwd'], (s) => (s.process!.cwd = '/var'));
    expect(r.stdout).toBe('/var\n');
  });

  it('config.md: env "with the same semantics as IEEE Std 1003.1-2008\'s environ" and args "used with the same semantics as execvp\'s file" (field effects)', () => {
    const r = runIn(sb, 'env', ['env'], (s) => (s.process!.env = ['PATH=/bin', 'A=1 2', 'EMPTY=']));
    // (HOME is added when the config has none, as runc does.)
    expect(r.stdout.split('\n').filter((l) => l && !l.startsWith('HOME=')).sort()).toEqual(['A=1 2', 'EMPTY=', 'PATH=/bin']);
    // args[0] found through the container's PATH, and the rest passed as they are.
    const a = runIn(sb, 'args', ['printf', '%s|', 'a b', '', 'c']);
    expect(a.stdout).toBe('a b||c|');
  });

  it('config.md: rlimits: "The runtime MUST generate an error for any values which cannot be mapped to a relevant kernel interface."', () => {
    refused(sb, 'rlbad', (s) => (s.process!.rlimits = [{ type: 'RLIMIT_NO_SUCH', soft: 1, hard: 1 }]));
  });

  it('config.md: "For each entry in rlimits, a getrlimit(3) on type MUST succeed." / "rlim.rlim_cur MUST match the configured value." / "rlim.rlim_max MUST match the configured value."', () => {
    const r = runIn(sb, 'rl', ['sh', '-c', 'grep -E "^Max (open files|pending signals|msgqueue size)" /proc/self/limits'], (s) => {
      s.process!.rlimits = [{ type: 'RLIMIT_NOFILE', soft: 321, hard: 654 }, { type: 'RLIMIT_SIGPENDING', soft: 11, hard: 22 }, { type: 'RLIMIT_MSGQUEUE', soft: 4096, hard: 8192 }];
    });
    expect(r.stdout).toMatch(/^Max open files\s+321\s+654\s/m);
    expect(r.stdout).toMatch(/^Max pending signals\s+11\s+22\s/m);
    expect(r.stdout).toMatch(/^Max msgqueue size\s+4096\s+8192\s/m);
  });

  it('config.md: "If rlimits contains duplicated entries with same type, the runtime MUST generate an error."', () => {
    refused(sb, 'rldup', (s) => (s.process!.rlimits = [{ type: 'RLIMIT_NOFILE', soft: 1, hard: 1 }, { type: 'RLIMIT_NOFILE', soft: 2, hard: 2 }]));
  });

  it('config.md: capabilities: "Any value which cannot be mapped to a relevant kernel interface, or cannot be granted otherwise MUST be logged as a warning by the runtime. Runtimes SHOULD NOT fail if the container configuration requests capabilities that cannot be granted"', () => {
    // Run tsrun itself without CAP_SYS_RESOURCE in its bounding set: a capability it cannot grant.
    if (spawnSync('setpriv', ['--version']).status !== 0) return console.log('SKIPPED part: setpriv (util-linux) is missing');
    const b = sb.bundle('b', ['grep', 'CapBnd', '/proc/self/status'], (s) => {
      const caps = ['CAP_KILL', 'CAP_SYS_RESOURCE'];
      s.process!.capabilities = { bounding: caps, effective: caps, permitted: caps };
    });
    const o = openSync(join(sb.dir, 'caps.out'), 'w+');
    const e = openSync(join(sb.dir, 'caps.err'), 'w+');
    const r = spawnSync('setpriv', ['--bounding-set', '-sys_resource', '--inh-caps', '-all', TSRUN, '--root', sb.root, 'run', '-b', b, 'caps'], { stdio: ['ignore', o, e] });
    closeSync(o); closeSync(e);
    const err = readFileSync(join(sb.dir, 'caps.err'), 'utf8');
    expect(r.status, err).toBe(0);
    expect(err).toMatch(/warning: .*CAP_SYS_RESOURCE/);
    expect(readFileSync(join(sb.dir, 'caps.out'), 'utf8')).toMatch(/CapBnd:\s+0000000000000020/); // CAP_KILL only
  });

  it('config.md: capabilities effective/bounding/inheritable/permitted/ambient "are kept for the process" (field effect)', () => {
    const r = runIn(sb, 'capsets', ['grep', '^Cap', '/proc/self/status'], (s) => {
      s.process!.user = { uid: 1000, gid: 1000 };
      s.process!.noNewPrivileges = false;
      s.process!.capabilities = { bounding: ['CAP_KILL', 'CAP_CHOWN', 'CAP_NET_RAW'], permitted: ['CAP_KILL', 'CAP_CHOWN'], effective: ['CAP_KILL'], inheritable: ['CAP_CHOWN'], ambient: ['CAP_CHOWN'] };
    });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^CapInh:\s+0000000000000001$/m);
    // A non-root uid keeps across execve only what is ambient: permitted = effective = ambient.
    expect(r.stdout).toMatch(/^CapPrm:\s+0000000000000001$/m);
    expect(r.stdout).toMatch(/^CapEff:\s+0000000000000001$/m);
    expect(r.stdout).toMatch(/^CapBnd:\s+0000000000002021$/m);
    expect(r.stdout).toMatch(/^CapAmb:\s+0000000000000001$/m);
  });

  it('config.md: "noNewPrivileges (bool, OPTIONAL) setting noNewPrivileges to true prevents the process from gaining additional privileges." (field effect)', () => {
    expect(runIn(sb, 'nnp1', ['grep', 'NoNewPrivs', '/proc/self/status'], (s) => (s.process!.noNewPrivileges = true)).stdout).toMatch(/NoNewPrivs:\s+1/);
    expect(runIn(sb, 'nnp0', ['grep', 'NoNewPrivs', '/proc/self/status'], (s) => (s.process!.noNewPrivileges = false)).stdout).toMatch(/NoNewPrivs:\s+0/);
  });

  it('config.md: "If oomScoreAdj is set, the runtime MUST set oom_score_adj to the given value."', () => {
    expect(runIn(sb, 'oom', ['cat', '/proc/self/oom_score_adj'], (s) => (s.process!.oomScoreAdj = 321)).stdout).toBe('321\n');
  });

  it('config.md: "If oomScoreAdj is not set, the runtime MUST NOT change the value of oom_score_adj."', () => {
    // The container inherits from tsrun, which inherits from this test process: give it an unusual value.
    const own = readFileSync('/proc/self/oom_score_adj', 'utf8');
    writeFileSync('/proc/self/oom_score_adj', '77');
    try {
      expect(runIn(sb, 'oom0', ['cat', '/proc/self/oom_score_adj']).stdout).toBe('77\n');
    } finally {
      writeFileSync('/proc/self/oom_score_adj', own);
    }
  });

  it('config.md: scheduler, ioPriority (field effects: policy/nice, I/O class and priority)', () => {
    const r = runIn(sb, 'sched', ['sh', '-c', 'cut -d" " -f19,41 /proc/self/stat; ionice -p $$'], (s) => {
      s.process!.scheduler = { policy: 'SCHED_BATCH', nice: 7 };
      s.process!.ioPriority = { class: 'IOPRIO_CLASS_BE', priority: 5 };
    });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^7 3$/m); // nice 7, policy 3 = SCHED_BATCH
    expect(r.stdout).toMatch(/best-effort: prio 5/);
  });

  it('config.md: user uid, gid, umask, additionalGids (field effects)', () => {
    const r = runIn(sb, 'user', ['sh', '-c', 'id -u; id -g; id -G; umask'], (s) => (s.process!.user = { uid: 1234, gid: 2345, additionalGids: [7, 8], umask: 0o027 }));
    expect(r.stdout).toBe('1234\n2345\n2345 7 8\n0027\n');
  });
});

describe.skipIf(skip)('config.md: hostname, domainname', () => {
  it('config.md: "hostname (string, OPTIONAL) specifies the container\'s hostname as seen by processes running inside the container." / domainname (field effects)', () => {
    const r = runIn(sb, 'uts', ['sh', '-c', 'hostname; cat /proc/sys/kernel/domainname'], (s) => {
      s.hostname = 'spec-host';
      s.domainname = 'spec.example';
    });
    expect(r.stdout).toBe('spec-host\nspec.example\n');
  });
});

const devIno = (p: string) => { const st = statSync(p); return `${st.dev}:${st.ino}`; };

/** A hook that appends "<tag> <mnt ns> <root> <state>" to log, reading the state from stdin. */
const hook = (tag: string, log: string, path = '/bin/sh'): Hook => ({ path, args: ['sh', '-c', `read -r s; echo "${tag} $(readlink /proc/self/ns/mnt) $(readlink /proc/self/root) $s" >> ${log}`] });
interface Entry { tag: string; ns: string; root: string; state: { status: string; pid: number; id: string; bundle: string } }
const entries = (log: string): Entry[] => (existsSync(log) ? readFileSync(log, 'utf8').trim().split('\n').map((l) => {
  const [tag, ns, root, ...rest] = l.split(' ');
  return { tag, ns, root, state: JSON.parse(rest.join(' ')) };
}) : []);

describe.skipIf(skip)('config.md: hooks', () => {
  it('config.md: "This specification extends the IEEE standard in that path MUST be absolute." (hooks)', () => {
    refused(sb, 'hrel', (s) => (s.hooks = { createRuntime: [{ path: 'bin/true' }] }));
  });

  it('config.md: "If set, timeout MUST be greater than zero." (hooks)', () => {
    refused(sb, 'hto', (s) => (s.hooks = { createRuntime: [{ path: '/bin/true', timeout: 0 }] }));
  });

  it('config.md: "Hooks MUST be called in the listed order." / "The state of the container MUST be passed to hooks over stdin so that they may do work appropriate to the current state of the container."', () => {
    const log = join(sb.dir, 'h.log');
    const inner = '/tmp/inner.log';
    const b = sb.bundle('b', ['sh', '-c', `echo program >> ${inner}`], (s) => {
      s.hooks = {
        prestart: [hook('prestart1', log), hook('prestart2', log)],
        createRuntime: [hook('createRuntime1', log), hook('createRuntime2', log)],
        createContainer: [hook('createContainer1', log), hook('createContainer2', log)],
        startContainer: [hook('startContainer1', inner), hook('startContainer2', inner)],
        poststart: [hook('poststart1', log), hook('poststart2', log)],
        poststop: [hook('poststop1', log), hook('poststop2', log)],
      };
    });
    const pid = created(sb, b, 'ord');
    expect(sb.run(['start', 'ord']).code).toBe(0);
    expect(waitStatus(sb, 'ord', 'stopped')).toBe('stopped');
    expect(sb.run(['delete', 'ord']).code).toBe(0);
    const e = entries(log);
    expect(e.map((x) => x.tag)).toEqual(['prestart1', 'prestart2', 'createRuntime1', 'createRuntime2', 'createContainer1', 'createContainer2', 'poststart1', 'poststart2', 'poststop1', 'poststop2']);
    const inside = readFileSync(join(b, 'rootfs/tmp/inner.log'), 'utf8').trim().split('\n');
    expect(inside.map((l) => l.split(' ')[0])).toEqual(['startContainer1', 'startContainer2', 'program']);
    for (const x of e) expect(x.state).toMatchObject({ ociVersion: '1.3.0', id: 'ord', bundle: b });
    expect(e.slice(0, 6).every((x) => x.state.status === 'created' && x.state.pid === pid)).toBe(true);
    expect(e[6].state).toMatchObject({ status: 'running', pid });
    expect(e[8].state.status).toBe('stopped');
    expect(JSON.parse(inside[0].split(' ').slice(3).join(' '))).toMatchObject({ id: 'ord', status: 'created' });
  });

  it('config.md: "The prestart hooks MUST be called as part of the create operation after the runtime environment has been created (according to the configuration in config.json) but before the pivot_root or any equivalent operation has been executed." / "The prestart hooks MUST be called before the createRuntime hooks."', () => {
    const log = join(sb.dir, 'h.log');
    // Each hook records whether the container's /cfg tmpfs is mounted yet and where its root is.
    const probe = (tag: string): Hook => ({ path: '/bin/sh', args: ['sh', '-c', `read -r s; p=$(echo "$s" | sed 's/.*"pid":\\([0-9]*\\).*/\\1/'); echo "${tag} $(grep -c '/cfg rw' /proc/$p/mountinfo) $(stat -L -c %d:%i /proc/$p/root/) $(readlink /proc/$p/ns/mnt)" >> ${log}`] });
    const b = sb.bundle('b', ['true'], (s) => {
      s.mounts!.push({ destination: '/cfg', type: 'tmpfs', source: 'tmpfs' });
      s.hooks = { prestart: [probe('prestart')], createRuntime: [probe('createRuntime')], createContainer: [probe('createContainer')] };
    });
    const pid = created(sb, b, 'tim');
    const lines = readFileSync(log, 'utf8').trim().split('\n').map((l) => l.split(' '));
    expect(lines.map((l) => l[0])).toEqual(['prestart', 'createRuntime', 'createContainer']);
    for (const [tag, mounted, root, ns] of lines) {
      expect(Number(mounted), `${tag}: the config's mounts are made`).toBeGreaterThan(0);
      expect(root, `${tag}: pivot_root has not happened (its root is still the host's)`).toBe(devIno('/'));
      expect(ns, `${tag}: the container's mount namespace exists`).toBe(nsOf(pid, 'mnt'));
    }
    expect(devIno(`/proc/${pid}/root/`)).toBe(devIno(join(b, 'rootfs'))); // and it has by the end of create
  });

  it('config.md: "The createRuntime hooks MUST be called as part of the create operation after the runtime environment has been created ... but before the pivot_root" / "The createContainer hooks MUST be called after the createRuntime hooks." (checked in the test above; here: none of them waits for start)', () => {
    const log = join(sb.dir, 'h.log');
    const b = sb.bundle('b', ['true'], (s) => (s.hooks = { createRuntime: [hook('cr', log)], createContainer: [hook('cc', log)], poststart: [hook('ps', log)] }));
    created(sb, b, 'cr');
    expect(entries(log).map((e) => e.tag)).toEqual(['cr', 'cc']);
  });

  it('config.md: prestart/createRuntime/createContainer/poststart/poststop: "The value of path MUST resolve in the runtime namespace." / "MUST be executed in the runtime namespace" (createContainer: "in the container namespace")', () => {
    const log = join(sb.dir, 'h.log');
    // A hook program that exists on the host only (not in the container's rootfs).
    const hostOnly = join(sb.dir, 'host-hook.sh');
    writeFileSync(hostOnly, `#!/bin/sh\nread -r s\necho "$1 $(readlink /proc/self/ns/mnt) $(readlink /proc/self/ns/pid) $s" >> ${log}\n`, { mode: 0o755 });
    const h = (tag: string): Hook => ({ path: hostOnly, args: [hostOnly, tag] });
    const b = sb.bundle('b', ['true'], (s) => (s.hooks = { prestart: [h('prestart')], createRuntime: [h('createRuntime')], createContainer: [h('createContainer')], poststart: [h('poststart')], poststop: [h('poststop')] }));
    const pid = created(sb, b, 'rns');
    const cmnt = nsOf(pid, 'mnt');
    expect(sb.run(['start', 'rns']).code).toBe(0);
    expect(waitStatus(sb, 'rns', 'stopped')).toBe('stopped');
    expect(sb.run(['delete', 'rns']).code).toBe(0);
    const lines = readFileSync(log, 'utf8').trim().split('\n').map((l) => l.split(' '));
    const host = nsOf('self', 'mnt');
    expect(lines.map((l) => [l[0], l[1] === host ? 'runtime' : l[1] === cmnt ? 'container' : l[1]])).toEqual([
      ['prestart', 'runtime'], ['createRuntime', 'runtime'], ['createContainer', 'container'], ['poststart', 'runtime'], ['poststop', 'runtime'],
    ]);
  });

  it('config.md: "The startContainer hooks\' path MUST resolve in the container namespace." / "The startContainer hooks MUST be executed in the container namespace."', () => {
    const b = sb.bundle('b', ['sh', '-c', 'echo program >> /tmp/sc.log'], (s) => (s.hooks = { startContainer: [{ path: '/bin/in-container-hook', args: ['in-container-hook'] }] }));
    // Exists in the rootfs only; it writes its namespaces and root inside the container.
    writeFileSync(join(b, 'rootfs/bin/in-container-hook'), '#!/bin/sh\necho "hook $(readlink /proc/self/ns/mnt) $(readlink /proc/self/ns/pid) $(cat /proc/self/cgroup | head -1)" >> /tmp/sc.log\n', { mode: 0o755 });
    expect(existsSync('/bin/in-container-hook')).toBe(false);
    const pid = created(sb, b, 'scn');
    const [mnt, pidns] = [nsOf(pid, 'mnt'), nsOf(pid, 'pid')];
    expect(sb.run(['start', 'scn']).code).toBe(0);
    expect(waitUntil(() => existsSync(join(b, 'rootfs/tmp/sc.log')) && readFileSync(join(b, 'rootfs/tmp/sc.log'), 'utf8').includes('program'))).toBe(true);
    const [hookLine, prog] = readFileSync(join(b, 'rootfs/tmp/sc.log'), 'utf8').trim().split('\n');
    expect(hookLine.split(' ').slice(0, 3)).toEqual(['hook', mnt, pidns]);
    expect(prog).toBe('program');
  });

  it('config.md: "The startContainer hooks MUST be called before the user-specified process is executed as part of the start operation."', () => {
    const b = sb.bundle('b', ['sh', '-c', 'echo program >> /tmp/o.log'], (s) => (s.hooks = { startContainer: [{ path: '/bin/sh', args: ['sh', '-c', 'echo hook >> /tmp/o.log'] }] }));
    created(sb, b, 'scb');
    expect(existsSync(join(b, 'rootfs/tmp/o.log'))).toBe(false); // not at create
    expect(sb.run(['start', 'scb']).code).toBe(0);
    expect(waitUntil(() => existsSync(join(b, 'rootfs/tmp/o.log')) && readFileSync(join(b, 'rootfs/tmp/o.log'), 'utf8').includes('program'))).toBe(true);
    expect(readFileSync(join(b, 'rootfs/tmp/o.log'), 'utf8')).toBe('hook\nprogram\n');
  });

  it('config.md: "The poststart hooks MUST be called after the user-specified process is executed but before the start operation returns."', () => {
    const log = join(sb.dir, 'h.log');
    // The hook records what the container process is running by then.
    const b = sb.bundle('b', ['sleep', '100'], (s) => (s.hooks = { poststart: [{ path: '/bin/sh', args: ['sh', '-c', `read -r s; p=$(echo "$s" | sed 's/.*"pid":\\([0-9]*\\).*/\\1/'); sleep 0.3; tr '\\0' ' ' < /proc/$p/cmdline >> ${log}`] }] }));
    created(sb, b, 'pst');
    expect(sb.run(['start', 'pst']).code).toBe(0);
    // start has returned, so the hook has finished: its output is complete.
    expect(readFileSync(log, 'utf8')).toBe('sleep 100 ');
  });

  it('config.md: "The poststop hooks MUST be called after the container is deleted but before the delete operation returns."', () => {
    const log = join(sb.dir, 'h.log');
    const b = sb.bundle('b', ['true'], (s) => {
      s.linux!.cgroupsPath = '/tsrun-conformance-pst/c';
      s.hooks = { poststop: [{ path: '/bin/sh', args: ['sh', '-c', `read -r s; p=$(echo "$s" | sed 's/.*"pid":\\([0-9]*\\).*/\\1/'); sleep 0.3; ls -d /sys/fs/cgroup/pids/tsrun-conformance-pst/c >> ${log} 2>&1; echo done >> ${log}`] }] };
    });
    expect(sb.run(['run', '--keep', '-b', b, 'psd']).code).toBe(0);
    expect(sb.run(['delete', 'psd']).code).toBe(0);
    const text = readFileSync(log, 'utf8');
    expect(text).toMatch(/No such file or directory/); // the container's cgroup is gone by then
    expect(text).toMatch(/done\n$/);
    rmCgroup('tsrun-conformance-pst');
  });
});

describe.skipIf(skip)('config.md: annotations, extensibility, valid values', () => {
  it('config.md: "Keys MUST NOT be an empty string." / "Values MUST be strings." (an error, as "Runtimes MUST generate an error when invalid or unsupported values are encountered.")', () => {
    refused(sb, 'ak', (s) => (s.annotations = { '': 'x' }));
    refused(sb, 'av', (s) => (s.annotations = { 'com.example.n': 5 as unknown as string }));
  });

  it('config.md: "Runtimes MUST handle unknown annotation keys like any other unknown property." (ignored, and reported in the state)', () => {
    const b = sb.bundle('b', ['true'], (s) => (s.annotations = { 'com.example.unknown': 'v', 'org.opencontainers.image.os': 'linux', 'x': '' }));
    created(sb, b, 'ann');
    expect(stateOf(sb, 'ann').annotations).toEqual({ 'com.example.unknown': 'v', 'org.opencontainers.image.os': 'linux', 'x': '' });
  });

  it('config.md: "org.opencontainers.image.stopSignal: Indicates signal that SHOULD be sent by the container runtimes to kill the container." (kill without a signal)', () => {
    const b = sb.bundle('b', ['sh', '-c', 'trap "echo usr1 > /tmp/sig; exit 0" USR1; trap "echo term > /tmp/sig; exit 0" TERM; echo up > /tmp/up; while true; do sleep 0.05; done'], (s) => (s.annotations = { 'org.opencontainers.image.stopSignal': 'SIGUSR1' }));
    expect(sb.run(['run', '-d', '-b', b, 'stop']).code).toBe(0);
    expect(waitUntil(() => existsSync(join(b, 'rootfs/tmp/up')))).toBe(true);
    expect(sb.run(['kill', 'stop']).code).toBe(0);
    expect(waitUntil(() => existsSync(join(b, 'rootfs/tmp/sig')) && readFileSync(join(b, 'rootfs/tmp/sig'), 'utf8').endsWith('\n'))).toBe(true);
    expect(readFileSync(join(b, 'rootfs/tmp/sig'), 'utf8')).toBe('usr1\n');
  });

  it('config.md: "Runtimes MAY log unknown properties but MUST otherwise ignore them. That includes not generating errors if they encounter an unknown property."', () => {
    const r = runIn(sb, 'ext', ['echo', 'ok'], (s) => {
      Object.assign(s as object, { 'x-top': { a: 1 } });
      Object.assign(s.process!, { 'x-proc': [1, 2] });
      Object.assign(s.linux!, { 'x-linux': 'y' });
      Object.assign(s.mounts![0], { 'x-mount': true });
    });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('ok\n');
  });

  it('config.md: "Runtimes MUST generate an error when invalid or unsupported values are encountered."', () => {
    refused(sb, 'iv1', (s) => s.linux!.namespaces!.push({ type: 'bogus' as 'pid' }));
    refused(sb, 'iv2', (s) => (s.linux!.seccomp = { defaultAction: 'SCMP_ACT_BOGUS' as 'SCMP_ACT_ALLOW' }));
    refused(sb, 'iv3', (s) => (s.process!.user = { uid: -1, gid: 0 }));
    refused(sb, 'iv4', (s) => (s.linux!.rootfsPropagation = 'sideways' as 'shared'));
  });
});
