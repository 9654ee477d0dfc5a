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

/* Next component of *rest into name (NUL-terminated), advancing *rest; 0 when none is left. */
static int next_component(const char **rest, char *name, size_t size) {
  const char *p = *rest;
  while (*p == '/') p++;
  size_t n = strcspn(p, "/");
  if (n == 0) return 0;
  if (n >= size) { errno = ENAMETOOLONG; return -1; }
  memcpy(name, p, n);
  name[n] = 0;
  *rest = p + n;
  return 1;
}

static int only_slashes(const char *s) { return s[strspn(s, "/")] == 0; }

int in_root_create(struct ctx *c, const char *path, int kind, mode_t leaf_mode) {
  int fd = in_root_open(c, path, 0);
  if (fd >= 0 || errno != ENOENT) return fd;

  /* Walk: prefix is the in-root path resolved so far (parent is its fd), rest what is left. A
   * dangling symlink is expanded here (its target spliced in front of rest), so that, like
   * runc's securejoin, /evil -> /host/x creates <root>/host/x; everything is then resolved again
   * by openat2, never by us. */
  char prefix[4096] = "/", rest[4096], name[256], link[4096];
  int links = 0, r = 0;
  if (strlen(path) >= sizeof rest) { errno = ENAMETOOLONG; return -1; }
  strcpy(rest, path);
  int parent = in_root_open(c, "/", O_DIRECTORY);
  const char *cur = rest;
  while (parent >= 0 && (r = next_component(&cur, name, sizeof name)) > 0) {
    int last = only_slashes(cur);
    size_t plen = strlen(prefix);
    if (plen + strlen(name) + 2 > sizeof prefix) { errno = ENAMETOOLONG; break; }
    snprintf(prefix + plen, sizeof prefix - plen, "%s%s", plen > 1 ? "/" : "", name);
    int next = in_root_open(c, prefix, 0);
    if (next < 0 && errno == ENOENT) {
      if (create_exact(parent, name, last ? kind : MKDIR_DIR, last ? leaf_mode : 0755) == 0) {
        next = in_root_open(c, prefix, 0);
      } else if (errno == EEXIST) {
        /* Exists but does not resolve: a dangling symlink (anything else: a race, report it). */
        ssize_t n = readlinkat(parent, name, link, sizeof link - 1);
        if (n < 0 || ++links > 40 || (size_t)n + strlen(cur) + 2 > sizeof rest) {
          errno = n < 0 ? ENOENT : links > 40 ? ELOOP : ENAMETOOLONG;
          break;
        }
        link[n] = 0;
        memmove(rest + n + 1, cur, strlen(cur) + 1); /* rest = link + "/" + what was left */
        memcpy(rest, link, (size_t)n);
        rest[n] = '/';
        cur = rest;
        prefix[plen] = 0; /* a relative target continues from the symlink's directory */
        if (link[0] == '/') {
          strcpy(prefix, "/");
          close(parent);
          parent = in_root_open(c, "/", O_DIRECTORY);
        }
        continue;
      }
    }
    int e = errno;
    close(parent);
    parent = next;
    errno = e;
  }
  if (r != 0 && parent >= 0) { /* stopped early by an error */
    int e = errno;
    close(parent);
    errno = e;
    return -1;
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
