// seccomp in real containers: what the container's processes see when the filter denies, kills,
// filters on arguments, and what a new syscall gets under a default-deny profile.
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { LinuxSeccomp } from '../../src/config/gen/config.js';
import { parseLossless } from '../../src/config/json.js';
import { FIXTURE_CONFIGS, isRoot, skipReason, which } from '../helpers/env.js';
import { Sandbox } from '../helpers/sandbox.js';

const skip = skipReason(!isRoot ? 'integration tests need root' : !which('busybox') ? 'busybox-static is not installed' : undefined);

let sb: Sandbox;
beforeEach(() => { sb = new Sandbox(); });
afterEach(() => sb.cleanup());

const dockerProfile = () => (parseLossless(readFileSync(join(FIXTURE_CONFIGS, 'docker.json'), 'utf8')) as { linux: { seccomp: LinuxSeccomp } }).linux.seccomp;

describe.skipIf(skip)('seccomp', () => {
  it('a rule denying mkdir with EPERM makes mkdir fail with "Operation not permitted", with or without no_new_privs', () => {
    for (const nnp of [true, false]) {
      const b = sb.bundle(`b${nnp}`, ['sh', '-c', 'mkdir /tmp/x 2>&1; echo rc=$?; echo hi > /tmp/file && echo wrote'], (s) => {
        s.process!.noNewPrivileges = nnp;
        s.linux!.seccomp = { defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['mkdir', 'mkdirat'], action: 'SCMP_ACT_ERRNO' }] };
      });
      const r = sb.run(['run', '-b', b, `mk${nnp}`]);
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(/mkdir: can't create directory '\/tmp\/x': Operation not permitted/);
      expect(r.stdout).toMatch(/^rc=1$/m);
      expect(r.stdout).toMatch(/^wrote$/m);
    }
  });

  it('each filter flag `features` lists as supported loads with the filter, which then applies', async () => {
    const { featuresDocument } = await import('../../src/features/features.js');
    const flags = featuresDocument().linux!.seccomp!.supportedFlags ?? [];
    // WAIT_KILLABLE_RECV needs a notify rule: the seccomp notify test below covers it.
    for (const flag of flags.filter((f) => f !== 'SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV')) {
      const b = sb.bundle(flag, ['sh', '-c', 'mkdir /tmp/x 2>&1; echo rc=$?'], (s) => {
        s.linux!.seccomp = { defaultAction: 'SCMP_ACT_ALLOW', flags: [flag as NonNullable<LinuxSeccomp['flags']>[number]], syscalls: [{ names: ['mkdir', 'mkdirat'], action: 'SCMP_ACT_ERRNO' }] };
      });
      const r = sb.run(['run', '-b', b, `fl${flags.indexOf(flag)}`]);
      expect(r.code, `${flag}: ${r.stderr}`).toBe(0);
      expect(r.stdout, flag).toMatch(/Operation not permitted\nrc=1/);
    }
  });

  it('an argument condition blocks only the matching call (exact 64-bit values from config.json)', () => {
    const b = sb.bundle('b', ['sh', '-c', [
      'linux32 true 2>&1; echo l32=$?',
      'linux64 true 2>&1; echo l64=$?',
      'mkdir /tmp/d; chmod 755 /tmp/d; echo c755=$?',
      'chmod 777 /tmp/d 2>&1; echo c777=$?',
      'stat -c %a /tmp/d',
    ].join('; ')], (s) => {
      s.linux!.seccomp = {
        defaultAction: 'SCMP_ACT_ALLOW',
        syscalls: [
          // personality(PER_LINUX32) only; a 2^64-1 value rides along to check the lossless path.
          { names: ['personality'], action: 'SCMP_ACT_ERRNO', args: [{ index: 0, value: 8, op: 'SCMP_CMP_EQ' }] },
          { names: ['personality'], action: 'SCMP_ACT_ERRNO', errnoRet: 22, args: [{ index: 0, value: 123456789, op: 'SCMP_CMP_EQ' }] },
          // Any mode with all of rwxrwxrwx set.
          { names: ['chmod'], action: 'SCMP_ACT_ERRNO', args: [{ index: 1, value: 0o777, valueTwo: 0o777, op: 'SCMP_CMP_MASKED_EQ' }] },
          { names: ['fchmodat'], action: 'SCMP_ACT_ERRNO', args: [{ index: 2, value: 0o777, valueTwo: 0o777, op: 'SCMP_CMP_MASKED_EQ' }] },
        ],
      };
    });
    const cfg = join(b, 'config.json');
    writeFileSync(cfg, readFileSync(cfg, 'utf8').replace('123456789', '18446744073709551615'));
    const r = sb.run(['run', '-b', b, 'args']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/Operation not permitted/);
    expect(r.stdout).toMatch(/^l32=1$/m);
    expect(r.stdout).toMatch(/^l64=0$/m);
    expect(r.stdout).toMatch(/^c755=0$/m);
    expect(r.stdout).toMatch(/^c777=1$/m);
    expect(r.stdout).toMatch(/^755$/m);
  });

  it('SCMP_ACT_KILL kills the process with SIGSYS: run exits 128+31', () => {
    const b = sb.bundle('b', ['mkdir', '/tmp/x'], (s) => {
      s.linux!.seccomp = { defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['mkdir', 'mkdirat'], action: 'SCMP_ACT_KILL' }] };
    });
    const r = sb.run(['run', '-b', b, 'kill']);
    expect(r.code).toBe(159);
  });

  it("Docker's default profile loads, a shell runs under it, and /proc shows one filter", () => {
    const b = sb.bundle('b', ['sh', '-c', 'echo ok; grep ^Seccomp /proc/self/status'], (s) => {
      s.linux!.seccomp = dockerProfile();
    });
    const r = sb.run(['run', '-b', b, 'docker']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^ok$/m);
    expect(r.stdout).toMatch(/^Seccomp:\s+2$/m);
    expect(r.stdout).toMatch(/^Seccomp_filters:\s+1$/m);
    // The second container of the same profile takes the compiled filter from the cache, and works the same.
    const again = sb.run(['--debug', 'run', '-b', b, 'docker2']);
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(/^Seccomp_filters:\s+1$/m);
    expect(again.warnings).toBe('');
    expect(again.stderr).toMatch(/seccomp: the compiled filter came from the cache/);
  });

  it.skipIf(!which('gcc'))('under a default-ERRNO profile a syscall newer than the profile gets ENOSYS, an unlisted older one EPERM', () => {
    const src = join(sb.dir, 'nr.c');
    writeFileSync(src, '#include <errno.h>\n#include <stdio.h>\n#include <stdlib.h>\n#include <unistd.h>\n#include <sys/syscall.h>\n' +
      'int main(int c, char **v) { for (int i = 1; i < c; i++) { long r = syscall(atol(v[i]), 0, 0, 0, 0, 0, 0); printf("%s=%ld/%d\\n", v[i], r, r < 0 ? errno : 0); } return 0; }\n');
    const b = sb.bundle('b', ['/bin/nr', '1000', '435', '246'], (s) => {
      s.linux!.seccomp = dockerProfile();
    });
    execFileSync('gcc', ['-static', '-O2', '-o', join(b, 'rootfs/bin/nr'), src]);
    const r = sb.run(['run', '-b', b, 'enosys']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^1000=-1\/38$/m); // above every syscall the profile names: ENOSYS
    expect(r.stdout).toMatch(/^435=-1\/38$/m); // clone3: the profile's own errnoRet 38
    expect(r.stdout).toMatch(/^246=-1\/1$/m); // kexec_load: not listed, the default EPERM
  });
});

/** A minimal seccomp agent on fd 3 that answers each notification with `respond` and prints its syscall number. */
function compileAgent(dir: string, respond: string): void {
  writeFileSync(join(dir, 'agent.c'), `
#include <errno.h>
#include <linux/seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <unistd.h>
int main(void) {
  struct seccomp_notif_sizes sz;
  if (syscall(SYS_seccomp, SECCOMP_GET_NOTIF_SIZES, 0, &sz) < 0) return 2;
  struct seccomp_notif *req = calloc(1, sz.seccomp_notif);
  struct seccomp_notif_resp *resp = calloc(1, sz.seccomp_notif_resp);
  for (;;) {
    memset(req, 0, sz.seccomp_notif);
    if (ioctl(3, SECCOMP_IOCTL_NOTIF_RECV, req) < 0) return 0;
    memset(resp, 0, sz.seccomp_notif_resp);
    resp->id = req->id;
    ${respond}
    ioctl(3, SECCOMP_IOCTL_NOTIF_SEND, resp);
    printf("answered %d\\n", req->data.nr);
    fflush(stdout);
  }
}`);
  execFileSync('gcc', ['-O1', '-o', join(dir, 'agent'), join(dir, 'agent.c')]);
}

describe.skipIf(!isRoot || !which('busybox') || !which('gcc'))('seccomp notify', () => {
  it('sends the listener fd and the process state to listenerPath; the agent answers the syscall', async () => {
    const { spawn } = await import('node:child_process');
    const { execFileSync } = await import('node:child_process');
    const { closeSync, existsSync, readFileSync, writeFileSync } = await import('node:fs');
    const { sys } = await import('../../src/sys/index.js');
    const { featuresDocument } = await import('../../src/features/features.js');
    const sbx = new Sandbox();
    try {
      // A minimal seccomp agent: answers every notification with EXDEV.
      compileAgent(sbx.dir, 'resp->error = -EXDEV;');
      const sock = join(sbx.dir, 'agent.sock');
      const listen = sys().listenUnix(sock);
      const b = sbx.bundle('b', ['sh', '-c', 'mkdir /tmp/x 2> /tmp/err; echo $? > /tmp/rc'], (s) => {
        // WAIT_KILLABLE_RECV too, when the kernel has it (`features` lists it as supported).
        const flags = featuresDocument().linux!.seccomp!.supportedFlags!.filter((f) => f === 'SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV');
        s.linux!.seccomp = { defaultAction: 'SCMP_ACT_ALLOW', flags: ['SECCOMP_FILTER_FLAG_SPEC_ALLOW', ...(flags as NonNullable<LinuxSeccomp['flags']>)], listenerPath: sock, listenerMetadata: 'meta-1', syscalls: [{ names: ['mkdir', 'mkdirat'], action: 'SCMP_ACT_NOTIFY' }] };
      });
      let agent;
      try {
        const c = sbx.run(['create', '-b', b, 'n1']);
        expect(c.code, c.stderr).toBe(0);
        const { fd, payload } = sys().recvFd(listen, 5000);
        const doc = JSON.parse(payload);
        expect(doc).toMatchObject({ fds: ['seccompFd'], metadata: 'meta-1', state: { id: 'n1', status: 'creating' } });
        expect(doc.pid).toBe(JSON.parse(sbx.run(['state', 'n1']).stdout).pid);
        agent = spawn(join(sbx.dir, 'agent'), [], { stdio: ['ignore', 'pipe', 'inherit', fd] });
        closeSync(fd);
        expect(sbx.run(['start', 'n1']).code).toBe(0);
        for (let i = 0; i < 200 && !existsSync(join(b, 'rootfs/tmp/rc')); i++) await new Promise((r) => setTimeout(r, 20));
        expect(readFileSync(join(b, 'rootfs/tmp/err'), 'utf8')).toMatch(/Invalid cross-device link/);
        expect(existsSync(join(b, 'rootfs/tmp/x'))).toBe(false);
      } finally {
        agent?.kill('SIGKILL');
        closeSync(listen);
      }
    } finally {
      sbx.cleanup();
    }
  });

  it('a NOTIFY rule on write: the agent sees the container\'s writes, never tsrun-init\'s own', async () => {
    const { spawn } = await import('node:child_process');
    const { closeSync, existsSync, readFileSync } = await import('node:fs');
    const { sys } = await import('../../src/sys/index.js');
    const sbx = new Sandbox();
    try {
      compileAgent(sbx.dir, 'resp->flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE;');
      const sock = join(sbx.dir, 'agent.sock');
      const listen = sys().listenUnix(sock);
      const b = sbx.bundle('b', ['sh', '-c', 'echo hello > /tmp/out'], (s) => {
        s.linux!.seccomp = { defaultAction: 'SCMP_ACT_ALLOW', listenerPath: sock, syscalls: [{ names: ['write'], action: 'SCMP_ACT_NOTIFY' }] };
      });
      let agent;
      try {
        expect(sbx.run(['create', '-b', b, 'nw1']).code).toBe(0);
        const { fd } = sys().recvFd(listen, 5000);
        let out = '';
        agent = spawn(join(sbx.dir, 'agent'), [], { stdio: ['ignore', 'pipe', 'inherit', fd] });
        agent.stdout!.on('data', (d) => { out += d; });
        closeSync(fd);
        expect(sbx.run(['start', 'nw1']).code).toBe(0);
        for (let i = 0; i < 200 && !existsSync(join(b, 'rootfs/tmp/out')); i++) await new Promise((r) => setTimeout(r, 20));
        await new Promise((r) => setTimeout(r, 100));
        expect(readFileSync(join(b, 'rootfs/tmp/out'), 'utf8')).toBe('hello\n');
        // The shell's one write (nr 1); the exec fifo write of tsrun-init did not reach the agent.
        expect(out).toBe('answered 1\n');
      } finally {
        agent?.kill('SIGKILL');
        closeSync(listen);
      }
    } finally {
      sbx.cleanup();
    }
  });
});
