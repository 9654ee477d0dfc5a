/* The container's own session keyring (runc does the same unless --no-new-keyring): without it the
 * container would share the caller's session keyring and could read its keys. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>
#include "init.h"

#define KEYCTL_JOIN_SESSION_KEYRING 1
#define KEYCTL_SETPERM 5
#define KEYCTL_DESCRIBE 6

HANDLER(join_keyring) {
  const struct op_join_keyring *k = &o->u.join_keyring;
  long id = syscall(SYS_keyctl, KEYCTL_JOIN_SESSION_KEYRING, k->name.len ? k->name.s : NULL, 0, 0, 0);
  if (id < 0) {
    /* No keys in this kernel, or keyctl filtered (e.g. by a seccomp profile around us): go on. */
    if (errno == ENOSYS || errno == EPERM || errno == EACCES) return 0;
    return fail_errno(c, "keyctl", "join-session-keyring");
  }
  /* exec joins the container's existing keyring as it is (perm_set 0): only its creator may change it. */
  if (!k->perm_set) return 0;
  /* The description is "type;uid;gid;perm;name" with perm in hex. */
  char desc[256];
  long n = syscall(SYS_keyctl, KEYCTL_DESCRIBE, id, desc, sizeof desc - 1, 0);
  if (n < 0) return fail_errno(c, "keyctl", "describe");
  desc[n < (long)sizeof desc ? n : (long)sizeof desc - 1] = 0;
  char *p = desc;
  for (int i = 0; i < 3 && p; i++) {
    p = strchr(p, ';');
    if (p) p++;
  }
  if (!p) return fail(c, EPROTO, "keyctl", "describe");
  unsigned long perm = strtoul(p, NULL, 16) | (unsigned long)k->perm_set;
  if (syscall(SYS_keyctl, KEYCTL_SETPERM, id, perm, 0, 0) < 0) return fail_errno(c, "keyctl", "setperm");
  return 0;
}
