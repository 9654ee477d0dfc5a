/* Process-level ops: namespaces, identity, limits, fds and the channel. */
#include <errno.h>
#include <sys/stat.h>
#include <stdint.h>
#include <stdlib.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>
#include "init.h"
#include "sys.h"

HANDLER(set_dumpable) {
  if (prctl(PR_SET_DUMPABLE, (unsigned long)o->u.set_dumpable.on, 0, 0, 0) < 0) return fail_errno(c, "prctl", "PR_SET_DUMPABLE");
  return 0;
}

HANDLER(write_file) {
  const struct op_write_file *w = &o->u.write_file;
  int fd = open(w->path.s, O_WRONLY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) return fail_errno(c, "open", w->path.s);
  /* One write(): proc and sysctl files take the whole value or nothing. */
  ssize_t n = write(fd, w->data.s, w->data.len);
  int e = n < 0 ? errno : EIO;
  close(fd);
  return n == (ssize_t)w->data.len ? 0 : fail(c, e, "write", w->path.s);
}

HANDLER(join_cgroup) {
  int fd = (int)o->u.join_cgroup.fd;
  /* "0" is the writing thread itself; the helper is single-threaded, so it is the whole process. */
  ssize_t n = write(fd, "0", 1);
  int e = errno;
  close(fd);
  return n == 1 ? 0 : fail(c, n < 0 ? e : EIO, "write", "0 to the cgroup tasks file");
}

HANDLER(setrlimit) {
  struct { uint64_t cur, max; } lim = { o->u.setrlimit.soft, o->u.setrlimit.hard };
  if (syscall(SYS_prlimit64, 0, (int)o->u.setrlimit.resource, &lim, NULL) < 0) {
    char n[24];
    snprintf(n, sizeof n, "%llu", (unsigned long long)o->u.setrlimit.resource);
    return fail_errno(c, "prlimit", n);
  }
  return 0;
}

HANDLER(setns) {
  int fd = open(o->u.setns.path.s, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return fail_errno(c, "open", o->u.setns.path.s);
  long r = syscall(SYS_setns, fd, (int)o->u.setns.nstype);
  int e = errno;
  close(fd);
  return r < 0 ? fail(c, e, "setns", o->u.setns.path.s) : 0;
}

HANDLER(unshare) {
  if (syscall(SYS_unshare, (unsigned long)o->u.unshare.flags) < 0) return fail_errno(c, "unshare", NULL);
  return 0;
}

/* A raw clone: CLONE_PARENT makes the runtime (not this helper) the container init's parent, so
 * the runtime can wait for it, and this helper can simply exit. */
/* The child waits on a pipe until the parent has sent its pid: both write to the one channel, and
 * the runtime must know the container's pid before any message of the child (a hook sync) arrives. */
HANDLER(fork) {
  (void)o;
  int gate[2];
  if (pipe2(gate, O_CLOEXEC) < 0) return fail_errno(c, "pipe2", NULL);
  long pid = syscall(SYS_clone, CLONE_PARENT | SIGCHLD, 0, 0, 0, 0);
  if (pid < 0) return fail_errno(c, "clone", NULL);
  if (pid == 0) {
    close(gate[1]);
    char b;
    ssize_t n;
    do n = read(gate[0], &b, 1); while (n < 0 && errno == EINTR);
    close(gate[0]);
    if (n != 1) _exit(1); /* the parent died before reporting the pid */
    return 0;
  }
  close(gate[0]);
  if (send_pid(c, (pid_t)pid) < 0) send_error_and_exit(c);
  ssize_t w;
  do w = write(gate[1], "1", 1); while (w < 0 && errno == EINTR);
  _exit(0);
}

HANDLER(report_pid) {
  (void)o;
  return send_pid(c, getpid());
}

HANDLER(setsid) {
  (void)o;
  if (setsid() < 0) return fail_errno(c, "setsid", NULL);
  return 0;
}

HANDLER(sethostname) {
  if (syscall(SYS_sethostname, o->u.sethostname.name.s, (size_t)o->u.sethostname.name.len) < 0)
    return fail_errno(c, "sethostname", o->u.sethostname.name.s);
  return 0;
}

HANDLER(setdomainname) {
  if (syscall(SYS_setdomainname, o->u.setdomainname.name.s, (size_t)o->u.setdomainname.name.len) < 0)
    return fail_errno(c, "setdomainname", o->u.setdomainname.name.s);
  return 0;
}

HANDLER(open_root) {
  int fd = open(o->u.open_root.path.s, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return fail_errno(c, "open", o->u.open_root.path.s);
  root_reset(c);
  c->root = fd;
  return 0;
}

/* The kernel's getcwd reports a cwd outside our root as "(unreachable)/..."; libc wrappers differ
 * in how they hide that, so ask the syscall directly. */
/* Whether the cwd is under our root without getcwd (a seccomp filter may refuse it): walk ".." from
 * the cwd; inside the root the walk reaches the root, outside it stops at a top that is not ours. */
static int cwd_inside_root(void) {
  struct stat root, cur, up;
  if (stat("/", &root) < 0) return -1;
  int fd = open(".", O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return -1;
  for (int depth = 0; depth < 4096; depth++) {
    if (fstat(fd, &cur) < 0) break;
    if (cur.st_dev == root.st_dev && cur.st_ino == root.st_ino) { close(fd); return 1; }
    int parent = openat(fd, "..", O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (parent < 0) break;
    if (fstat(parent, &up) < 0 || (up.st_dev == cur.st_dev && up.st_ino == cur.st_ino)) { close(parent); break; }
    close(fd);
    fd = parent;
  }
  close(fd);
  return 0;
}

/* chdir, then check the cwd is inside the root (CVE-2024-21626: a cwd through a leaked fd). As runc:
 * attempt 1 runs while still root, so a directory only the runtime may enter works; when that is
 * refused (a directory only the container's user may enter, e.g. a volume chowned to it), attempt 2
 * runs after the user switch. */
HANDLER(chdir) {
  const char *path = o->u.chdir.path.s;
  char buf[4096];
  if (o->u.chdir.attempt == 2 && c->cwd_done) return 0;
  if (chdir(path) < 0) {
    if (o->u.chdir.attempt == 1 && (errno == EACCES || errno == EPERM)) return 0;
    return fail_errno(c, "chdir", path);
  }
  if (o->u.chdir.attempt == 1) c->cwd_done = 1;
  long n = syscall(SYS_getcwd, buf, sizeof buf);
  if (n < 0 && (errno == EPERM || errno == ENOSYS || errno == EACCES)) {
    int in = cwd_inside_root();
    if (in < 0) return fail_errno(c, "check-cwd", path);
    return in ? 0 : fail(c, ENOENT, "outside-root", path);
  }
  if (n < 0) return fail_errno(c, "getcwd", path);
  if (buf[0] != '/') return fail(c, ENOENT, "outside-root", path);
  return 0;
}

/* close_range may be refused (an older kernel, or a seccomp filter already loaded that does not allow
 * it): then mark each open fd from /proc/self/fd, as runc's CloseExecFrom does. */
static int cloexec_from_proc(unsigned from) {
  int dfd = open("/proc/self/fd", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd < 0) return -1;
  char buf[4096];
  long n;
  while ((n = syscall(SYS_getdents64, dfd, buf, sizeof buf)) > 0) {
    for (long off = 0; off < n;) {
      struct { uint64_t ino; int64_t off; unsigned short reclen; unsigned char type; char name[]; } *d = (void *)(buf + off);
      char *end;
      long fd = strtol(d->name, &end, 10);
      if (*end == 0 && d->name[0] && fd >= (long)from && fd != dfd) fcntl((int)fd, F_SETFD, FD_CLOEXEC);
      off += d->reclen;
    }
  }
  int e = errno;
  close(dfd);
  errno = e;
  return n < 0 ? -1 : 0;
}

HANDLER(close_fds) {
  unsigned from = (unsigned)o->u.close_fds.from;
  if (syscall(SYS_close_range, from, ~0U, TSR_CLOSE_RANGE_CLOEXEC) == 0) return 0;
  if (cloexec_from_proc(from) < 0) return fail_errno(c, "close_fds", "/proc/self/fd");
  return 0;
}

HANDLER(hold_tree) {
  const struct op_hold_tree *h = &o->u.hold_tree;
  if (h->slot < 1 || h->slot > 16) return fail(c, EINVAL, "slot", h->path.s);
  unsigned flags = TSR_OPEN_TREE_CLONE | O_CLOEXEC | (h->recursive ? AT_RECURSIVE : 0);
  int fd = (int)syscall(SYS_open_tree, AT_FDCWD, h->path.s, flags);
  if (fd < 0) return fail_errno(c, "open_tree", h->path.s);
  if (c->held[h->slot - 1] > 0) close(c->held[h->slot - 1]);
  c->held[h->slot - 1] = fd;
  return 0;
}

HANDLER(close_channel) {
  (void)o;
  if (c->chan >= 0) close(c->chan);
  c->chan = -1;
  return 0;
}

/* The open blocks until `start` opens the fifo for reading: that is the start signal. */
HANDLER(wait_fifo) {
  int fifo = (int)o->u.wait_fifo.fd;
  char p[32];
  int fd;
  do fd = open(fd_path(p, fifo), O_WRONLY | O_CLOEXEC); while (fd < 0 && errno == EINTR);
  if (fd < 0) return fail_errno(c, "open", "fifo");
  close(fifo);
  c->fifo_w = fd;
  if (o->u.wait_fifo.keep) return 0;
  return op_fifo_done(c, o);
}

/* The fifo stays open after the byte: it is O_CLOEXEC, so `start` sees EOF exactly when the user
 * process has been exec'd (as runc's start reads the fifo to EOF), and poststart hooks run after it. */
HANDLER(fifo_done) {
  (void)o;
  ssize_t n = writev_all(c->fifo_w, "0", 1);
  return n == 1 ? 0 : fail(c, n < 0 ? errno : EIO, "write", "fifo");
}
