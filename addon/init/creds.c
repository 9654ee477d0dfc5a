/* Credentials, capabilities and seccomp. Raw syscalls on purpose: init is single-threaded, so the
 * per-thread kernel semantics are exactly what we want and libc's all-threads broadcast is moot. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <unistd.h>
#include "init.h"
#include "sys.h"

HANDLER(umask) {
  (void)c;
  umask((mode_t)o->u.umask.mask);
  return 0;
}

HANDLER(keep_caps) {
  if (prctl(PR_SET_KEEPCAPS, (unsigned long)o->u.keep_caps.on, 0, 0, 0) < 0) return fail_errno(c, "prctl", "PR_SET_KEEPCAPS");
  return 0;
}

HANDLER(no_new_privs) {
  (void)o;
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) return fail_errno(c, "prctl", "PR_SET_NO_NEW_PRIVS");
  return 0;
}

/* CAP_LAST_CAP of the running kernel; probing PR_CAPBSET_READ covers a missing /proc. */
static int last_cap(void) {
  char buf[16] = { 0 };
  int fd = open("/proc/sys/kernel/cap_last_cap", O_RDONLY | O_CLOEXEC);
  if (fd >= 0) {
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n > 0) return atoi(buf);
  }
  int cap = 0;
  while (cap < 64 && prctl(PR_CAPBSET_READ, cap + 1, 0, 0, 0) >= 0) cap++;
  return cap;
}

HANDLER(caps_bounding) {
  int last = last_cap();
  for (int cap = 0; cap <= last && cap < 64; cap++) {
    if (o->u.caps_bounding.keep & (1ull << cap)) continue;
    if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0) {
      char n[12];
      snprintf(n, sizeof n, "%d", cap);
      return fail_errno(c, "PR_CAPBSET_DROP", n);
    }
  }
  return 0;
}

/* setgroups is denied (EPERM) in a user namespace whose /proc/self/setgroups says "deny". */
static int setgroups_denied(void) {
  char buf[8] = { 0 };
  int fd = open("/proc/self/setgroups", O_RDONLY | O_CLOEXEC);
  if (fd < 0) return 0;
  ssize_t n = read(fd, buf, sizeof buf - 1);
  close(fd);
  return n > 0 && strncmp(buf, "deny", 4) == 0;
}

HANDLER(set_user) {
  const struct op_set_user *u = &o->u.set_user;
  char id[24];
  if (u->set_groups) {
    gid_t *g = calloc(u->groups.n + 1, sizeof *g);
    if (!g) return fail_errno(c, "malloc", NULL);
    for (uint32_t i = 0; i < u->groups.n; i++) g[i] = (gid_t)u->groups.v[i];
    long r = syscall(SYS_setgroups, (long)u->groups.n, g);
    int e = errno;
    free(g);
    if (r < 0 && !(e == EPERM && setgroups_denied())) return fail(c, e, "setgroups", NULL);
  }
  snprintf(id, sizeof id, "%llu", (unsigned long long)u->gid);
  if (syscall(SYS_setresgid, (gid_t)u->gid, (gid_t)u->gid, (gid_t)u->gid) < 0) return fail_errno(c, "setresgid", id);
  snprintf(id, sizeof id, "%llu", (unsigned long long)u->uid);
  if (syscall(SYS_setresuid, (uid_t)u->uid, (uid_t)u->uid, (uid_t)u->uid) < 0) return fail_errno(c, "setresuid", id);
  return 0;
}

HANDLER(caps_set) {
  const struct op_caps_set *k = &o->u.caps_set;
  struct tsr_cap_header h = { TSR_CAP_V3, 0 };
  struct tsr_cap_data d[2] = {
    { (uint32_t)k->effective, (uint32_t)k->permitted, (uint32_t)k->inheritable },
    { (uint32_t)(k->effective >> 32), (uint32_t)(k->permitted >> 32), (uint32_t)(k->inheritable >> 32) },
  };
  if (syscall(SYS_capset, &h, d) < 0) return fail_errno(c, "capset", NULL);
  if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0) return fail_errno(c, "PR_CAP_AMBIENT_CLEAR_ALL", NULL);
  for (int cap = 0; cap < 64; cap++) {
    if (!(k->ambient & (1ull << cap))) continue;
    if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, cap, 0, 0) < 0) {
      char n[12];
      snprintf(n, sizeof n, "%d", cap);
      return fail_errno(c, "PR_CAP_AMBIENT_RAISE", n);
    }
  }
  return 0;
}

/* The container's stdio was made outside it (by the runtime's caller): give it to the process's user,
 * as runc's fixStdioPermissions does (uid only; /dev/null and what it cannot change are left alone). */
HANDLER(chown_stdio) {
  uid_t uid = (uid_t)o->u.chown_stdio.uid;
  struct stat null, st;
  if (stat("/dev/null", &null) < 0) return fail_errno(c, "stat", "/dev/null");
  for (int fd = 0; fd < 3; fd++) {
    if (fstat(fd, &st) < 0) {
      if (errno == EBADF) continue;
      return fail_errno(c, "fstat", fd == 0 ? "stdin" : fd == 1 ? "stdout" : "stderr");
    }
    if (st.st_uid == uid || st.st_rdev == null.st_rdev) continue;
    if (fchown(fd, uid, (gid_t)-1) < 0 && errno != EINVAL && errno != EPERM && errno != EROFS)
      return fail_errno(c, "fchown", fd == 0 ? "stdin" : fd == 1 ? "stdout" : "stderr");
  }
  return 0;
}

HANDLER(seccomp) {
  const struct op_seccomp *s = &o->u.seccomp;
  if (s->bpf.len == 0 || s->bpf.len % 8 != 0 || s->bpf.len / 8 > 0xffff) return fail(c, EINVAL, "bpf-length", NULL);
  struct tsr_sock_fprog prog = { (unsigned short)(s->bpf.len / 8), s->bpf.s };
  long r = syscall(SYS_seccomp, TSR_SECCOMP_SET_MODE_FILTER, (unsigned long)s->flags, &prog);
  if (r < 0 && errno == ENOSYS && s->flags == 0)
    r = prctl(PR_SET_SECCOMP, TSR_SECCOMP_MODE_FILTER, &prog, 0, 0);
  if (r < 0) return fail_errno(c, "seccomp", NULL);
  /* A notify listener goes to the runtime, which hands it to the container's seccomp agent. */
  if (r > 0 && (s->flags & TSR_SECCOMP_FLAG_NEW_LISTENER)) {
    int ok = chan_send_fd(c, FD_SECCOMPLISTENER, (int)r);
    close((int)r);
    return ok;
  }
  return 0;
}
