import { describe, expect, it } from 'vitest';
import { defaultSpec } from '../../src/config/default-spec.js';
import type { Spec } from '../../src/config/gen/config.js';
import { launchProblems, semanticProblems } from '../../src/config/semantic.js';

function first(edit: (s: Spec) => void) {
  const s = defaultSpec();
  edit(s);
  return semanticProblems(s)[0];
}

describe('the spec\'s MUST checks beyond the schema', () => {
  it('accepts the default config', () => expect(semanticProblems(defaultSpec())).toEqual([]));
  it('accepts namespaced sysctls', () => {
    const s = defaultSpec();
    s.linux!.sysctl = { 'net.ipv4.ip_unprivileged_port_start': '0', 'kernel.shmmax': '1', 'fs.mqueue.msg_max': '10' };
    expect(semanticProblems(s)).toEqual([]);
  });

  const cases: [string, (s: Spec) => void, string, RegExp][] = [
    ['ociVersion not SemVer', (s) => (s.ociVersion = '1.0'), 'ociVersion', /SemVer/],
    ['ociVersion 2.x', (s) => (s.ociVersion = '2.0.0'), 'ociVersion', /not supported/],
    ['duplicate namespace type', (s) => s.linux!.namespaces!.push({ type: 'pid' }), 'linux.namespaces[6].type', /"pid" is given twice \(first at linux.namespaces\[0\].type\)/],
    ['duplicate rlimit type', (s) => s.process!.rlimits!.push({ type: 'RLIMIT_NOFILE', soft: 1, hard: 1 }), 'process.rlimits[1].type', /given twice/],
    ['rlimit soft above hard', (s) => (s.process!.rlimits = [{ type: 'RLIMIT_NOFILE', soft: 10, hard: 5 }]), 'process.rlimits[0]', /above the hard limit/],
    ['relative cwd', (s) => (s.process!.cwd = 'home'), 'process.cwd', /absolute/],
    ['env without =', (s) => s.process!.env!.push('JUSTNAME'), 'process.env[2]', /KEY=value/],
    ['relative hook path', (s) => (s.hooks = { prestart: [{ path: 'hook.sh' }] }), 'hooks.prestart[0].path', /absolute/],
    ['uid mappings without user namespace', (s) => (s.linux!.uidMappings = [{ containerID: 0, hostID: 1000, size: 1 }]), 'linux.uidMappings', /need a user namespace/],
    ['user namespace without mappings', (s) => s.linux!.namespaces!.push({ type: 'user' }), 'linux.uidMappings', /needs both/],
    ['timeOffsets without time namespace', (s) => (s.linux!.timeOffsets = { monotonic: { secs: 1, nanosecs: 0 } }), 'linux.timeOffsets', /time namespace/],
    ['hostname without uts namespace', (s) => (s.linux!.namespaces = s.linux!.namespaces!.filter((n) => n.type !== 'uts')), 'hostname', /UTS namespace/],
    ['mount uidMappings without gidMappings', (s) => s.mounts!.push({ destination: '/x', source: '/y', options: ['bind'], uidMappings: [{ containerID: 0, hostID: 1, size: 1 }] }), 'mounts[7]', /together/],
    ['relative masked path', (s) => s.linux!.maskedPaths!.push('proc/x'), 'linux.maskedPaths[10]', /absolute/],
    ['duplicate device path', (s) => (s.linux!.devices = [{ path: '/dev/a', type: 'c', major: 1, minor: 3 }, { path: '/dev/a', type: 'c', major: 1, minor: 5 }]), 'linux.devices[1].path', /twice/],
    ['errnoRet on an action without errno', (s) => (s.linux!.seccomp = { defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['mkdir'], action: 'SCMP_ACT_KILL', errnoRet: 1 }] }), 'linux.seccomp.syscalls[0].errnoRet', /only valid with SCMP_ACT_ERRNO/],
    ['defaultErrnoRet with ALLOW', (s) => (s.linux!.seccomp = { defaultAction: 'SCMP_ACT_ALLOW', defaultErrnoRet: 1 }), 'linux.seccomp.defaultErrnoRet', /only valid/],
    ['a net sysctl without a network namespace', (s) => { s.linux!.namespaces = s.linux!.namespaces!.filter((n) => n.type !== 'network'); s.linux!.sysctl = { 'net.ipv4.ip_forward': '1' }; }, 'linux.sysctl["net.ipv4.ip_forward"]', /needs a network namespace/],
    ['a host-wide sysctl', (s) => (s.linux!.sysctl = { 'vm.swappiness': '10' }), 'linux.sysctl["vm.swappiness"]', /not namespaced/],
    ['an IPC sysctl without an IPC namespace', (s) => { s.linux!.namespaces = s.linux!.namespaces!.filter((n) => n.type !== 'ipc'); s.linux!.sysctl = { 'kernel.shmmax': '1' }; }, 'linux.sysctl["kernel.shmmax"]', /IPC/],
    ['notify without listenerPath', (s) => (s.linux!.seccomp = { defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['mkdir'], action: 'SCMP_ACT_NOTIFY' }] }), 'linux.seccomp.listenerPath', /required/],
  ];
  it.each(cases)('%s', (_name, edit, path, text) => {
    const p = first(edit);
    expect(p?.path).toBe(path);
    expect(p?.text).toMatch(text);
  });

  it('refuses a terminal with nowhere to go when detaching', () => {
    const s = defaultSpec();
    expect(launchProblems(s, { detach: true })[0].text).toMatch(/cannot allocate tty if tsrun will detach without setting console socket/);
    expect(launchProblems(s, { detach: true, consoleSocket: '/s' })).toEqual([]);
    expect(launchProblems(s, { detach: false })).toEqual([]);
    s.process!.terminal = false;
    expect(launchProblems(s, { detach: true, consoleSocket: '/s' })[0].text).toMatch(/cannot use console socket/);
    delete s.process;
    expect(launchProblems(s, { detach: true })[0].path).toBe('process');
  });
});
