// A container without a mount namespace has its mounts in tsrun's own namespace, all under its root
// filesystem bound on itself. They are removed by detaching that bind, and only that bind: the root
// filesystem may itself be a client's mount (containerd's overlay at <bundle>/rootfs), which must stay.
import { readFileSync } from '../sys/fs.js';
import { sys } from '../sys/index.js';

const MNT_DETACH = 2;

/** The id of the topmost mount at path in this mount namespace (undefined: path is no mount point). */
export function topMountId(path: string, mountinfo = readFileSync('/proc/self/mountinfo', 'utf8')): string | undefined {
  let id: string | undefined;
  for (const line of mountinfo.split('\n')) {
    const f = line.split(' ');
    const point = f[4]?.replace(/\\(\d{3})/g, (_, o) => String.fromCharCode(parseInt(o, 8)));
    if (point === path) id = f[0];
  }
  return id;
}

/** Detaches the bind tsrun made at rootfs (and everything under it), if the top mount there is not `before`. */
export function detachRootfsBind(rootfs: string, before: string | undefined): void {
  const now = topMountId(rootfs);
  if (now === undefined || now === before) return;
  try {
    sys().umount2(rootfs, MNT_DETACH);
  } catch {}
}
