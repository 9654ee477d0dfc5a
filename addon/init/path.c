/* In-root path resolution. Every path the plan names inside the container is resolved by the kernel
 * with openat2(RESOLVE_IN_ROOT|RESOLVE_NO_MAGICLINKS) against the root fd, so neither a symlink nor
 * ".." in the (untrusted) rootfs can lead outside it. Missing directories are created one component
 * at a time relative to the fd of their already-resolved parent. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "init.h"
#include "sys.h"

const char *fd_path(char buf[32], int fd) {
  snprintf(buf, 32, "/proc/self/fd/%d", fd);
  return buf;
}

int root_fd(struct ctx *c) {
  if (c->root < 0) c->root = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
  return c->root;
}

/* After pivot_root/move_root the old root fd names the new "/": reopen lazily. */
void root_reset(struct ctx *c) {
  if (c->root >= 0) close(c->root);
  c->root = -1;
}

int in_root_open(struct ctx *c, const char *path, int extra_flags) {
  struct tsr_open_how how = {
    .flags = (uint64_t)(O_PATH | O_CLOEXEC | extra_flags),
    .resolve = TSR_RESOLVE_IN_ROOT | TSR_RESOLVE_NO_MAGICLINKS,
  };
  int root = root_fd(c);
  if (root < 0) return -1;
  /* EAGAIN: a concurrent rename/mount raced the ".." check; the kernel asks us to retry. */
  for (int tries = 0; tries < 32; tries++) {
    int fd = (int)syscall(SYS_openat2, root, path, &how, sizeof how);
    if (fd >= 0 || errno != EAGAIN) return fd;
  }
  return -1;
}

/* Creates name in dir with exactly mode (umask-free: a restrictive runtime umask must not leave
 * parents the container user cannot traverse). O_NOFOLLOW: we only chmod what we just created. */
static int create_exact(int dir, const char *name, int kind, mode_t mode) {
  int fd;
  if (kind == MKDIR_FILE) {
    fd = openat(dir, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode & 07777);
  } else {
    if (mkdirat(dir, name, mode & 07777) < 0) return -1;
    fd = openat(dir, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  }
  if (fd < 0) return -1;
  int r = fchmod(fd, mode & 07777);
  close(fd);
  return r;
}

int in_root_create(struct ctx *c, const char *path, int kind, mode_t leaf_mode) {
  int fd = in_root_open(c, path, 0);
  if (fd >= 0 || errno != ENOENT) return fd;

  char buf[4096];
  if (strlen(path) >= sizeof buf) { errno = ENAMETOOLONG; return -1; }
  strcpy(buf, path);
  int parent = in_root_open(c, "/", O_DIRECTORY);
  if (parent < 0) return -1;

  char *p = buf;
  while (*p) {
    while (*p == '/') p++;
    if (!*p) break;
    char *name = p;
    while (*p && *p != '/') p++;
    char saved = *p;
    *p = 0;
    int last = 1;
    for (const char *q = p + (saved ? 1 : 0); saved && *q; q++)
      if (*q != '/') { last = 0; break; }

    /* Resolve the prefix from the root again (not relative to parent): a symlink component is then
     * followed inside the root, exactly as the kernel would for the whole path. */
    int next = in_root_open(c, buf, 0);
    if (next < 0 && errno == ENOENT) {
      int k = last ? kind : MKDIR_DIR;
      if (create_exact(parent, name, k, last ? leaf_mode : 0755) < 0 && errno != EEXIST) {
        close(parent);
        return -1;
      }
      /* EEXIST (e.g. a dangling symlink) falls through to a fresh resolution that reports ENOENT. */
      next = in_root_open(c, buf, 0);
    }
    close(parent);
    if (next < 0) return -1;
    parent = next;
    *p = saved;
  }
  return parent;
}

int in_root_parent(struct ctx *c, const char *path, int create, char *base, size_t base_size) {
  char dir[4096];
  size_t n = strlen(path);
  while (n > 1 && path[n - 1] == '/') n--;
  if (n >= sizeof dir) { errno = ENAMETOOLONG; return -1; }
  memcpy(dir, path, n);
  dir[n] = 0;
  char *slash = strrchr(dir, '/');
  const char *name = slash ? slash + 1 : dir;
  if (!*name || !strcmp(name, ".") || !strcmp(name, "..") || strlen(name) >= base_size) {
    errno = EINVAL;
    return -1;
  }
  strcpy(base, name);
  if (slash == dir) dir[1] = 0;
  else if (slash) *slash = 0;
  else strcpy(dir, "/");
  return create ? in_root_create(c, dir, MKDIR_DIR, 0755) : in_root_open(c, dir, O_DIRECTORY);
}
