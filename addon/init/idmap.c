/* Idmapped bind mounts: MOUNT_ATTR_IDMAP on a tree hold_tree cloned from the host, with the user
 * namespace whose mappings shift the ids. Done as host root before any namespace is entered: the
 * kernel wants CAP_SYS_ADMIN over the filesystem's superblock, and a mount not yet attached. */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include "init.h"
#include "sys.h"

#define TSR_MOUNT_ATTR_IDMAP 0x00100000

static int write_map(pid_t pid, const char *file, const struct pstr *map, struct ctx *c) {
  char path[64];
  snprintf(path, sizeof path, "/proc/%d/%s", (int)pid, file);
  int fd = open(path, O_WRONLY | O_CLOEXEC);
  if (fd < 0) return fail_errno(c, "open", path);
  ssize_t n = write(fd, map->s, map->len);
  int e = errno;
  close(fd);
  if (n != (ssize_t)map->len) return fail(c, n < 0 ? e : EIO, "write", path);
  return 0;
}

/* A user namespace with these mappings, as an fd: a child made in it holds it while the maps are
 * written and its ns/user is opened, then exits. */
static int new_userns(struct ctx *c, const struct pstr *uid_map, const struct pstr *gid_map) {
  int p[2];
  if (pipe2(p, O_CLOEXEC) < 0) return fail_errno(c, "pipe2", "idmap");
  pid_t pid = (pid_t)syscall(SYS_clone, CLONE_NEWUSER | SIGCHLD, 0, 0, 0, 0);
  if (pid < 0) {
    int e = errno;
    close(p[0]);
    close(p[1]);
    return fail(c, e, "clone", "CLONE_NEWUSER");
  }
  if (pid == 0) {
    /* Only async-signal-safe calls: wait for the parent to close its end, then go. */
    char b;
    close(p[1]);
    while (read(p[0], &b, 1) < 0 && errno == EINTR) {
    }
    _exit(0);
  }
  close(p[0]);
  int fd = -1;
  if (write_map(pid, "uid_map", uid_map, c) == 0 && write_map(pid, "gid_map", gid_map, c) == 0) {
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/ns/user", (int)pid);
    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) fail_errno(c, "open", path);
  }
  close(p[1]);
  while (waitpid(pid, 0, 0) < 0 && errno == EINTR) {
  }
  return fd;
}

HANDLER(idmap_tree) {
  const struct op_idmap_tree *m = &o->u.idmap_tree;
  if (m->slot < 1 || m->slot > 16 || c->held[m->slot - 1] <= 0) return fail(c, EBADF, "held", "idmap");
  int ns = m->userns_path.len ? open(m->userns_path.s, O_RDONLY | O_CLOEXEC) : new_userns(c, &m->uid_map, &m->gid_map);
  if (ns < 0) return m->userns_path.len ? fail_errno(c, "open", m->userns_path.s) : -1;
  struct tsr_mount_attr attr = { TSR_MOUNT_ATTR_IDMAP, 0, 0, (uint64_t)ns };
  unsigned flags = AT_EMPTY_PATH | (m->recursive ? AT_RECURSIVE : 0);
  int r = (int)syscall(SYS_mount_setattr, c->held[m->slot - 1], "", flags, &attr, sizeof attr);
  int e = errno;
  close(ns);
  return r < 0 ? fail(c, e, "mount_setattr", "MOUNT_ATTR_IDMAP") : 0;
}
