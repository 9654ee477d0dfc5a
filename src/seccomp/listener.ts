// Hands a seccomp notify listener fd to the container's seccomp agent at linux.seccomp.listenerPath,
// as runtime-spec config-linux.md describes: one connection, one message with the fd (SCM_RIGHTS) and
// the ContainerProcessState JSON.
import type { Spec } from '../config/gen/config.js';
import { fail } from '../errors.js';
import { sys } from '../sys/index.js';

export function sendToListener(spec: Spec, pid: number, state: object, fd: number): void {
  const sc = spec.linux?.seccomp;
  if (!sc?.listenerPath) throw fail('a seccomp notify listener was created but linux.seccomp.listenerPath is not set', { configPath: 'linux.seccomp.listenerPath' });
  const doc = { ociVersion: '1.3.0', fds: ['seccompFd'], pid, metadata: sc.listenerMetadata ?? '', state };
  try {
    sys().sendFdTo(sc.listenerPath, JSON.stringify(doc), fd);
  } catch (e) {
    throw fail(`send the seccomp notify fd to ${sc.listenerPath}`, { configPath: 'linux.seccomp.listenerPath', errno: (e as { errno?: number }).errno, hint: 'the seccomp agent must listen there before the container is created' });
  }
}
