// End-to-end proof of the native mechanism: the addon spawns tsrun-init from a sealed memfd, init
// runs a plan on a busybox rootfs, and we check from outside what the container sees.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { createRequire } from 'node:module';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, readlinkSync, rmSync, symlinkSync, writeFileSync, chmodSync, openSync, closeSync, readSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { spawn as spawnProcess } from 'node:child_process';
import { join } from 'node:path';
import { encodePlan, encodeFrame, decodeFromInit } from '../../src/plan/encode.js';
import { MsgType, SyncKind, HookKind, MkdirKind, PlanFlag, type Op } from '../../src/plan/ops.gen.js';
import type { Native } from '../../src/sys/native.js';

const BUSYBOX = '/bin/busybox';
const INIT = new URL('../../build/tsrun-init', import.meta.url).pathname;
const ADDON = new URL('../../build/Release/tsrun.node', import.meta.url).pathname;

const skipReason =
  process.getuid?.() !== 0 ? 'not root'
  : !existsSync(BUSYBOX) ? `${BUSYBOX} missing (install busybox-static)`
  : !existsSync(ADDON) || !existsSync(INIT) ? 'native build missing (run node scripts/build-native.mjs)'
  : '';
if (skipReason) console.warn(`native integration tests skipped: ${skipReason}`);

const native = (skipReason ? null : createRequire(import.meta.url)('../../build/Release/tsrun.node')) as Native;

// Kernel constants the plans use (policy lives in TS; the test plays the runtime).
const CLONE_NEWNS = 0x20000, CLONE_NEWUTS = 0x4000000, CLONE_NEWIPC = 0x8000000, CLONE_NEWPID = 0x20000000, CLONE_NEWNET = 0x40000000;
const MS_NOSUID = 2, MS_NODEV = 4, MS_NOEXEC = 8, MS_BIND = 0x1000, MS_REC = 0x4000, MS_SLAVE = 1 << 19, MS_STRICTATIME = 1 << 24;
const MOUNT_ATTR_RDONLY = 1;
const O_RDONLY = 0, O_NONBLOCK = 0o4000, O_PATH = 0o10000000;
const S_IFCHR = 0o20000;
const POLLIN = 1;
const CAP_NET_BIND_SERVICE = 10, CAP_CHOWN = 0;
const ENOENT = 2, ENODEV = 19, EINVAL = 22, ETIMEDOUT = 110;
const makedev = (maj: number, min: number) => (min & 0xff) | (maj << 8) | ((min & ~0xff) << 12);

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
async function waitFor<T>(what: string, fn: () => T | undefined | false, ms = 10000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

function mount(source: string, target: string, fstype: string, flags: number, data = '', inRoot = 1, mkdir: number = MkdirKind.none, mode = 0o755): Op {
  return { op: 'mount', source, target, fstype, flags, data, inRoot, mkdir, mode, held: 0 };
}

/** A busybox rootfs in a fresh temp dir. */
function makeRootfs(tmp: string): string {
  const rootfs = join(tmp, 'rootfs');
  for (const d of ['bin', 'etc', 'tmp', 'secretdir']) mkdirSync(join(rootfs, d), { recursive: true });
  chmodSync(join(rootfs, 'tmp'), 0o1777);
  copyFileSync(BUSYBOX, join(rootfs, 'bin/busybox'));
  chmodSync(join(rootfs, 'bin/busybox'), 0o755);
  for (const app of ['sh', 'cat', 'ls', 'hostname', 'id', 'sleep', 'true', 'grep', 'touch', 'pwd', 'tty', 'stty']) symlinkSync('busybox', join(rootfs, 'bin', app));
  writeFileSync(join(rootfs, 'etc/secret'), 'TOPSECRET');
  writeFileSync(join(rootfs, 'secretdir/file'), 'hidden');
  return rootfs;
}

interface Started { chan: number; pid: number; pidfd: number }

/** Spawns tsrun-init with the channel at fd `chanAt` of the layout and sends the plan. */
function start(ops: Op[], layout: number[], chanAt: number, flags = 0): Started {
  const sealed = native.sealedExecFd(INIT);
  const [chan, child] = native.socketpair();
  const fds = [...layout];
  fds[chanAt] = child;
  try {
    const { pid, pidfd } = native.spawn({ execFd: sealed, argv: ['tsrun-init', String(chanAt)], fds });
    native.sendMsg(chan, MsgType.plan, encodePlan(ops, flags));
    return { chan, pid, pidfd };
  } finally {
    closeSync(child);
    closeSync(sealed);
  }
}

function recv(chan: number, timeoutMs = 10000) {
  const m = native.recvMsg(chan, timeoutMs);
  return m && { type: m.type, ...decodeFromInit(m.type, m.payload) };
}

/** Runs a plan that must fail; returns the error message and checks init exits 1. */
function runToError(ops: Op[], ack?: Uint8Array) {
  const s = start(ops, [devnullFd(), devnullFd(), devnullFd()], 3);
  try {
    for (;;) {
      const m = recv(s.chan, 20000);
      if (!m || m.type === MsgType.error) {
        expect(native.waitPidfd(s.pidfd, false)).toEqual({ code: 1 });
        return m;
      }
      if (m.type === MsgType.sync) native.sendMsg(s.chan, MsgType.ack, ack);
    }
  } finally {
    closeSync(s.chan);
    closeSync(s.pidfd);
  }
}
let devnullShared = -1;
const devnullFd = () => (devnullShared >= 0 ? devnullShared : (devnullShared = openSync('/dev/null', 'r+')));

function procStatus(pid: number, key: string): string {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8').split('\n').find((l) => l.startsWith(`${key}:`));
  return line ? line.slice(key.length + 1).trim() : '';
}

describe.skipIf(!!skipReason)('native addon + tsrun-init', () => {
  let tmp = '';
  let devnull = -1;
  const pidfds: number[] = [];

  beforeAll(() => {
    tmp = mkdtempSync(join(tmpdir(), 'tsrun-native-'));
    devnull = openSync('/dev/null', 'r+');
  });

  afterAll(() => {
    // Kill whatever a failed test left behind; every container lives in its own mount namespace,
    // so its mounts go with it.
    for (const fd of pidfds) {
      try { native.pidfdSendSignal(fd, 9); native.waitPidfd(fd, false); } catch { /* already reaped */ }
      try { closeSync(fd); } catch { /* closed */ }
    }
    if (devnull >= 0) closeSync(devnull);
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  it('seals the init image and lays out exactly the given fds, even when they overlap', () => {
    const sealed = native.sealedExecFd(INIT);
    expect(() => writeSync(sealed, 'x')).toThrow(/EPERM/);
    closeSync(sealed);

    const a = join(tmp, 'fd-a'), b = join(tmp, 'fd-b');
    writeFileSync(a, 'A');
    writeFileSync(b, 'B');
    const fa = openSync(a, 'r'), fb = openSync(b, 'r');
    // Swap fa and fb in the child and swap stdin/stderr: a naive dup2 loop would clobber one of each pair.
    const layout: number[] = new Array(Math.max(fa, fb) + 1).fill(-1);
    layout[0] = 2; layout[1] = devnull; layout[2] = 0;
    layout[fa] = fb; layout[fb] = fa;
    const before = [0, 2].map((n) => readlinkSync(`/proc/self/fd/${n}`));
    // No ops but a sync: init then waits, and we look at it.
    const s = start([{ op: 'sync', kind: SyncKind.ready }], layout, 3);
    pidfds.push(s.pidfd);
    try {
      expect(recv(s.chan)).toMatchObject({ type: MsgType.sync, kind: SyncKind.ready, step: 0 });
      const fds = readdirSync(`/proc/${s.pid}/fd`).map(Number).sort((x, y) => x - y);
      expect(fds).toEqual([0, 1, 2, 3, fa, fb].sort((x, y) => x - y));
      expect(readlinkSync(`/proc/${s.pid}/fd/${fa}`)).toBe(b);
      expect(readlinkSync(`/proc/${s.pid}/fd/${fb}`)).toBe(a);
      expect(readlinkSync(`/proc/${s.pid}/fd/0`)).toBe(before[1]);
      expect(readlinkSync(`/proc/${s.pid}/fd/2`)).toBe(before[0]);
      for (const n of [0, 1, 2, fa, fb]) {
        const flags = parseInt(/flags:\s+(\d+)/.exec(readFileSync(`/proc/${s.pid}/fdinfo/${n}`, 'utf8'))![1], 8);
        expect(flags & 0o2000000, `fd ${n} must not be O_CLOEXEC`).toBe(0);
      }
      expect(readlinkSync(`/proc/${s.pid}/exe`)).toMatch(/^\/memfd:tsrun-init/);
      // Signals were reset: nothing blocked, only SIGPIPE ignored (by init itself).
      expect(procStatus(s.pid, 'SigBlk')).toBe('0000000000000000');
      expect(procStatus(s.pid, 'SigIgn')).toBe('0000000000001000');
      native.sendMsg(s.chan, MsgType.abort);
      expect(native.waitPidfd(s.pidfd, false)).toEqual({ code: 1 });
      expect(native.recvMsg(s.chan, 1000)).toBeNull();
    } finally {
      closeSync(s.chan);
      closeSync(fa);
      closeSync(fb);
    }
  });

  it('reports a failed exec of the image as an error and reaps the child', () => {
    const notElf = native.sealedExecFd('/etc/hostname');
    try {
      expect(() => native.spawn({ execFd: notElf, argv: ['x'], fds: [devnull, devnull, devnull] }))
        .toThrow(expect.objectContaining({ code: 'ENOEXEC', syscall: 'execveat' }));
    } finally {
      closeSync(notElf);
    }
  });

  it('reports the failing step with its errno and exits 1; traces the steps before it', () => {
    const target = join(tmp, 'mnt-bad');
    mkdirSync(target);
    const ops: Op[] = [
      { op: 'unshare', flags: CLONE_NEWNS },
      mount('', '/', '', MS_REC | MS_SLAVE, '', 0),
      mount('none', target, 'no-such-fstype', 0, '', 0),
      { op: 'setsid' },
    ];
    const s = start(ops, [devnull, devnull, devnull], 3, 1 << PlanFlag.trace);
    pidfds.push(s.pidfd);
    try {
      const t0 = recv(s.chan), t1 = recv(s.chan), err = recv(s.chan);
      expect(t0).toMatchObject({ type: MsgType.trace, step: 0 });
      expect(t1).toMatchObject({ type: MsgType.trace, step: 1 });
      expect(t1!.ns! >= t0!.ns!).toBe(true);
      expect(err).toMatchObject({ type: MsgType.error, step: 2, errno: ENODEV, detail: `mount ${target}` });
      expect(recv(s.chan)).toBeNull();
      expect(native.waitPidfd(s.pidfd, false)).toEqual({ code: 1 });
    } finally {
      closeSync(s.chan);
    }
  });

  it('rejects a malformed plan at step 0 with EINVAL before running anything', () => {
    const [chan, child] = native.socketpair();
    const sealed = native.sealedExecFd(INIT);
    const { pidfd } = native.spawn({ execFd: sealed, argv: ['tsrun-init', '3'], fds: [devnull, devnull, devnull, child] });
    pidfds.push(pidfd);
    closeSync(child);
    closeSync(sealed);
    const good = encodePlan([{ op: 'unshare', flags: CLONE_NEWNS }, { op: 'sethostname', name: 'x' }]);
    // Framed by the TS encoder and written raw: both ends agree on the frame layout.
    writeSync(chan, encodeFrame(MsgType.plan, good.subarray(0, good.length - 3))); // truncated last op
    expect(recv(chan)).toMatchObject({ type: MsgType.error, step: 0, errno: EINVAL, detail: 'bad-plan' });
    expect(native.waitPidfd(pidfd, false)).toEqual({ code: 1 });
    closeSync(chan);
  });

  it('keeps mounts and mkdirs inside the root when rootfs symlinks point at host paths', () => {
    const rootfs = makeRootfs(join(tmp, 'escape'));
    const hostX = join(tmp, 'host-x');
    mkdirSync(hostX);
    symlinkSync(hostX, join(rootfs, 'evil')); // absolute: must resolve to <rootfs><hostX>
    symlinkSync('../../../../../../../../tmp', join(rootfs, 'evil2')); // ".." must stop at the root
    const uniq = `tsrun-escape-${process.pid}-${Date.now()}`;
    const ops: Op[] = [
      { op: 'unshare', flags: CLONE_NEWNS },
      mount('', '/', '', MS_REC | MS_SLAVE, '', 0),
      mount(rootfs, rootfs, '', MS_BIND | MS_REC, '', 0),
      { op: 'open_root', path: rootfs },
      mount('tmpfs', '/evil', 'tmpfs', 0, 'size=1m', 1, MkdirKind.dir),
      { op: 'mkdir', path: `/evil2/${uniq}/sub`, mode: 0o700 },
      { op: 'mknod', path: '/evil/dev-null', mode: S_IFCHR | 0o666, dev: makedev(1, 3), uid: 0, gid: 0 },
      { op: 'sync', kind: SyncKind.ready },
    ];
    const s = start(ops, [devnull, devnull, devnull], 3);
    pidfds.push(s.pidfd);
    try {
      expect(recv(s.chan)).toMatchObject({ type: MsgType.sync, step: 7 });
      const mounts = readFileSync(`/proc/${s.pid}/mountinfo`, 'utf8').split('\n').map((l) => l.split(' ')[4]);
      expect(mounts).toContain(join(rootfs, hostX));
      expect(mounts).not.toContain(hostX);
      expect(readdirSync(hostX)).toEqual([]);
      expect(existsSync(join(rootfs, 'tmp', uniq, 'sub'))).toBe(true);
      expect(existsSync(join('/tmp', uniq))).toBe(false);
      native.sendMsg(s.chan, MsgType.abort);
      expect(native.waitPidfd(s.pidfd, false)).toEqual({ code: 1 });
    } finally {
      closeSync(s.chan);
    }
  });

  it('builds a container: namespaces, pid 1, mounts, devices, hostname, masks, user, caps, hook, fifo, exec', async () => {
    const base = join(tmp, 'full');
    const rootfs = makeRootfs(base);
    const shared = join(base, 'shared');
    mkdirSync(shared);
    writeFileSync(join(base, 'hostfile'), 'FROM-HOST');
    writeFileSync(join(base, 'preserved'), 'PRESERVED');
    const fifo = join(base, 'exec.fifo');
    native.mkfifo(fifo, 0o622);
    chmodSync(fifo, 0o622); // mkfifo honours the umask; the container user must be able to open it
    const fifoFd = native.open(fifo, O_PATH);
    const out = openSync(join(base, 'out.txt'), 'w');
    const preserved = openSync(join(base, 'preserved'), 'r');
    const [stdinHost, stdinChild] = native.socketpair();

    const script = [
      'echo "pid=$$"',
      'echo "host=$(hostname)"',
      'echo "ids=$(id -u) $(id -g) [$(id -G)]"',
      'echo "secret=[$(cat /etc/secret)] secretdir=[$(ls -A /secretdir)]"',
      'echo "hostfile=[$(cat /etc/hostfile)] preserved=[$(cat <&3)]"',
      'echo "env=[$FOO][$HOME] cwd=$(pwd) umask=$(umask)"',
      'echo "null=$(ls -l /dev/null)"',
      'touch /mnt/shared/x 2>/dev/null && echo shared=rw || echo shared=ro',
      'echo "oom=$(cat /proc/self/oom_score_adj)"',
      'grep -E "^(CapEff|CapPrm|CapBnd|CapAmb|NoNewPrivs):" /proc/self/status',
      'echo ---mountinfo',
      'cat /proc/self/mountinfo',
      'echo ---end',
      'read line || true', // hold still until the test has looked at our fds
    ].join('\n');
    const state = JSON.stringify({ ociVersion: '1.2.0', id: 'native-test', status: 'created', pid: 0, bundle: base });
    const nbs = 1 << CAP_NET_BIND_SERVICE;

    const chr = (path: string, maj: number, min: number): Op => ({ op: 'mknod', path, mode: S_IFCHR | 0o666, dev: makedev(maj, min), uid: 0, gid: 0 });
    const ops: Op[] = [
      { op: 'unshare', flags: CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWPID | CLONE_NEWNET },
      { op: 'fork' },
      mount('', '/', '', MS_REC | MS_SLAVE, '', 0),
      mount(rootfs, rootfs, '', MS_BIND | MS_REC, '', 0),
      { op: 'open_root', path: rootfs },
      mount('proc', '/proc', 'proc', MS_NOSUID | MS_NODEV | MS_NOEXEC, '', 1, MkdirKind.dir, 0o555),
      mount('tmpfs', '/dev', 'tmpfs', MS_NOSUID | MS_STRICTATIME, 'mode=755,size=65536k', 1, MkdirKind.dir),
      chr('/dev/null', 1, 3), chr('/dev/zero', 1, 5), chr('/dev/full', 1, 7),
      chr('/dev/random', 1, 8), chr('/dev/urandom', 1, 9), chr('/dev/tty', 5, 0),
      mount('devpts', '/dev/pts', 'devpts', MS_NOSUID | MS_NOEXEC, 'newinstance,ptmxmode=0666,mode=0620', 1, MkdirKind.dir),
      { op: 'symlink', target: '/proc/self/fd', path: '/dev/fd' },
      mount(shared, '/mnt/shared', '', MS_BIND | MS_REC, '', 1, MkdirKind.dir),
      { op: 'mount_setattr', target: '/mnt/shared', attrSet: MOUNT_ATTR_RDONLY, attrClr: 0, propagation: 0, recursive: 1 },
      mount(join(base, 'hostfile'), '/etc/hostfile', '', MS_BIND, '', 1, MkdirKind.file, 0o644),
      { op: 'sethostname', name: 'tsrun-box' },
      { op: 'pivot_root' },
      { op: 'mask_path', path: '/etc/secret' },
      { op: 'mask_path', path: '/secretdir' },
      { op: 'mask_path', path: '/does/not/exist' },
      { op: 'readonly_path', path: '/proc/sys' },
      { op: 'write_file', path: '/proc/self/oom_score_adj', data: '123' },
      { op: 'setrlimit', resource: 7 /* NOFILE */, soft: 512, hard: 1024 },
      { op: 'umask', mask: 0o027 },
      { op: 'caps_bounding', keep: nbs | (1 << CAP_CHOWN) },
      { op: 'sync', kind: SyncKind.ready },
      { op: 'keep_caps', on: 1 },
      { op: 'set_user', uid: 1000, gid: 1000, groups: [1001, 1002], setGroups: 1 },
      { op: 'caps_set', effective: nbs, permitted: nbs, inheritable: nbs, ambient: nbs },
      { op: 'no_new_privs' },
      { op: 'chdir', path: '/tmp', attempt: 0 },
      { op: 'exec_lookup', file: 'sh', pathEnv: '/usr/bin:/bin' },
      { op: 'close_fds', from: 4 },
      { op: 'close_channel' },
      { op: 'wait_fifo', fd: 5, keep: 0 },
      { op: 'run_hook', kind: HookKind.startContainer, path: '/bin/sh', args: ['sh', '-c', 'cat > /tmp/hook-state'], env: ['PATH=/bin'], timeout: 10 },
      { op: 'exec', argv: ['sh', '-c', script], envp: ['PATH=/bin', 'HOME=/root', 'FOO=bar'] },
    ];
    const readyStep = ops.findIndex((o) => o.op === 'sync');

    const s = start(ops, [stdinChild, out, out, preserved, -1, fifoFd], 4);
    pidfds.push(s.pidfd);
    closeSync(stdinChild);
    closeSync(out);
    closeSync(preserved);
    closeSync(fifoFd);
    let container = -1;
    try {
      const pidMsg = recv(s.chan);
      expect(pidMsg).toMatchObject({ type: MsgType.pid });
      const pid = pidMsg!.pid!;
      container = native.pidfdOpen(pid);
      pidfds.push(container);
      expect(native.waitPidfd(s.pidfd, false)).toEqual({ code: 0 }); // the fork parent is done

      expect(recv(s.chan)).toMatchObject({ type: MsgType.sync, kind: SyncKind.ready, step: readyStep });
      native.sendMsg(s.chan, MsgType.ack, new TextEncoder().encode(state));
      expect(recv(s.chan)).toBeNull(); // close_channel: setup is complete

      // Init now waits on the fifo: it runs from the memfd and is small.
      // wait_for_partner: the kernel's fifo open; kernels without symbols show "0".
      await waitFor('init to block on the fifo', () => {
        const wchan = readFileSync(`/proc/${pid}/wchan`, 'utf8');
        return (wchan === 'wait_for_partner' || wchan === '0') && procStatus(pid, 'State').startsWith('S');
      });
      expect(readlinkSync(`/proc/${pid}/exe`)).toMatch(/^\/memfd:tsrun-init/);
      const rssKb = parseInt(procStatus(pid, 'VmRSS'), 10);
      console.log(`waiting init: exe=${readlinkSync(`/proc/${pid}/exe`)} VmRSS=${rssKb} kB`);
      expect(rssKb).toBeLessThan(2048);
      expect(existsSync(join(base, 'out.txt')) && readFileSync(join(base, 'out.txt'), 'utf8')).toBe('');

      // `start`: open the fifo for reading; init writes "0" and goes on.
      const rd = native.open(fifo, O_RDONLY | O_NONBLOCK);
      expect(native.poll([rd], POLLIN, 10000)[0] & POLLIN).toBe(POLLIN);
      const buf = Buffer.alloc(4);
      expect(buf.subarray(0, readSync(rd, buf)).toString()).toBe('0');
      closeSync(rd);

      const text = await waitFor('container output', () => {
        const t = readFileSync(join(base, 'out.txt'), 'utf8');
        return t.includes('---end') && t;
      });
      // The container process holds exactly stdio and the preserved fd.
      expect(readdirSync(`/proc/${pid}/fd`).map(Number).sort()).toEqual([0, 1, 2, 3]);
      expect(readlinkSync(`/proc/${pid}/exe`)).toBe('/bin/busybox'); // seen from its own root
      closeSync(stdinHost); // `read line` sees EOF
      expect(native.waitPidfd(container, false)).toEqual({ code: 0 });

      const [head, mountinfo] = text.split('---mountinfo\n');
      if (process.env.TSRUN_TEST_VERBOSE) console.log(text);
      expect(head).toContain('pid=1\n');
      expect(head).toContain('host=tsrun-box\n');
      expect(head).toContain('ids=1000 1000 [1000 1001 1002]\n');
      expect(head).toContain('secret=[] secretdir=[]\n');
      expect(head).toContain('hostfile=[FROM-HOST] preserved=[PRESERVED]\n');
      expect(head).toContain('env=[bar][/root] cwd=/tmp umask=0027\n');
      expect(head).toMatch(/null=crw-rw-rw- +1 0 +0 +1, +3 /);
      expect(head).toContain('shared=ro\n');
      expect(head).toContain('oom=123\n');
      expect(head).toContain(`CapEff:\t${nbs.toString(16).padStart(16, '0')}`);
      expect(head).toContain(`CapAmb:\t${nbs.toString(16).padStart(16, '0')}`);
      expect(head).toContain(`CapBnd:\t${(nbs | 1).toString(16).padStart(16, '0')}`);
      expect(head).toContain('NoNewPrivs:\t1');
      const mp = (line: string) => ({ point: line.split(' ')[4], opts: line.split(' ')[5], fs: line.split(' - ')[1] ?? '' });
      const mounts = mountinfo.split('---end')[0].split('\n').filter(Boolean).map(mp);
      expect(mounts[0].point).toBe('/'); // the old root is gone: only the rootfs and its submounts
      expect(mounts.find((m) => m.point === '/proc')?.fs).toMatch(/^proc /);
      expect(mounts.find((m) => m.point === '/dev')?.fs).toMatch(/^tmpfs /);
      expect(mounts.find((m) => m.point === '/dev/pts')?.fs).toMatch(/^devpts /);
      expect(mounts.find((m) => m.point === '/etc/secret')).toBeTruthy();
      expect(mounts.find((m) => m.point === '/secretdir')?.opts).toMatch(/^ro\b/);
      expect(mounts.find((m) => m.point === '/proc/sys')?.opts).toMatch(/^ro,nosuid,nodev,noexec/);
      expect(mounts.find((m) => m.point === '/mnt/shared')?.opts).toMatch(/^ro\b/);
      expect(mounts.some((m) => m.point.startsWith(base))).toBe(false);

      // The startContainer hook got the state JSON of the `ready` ack on stdin.
      expect(readFileSync(join(rootfs, 'tmp/hook-state'), 'utf8')).toBe(state);
    } finally {
      closeSync(s.chan);
      try { closeSync(stdinHost); } catch { /* closed above */ }
    }
  }, 30000);
});

describe.skipIf(!!skipReason)('tsrun-init hooks, lookup and console', () => {
  let tmp = '';
  beforeAll(() => { tmp = mkdtempSync(join(tmpdir(), 'tsrun-native2-')); });
  afterAll(() => { if (tmp) rmSync(tmp, { recursive: true, force: true }); });

  const hook = (args: string[], timeout = 0): Op =>
    ({ op: 'run_hook', kind: HookKind.createContainer, path: BUSYBOX, args, env: [], timeout });

  it('runs hooks: feeds a large state to one that never reads it, reports exit status and timeouts', () => {
    const big = new TextEncoder().encode(JSON.stringify({ pad: 'x'.repeat(512 * 1024) }));
    const okThenFail = [{ op: 'sync', kind: SyncKind.hooks }, hook(['true']), hook(['sh', '-c', 'exit 3'])] as Op[];
    expect(runToError(okThenFail, big)).toMatchObject({ step: 2, errno: 0, detail: 'exit 3' });
    expect(runToError([hook(['sh', '-c', 'kill -TERM $$'])])).toMatchObject({ step: 0, detail: 'signal 15' });
    const t0 = Date.now();
    expect(runToError([hook(['sleep', '30'], 1)])).toMatchObject({ step: 0, errno: ETIMEDOUT, detail: 'timeout' });
    expect(Date.now() - t0).toBeLessThan(5000);
  }, 20000);

  it('exec_lookup reports a command missing from PATH', () => {
    expect(runToError([{ op: 'exec_lookup', file: 'no-such-cmd', pathEnv: '/bin:/usr/bin' }]))
      .toMatchObject({ step: 0, errno: ENOENT, detail: 'not-found-in-path' });
    expect(runToError([{ op: 'exec_lookup', file: '/no/such/file', pathEnv: '' }]))
      .toMatchObject({ step: 0, errno: ENOENT, detail: 'stat' });
  });

  it('console: sends the pty master over the console socket and makes the peer the controlling tty', async () => {
    const rootfs = makeRootfs(tmp);
    const sockPath = join(tmp, 'console.sock');
    // The receiving end of --console-socket: Node cannot receive SCM_RIGHTS, python can.
    const receiver = spawnProcess('python3', ['-c', [
      'import os, socket, sys',
      's = socket.socket(socket.AF_UNIX); s.bind(sys.argv[1]); s.listen(1); print("ready", flush=True)',
      'c, _ = s.accept(); msg, fds, _, _ = socket.recv_fds(c, 64, 1); out = b""',
      'while True:',
      '    try: d = os.read(fds[0], 4096)',
      '    except OSError: break',
      '    if not d: break',
      '    out += d',
      'print(msg.decode(), repr(out.decode()), flush=True)',
    ].join('\n'), sockPath], { stdio: ['ignore', 'pipe', 'inherit'] });
    let stdout = '';
    receiver.stdout.on('data', (d) => { stdout += d; });
    const exited = new Promise((r) => receiver.on('exit', r));
    await waitFor('console receiver', () => stdout.includes('ready'));

    const sock = native.connectUnix(sockPath);
    const ops: Op[] = [
      { op: 'unshare', flags: CLONE_NEWNS | CLONE_NEWPID },
      { op: 'fork' },
      mount('', '/', '', MS_REC | MS_SLAVE, '', 0),
      mount(rootfs, rootfs, '', MS_BIND | MS_REC, '', 0),
      { op: 'open_root', path: rootfs },
      mount('proc', '/proc', 'proc', 0, '', 1, MkdirKind.dir, 0o555),
      mount('tmpfs', '/dev', 'tmpfs', MS_NOSUID, 'mode=755', 1, MkdirKind.dir),
      { op: 'mknod', path: '/dev/null', mode: S_IFCHR | 0o666, dev: makedev(1, 3), uid: 0, gid: 0 },
      mount('devpts', '/dev/pts', 'devpts', MS_NOSUID | MS_NOEXEC, 'newinstance,ptmxmode=0666,mode=0620', 1, MkdirKind.dir),
      { op: 'pivot_root' },
      { op: 'setsid' },
      { op: 'console', socketFd: 4, rows: 33, cols: 101, bindConsole: 1 },
      { op: 'exec_lookup', file: 'sh', pathEnv: '/bin' },
      { op: 'close_fds', from: 3 },
      { op: 'close_channel' },
      { op: 'exec', argv: ['sh', '-c', 'echo "tty=$(tty) size=$(stty size)"; grep -c devpts /proc/self/mountinfo'], envp: ['PATH=/bin'] },
    ];
    const dn = devnullFd();
    const s = start(ops, [dn, dn, dn, -1, sock], 3);
    closeSync(sock);
    try {
      const pidMsg = recv(s.chan);
      expect(pidMsg).toMatchObject({ type: MsgType.pid });
      const container = native.pidfdOpen(pidMsg!.pid!);
      expect(native.waitPidfd(s.pidfd, false)).toEqual({ code: 0 });
      expect(recv(s.chan)).toBeNull();
      expect(native.waitPidfd(container, false)).toEqual({ code: 0 });
      closeSync(container);
    } finally {
      closeSync(s.chan);
      closeSync(s.pidfd);
    }
    await exited;
    expect(stdout).toContain("/dev/ptmx 'tty=/dev/pts/0 size=33 101\\r\\n");
    // /dev/console is the peer bound over the file init created: a second devpts-backed mount.
    expect(stdout).toMatch(/size=33 101\\r\\n2\\r\\n'/);
  }, 20000);
});

describe.skipIf(!!skipReason)('tsrun-init without a pid namespace', () => {
  let tmp = '';
  beforeAll(() => { tmp = mkdtempSync(join(tmpdir(), 'tsrun-native3-')); });
  afterAll(() => { if (tmp) rmSync(tmp, { recursive: true, force: true }); });

  it.skipIf(process.arch !== 'x64')('move_root (--no-pivot), report_pid and a seccomp filter', async () => {
    const rootfs = makeRootfs(tmp);
    // cBPF: mkdir(83) and mkdirat(258) fail with EPERM, everything else is allowed (x86_64 numbers).
    const insn = (code: number, jt: number, jf: number, k: number) => {
      const b = Buffer.alloc(8);
      b.writeUInt16LE(code, 0); b.writeUInt8(jt, 2); b.writeUInt8(jf, 3); b.writeUInt32LE(k >>> 0, 4);
      return b;
    };
    const bpf = Buffer.concat([
      insn(0x20, 0, 0, 0),          // ld [nr]
      insn(0x15, 1, 0, 83),         // jeq mkdir -> deny
      insn(0x15, 0, 1, 258),        // jeq mkdirat -> deny, else allow
      insn(0x06, 0, 0, 0x00050001), // ret ERRNO(EPERM)
      insn(0x06, 0, 0, 0x7fff0000), // ret ALLOW
    ]);
    // insn 1 jumps over insn 2 to the deny; insn 2 falls through to deny or skips to allow.
    const out = openSync(join(tmp, 'out.txt'), 'w');
    const ops: Op[] = [
      { op: 'unshare', flags: CLONE_NEWNS },
      mount('', '/', '', MS_REC | MS_SLAVE, '', 0),
      mount(rootfs, rootfs, '', MS_BIND | MS_REC, '', 0),
      { op: 'open_root', path: rootfs },
      { op: 'move_root' },
      { op: 'report_pid' },
      { op: 'exec_lookup', file: '/bin/sh', pathEnv: '' },
      { op: 'no_new_privs' },
      { op: 'seccomp', bpf, flags: 0 },
      { op: 'close_fds', from: 3 },
      { op: 'close_channel' },
      { op: 'exec', argv: ['sh', '-c', 'echo "root=$(ls /)"; busybox mkdir /tmp/x 2>/dev/null; echo "mkdir=$?"'], envp: [] },
    ];
    const dn = devnullFd();
    const s = start(ops, [dn, out, out], 3);
    closeSync(out);
    try {
      expect(recv(s.chan)).toMatchObject({ type: MsgType.pid, pid: s.pid });
      expect(recv(s.chan)).toBeNull();
      expect(native.waitPidfd(s.pidfd, false)).toEqual({ code: 0 });
    } finally {
      closeSync(s.chan);
      closeSync(s.pidfd);
    }
    const text = readFileSync(join(tmp, 'out.txt'), 'utf8');
    expect(text).toContain('root=bin\netc\nsecretdir\ntmp\n');
    expect(text).toContain('mkdir=1\n');
    expect(existsSync(join(rootfs, 'tmp/x'))).toBe(false);
  });
});
