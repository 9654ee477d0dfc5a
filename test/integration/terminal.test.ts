// The console-socket protocol as containerd's shim and conmon use it, and a foreground run's own tty.
import { closeSync, readFileSync, readSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isRoot, skipReason, which } from '../helpers/env.js';
import { Sandbox } from '../helpers/sandbox.js';
import { sys } from '../../src/sys/index.js';

const skip = skipReason(!isRoot ? 'integration tests need root' : !which('busybox') ? 'busybox-static is not installed' : undefined);

let sb: Sandbox;
beforeEach(() => { sb = new Sandbox(); });
afterEach(() => sb.cleanup());

function readUntil(fd: number, re: RegExp, ms = 10_000): string {
  const buf = Buffer.alloc(4096);
  let out = '';
  const t0 = Date.now();
  while (!re.test(out)) {
    if (Date.now() - t0 > ms) throw new Error(`timed out; got ${JSON.stringify(out)}`);
    const [ev] = sys().poll([fd], 1, 100);
    if (!(ev & 1)) continue;
    const n = readSync(fd, buf);
    if (n <= 0) break;
    out += buf.toString('utf8', 0, n);
  }
  return out;
}

describe.skipIf(skip)('terminal', () => {
  it('sends the pty master to --console-socket with payload /dev/ptmx; the container has a working tty', () => {
    const b = sb.bundle('b', ['sh'], (s) => {
      s.process!.terminal = true;
      s.process!.consoleSize = { height: 25, width: 91 };
    });
    const sock = join(sb.dir, 'console.sock');
    const listen = sys().listenUnix(sock);
    try {
      const r = sb.run(['create', '-b', b, '--console-socket', sock, 't1']);
      expect(r.stderr).toBe('');
      const { fd, payload } = sys().recvFd(listen, 5000);
      expect(payload).toBe('/dev/ptmx');
      expect(sb.run(['start', 't1']).code).toBe(0);
      writeSync(fd, 'tty; stty size; [ -t 0 ] && echo is-a-tty; readlink /proc/self/fd/0; exit 0\n');
      const out = readUntil(fd, /\r\nis-a-tty\r\n\/dev\/pts\/0/);
      expect(out).toMatch(/\/dev\/pts\/0/);
      expect(out).toMatch(/25 91/);
      closeSync(fd);
    } finally {
      closeSync(listen);
    }
  });

  it('refuses a terminal with no console socket when detaching, with runc\'s words', () => {
    const b = sb.bundle('b', ['sh'], (s) => (s.process!.terminal = true));
    const r = sb.run(['create', '-b', b, 't2']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/cannot allocate tty if tsrun will detach without setting console socket/);
  });

  it('a foreground run with a terminal proxies it itself', () => {
    const b = sb.bundle('b', ['sh', '-c', 'tty > /tmp/tty; echo done'], (s) => (s.process!.terminal = true));
    const r = sb.run(['run', '-b', b, 't3']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/done/);
    expect(readFileSync(join(b, 'rootfs/tmp/tty'), 'utf8')).toBe('/dev/pts/0\n');
  });
});

describe.skipIf(skip)('pidfd socket', () => {
  it('sends a pidfd of the init to --pidfd-socket (create) and of the process (exec)', () => {
    const b = sb.bundle('b', ['sleep', '100']);
    const sock = join(sb.dir, 'pidfd.sock');
    const listen = sys().listenUnix(sock);
    try {
      expect(sb.run(['create', '-b', b, '--pidfd-socket', sock, 'pf1']).code).toBe(0);
      const { fd, payload } = sys().recvFd(listen, 5000);
      expect(payload).toBe('pidfd');
      // A pidfd: /proc/self/fdinfo names the pid it refers to.
      const pid = Number(/^Pid:\s+(\d+)$/m.exec(readFileSync(`/proc/self/fdinfo/${fd}`, 'utf8'))![1]);
      expect(pid).toBe(JSON.parse(sb.run(['state', 'pf1']).stdout).pid);
      closeSync(fd);
    } finally {
      closeSync(listen);
    }
  });
});
