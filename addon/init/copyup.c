/* tmpcopyup (runc's extension, used by Podman with --read-only): a tmpfs mounted over a directory of
 * the image starts with that directory's contents. The old directory stays reachable through an fd
 * opened before the mount, and everything is copied fd-relative (no path walks, no symlink follows). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>
#include "init.h"

static int copy_file(int sdir, int ddir, const char *name, const struct stat *st) {
  int in = openat(sdir, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  if (in < 0) return -1;
  int out = openat(ddir, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, st->st_mode & 07777);
  if (out < 0) { int e = errno; close(in); errno = e; return -1; }
  char buf[65536];
  ssize_t n;
  int r = 0;
  while ((n = read(in, buf, sizeof buf)) > 0) {
    for (ssize_t off = 0; off < n;) {
      ssize_t w = write(out, buf + off, (size_t)(n - off));
      if (w < 0) { r = -1; break; }
      off += w;
    }
    if (r < 0) break;
  }
  if (n < 0) r = -1;
  int e = errno;
  if (r == 0 && (fchown(out, st->st_uid, st->st_gid) < 0 || fchmod(out, st->st_mode & 07777) < 0)) { r = -1; e = errno; }
  close(in);
  close(out);
  errno = e;
  return r;
}

/* Copies the entries of directory sdir into ddir, recursively. */
static int copy_tree(int sdir, int ddir, int depth) {
  if (depth > 64) { errno = ELOOP; return -1; }
  int dup_fd = openat(sdir, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dup_fd < 0) return -1;
  DIR *d = fdopendir(dup_fd);
  if (!d) { close(dup_fd); return -1; }
  struct dirent *e;
  int r = 0;
  while (r == 0 && (e = readdir(d))) {
    if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
    struct stat st;
    if (fstatat(sdir, e->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0) { r = -1; break; }
    if (S_ISDIR(st.st_mode)) {
      if (mkdirat(ddir, e->d_name, st.st_mode & 07777) < 0 && errno != EEXIST) { r = -1; break; }
      int s2 = openat(sdir, e->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
      int d2 = openat(ddir, e->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
      if (s2 < 0 || d2 < 0) r = -1;
      else r = copy_tree(s2, d2, depth + 1);
      int er = errno;
      if (r == 0 && (fchown(d2, st.st_uid, st.st_gid) < 0 || fchmod(d2, st.st_mode & 07777) < 0)) { r = -1; er = errno; }
      if (s2 >= 0) close(s2);
      if (d2 >= 0) close(d2);
      errno = er;
    } else if (S_ISLNK(st.st_mode)) {
      char target[4096];
      ssize_t n = readlinkat(sdir, e->d_name, target, sizeof target - 1);
      if (n < 0) { r = -1; break; }
      target[n] = 0;
      if (symlinkat(target, ddir, e->d_name) < 0 || fchownat(ddir, e->d_name, st.st_uid, st.st_gid, AT_SYMLINK_NOFOLLOW) < 0) r = -1;
    } else if (S_ISREG(st.st_mode)) {
      r = copy_file(sdir, ddir, e->d_name, &st);
    } else {
      /* devices, fifos, sockets: recreate the node */
      if (mknodat(ddir, e->d_name, st.st_mode, st.st_rdev) < 0 || fchownat(ddir, e->d_name, st.st_uid, st.st_gid, AT_SYMLINK_NOFOLLOW) < 0) r = -1;
    }
  }
  int er = errno;
  closedir(d);
  errno = er;
  return r;
}

HANDLER(mount_copyup) {
  const struct op_mount_copyup *m = &o->u.mount_copyup;
  int old = in_root_open(c, m->target.s, 0);
  int existed = old >= 0;
  if (old < 0 && errno == ENOENT) old = in_root_create(c, m->target.s, MKDIR_DIR, 0755);
  if (old < 0) return fail_errno(c, "mkdir", m->target.s);
  /* As a plain tmpfs mount: an existing directory gives the tmpfs its mode. */
  const char *data = m->data.len ? m->data.s : NULL;
  char modebuf[4096 + 32];
  if (existed && m->data.len < 4096) data = data_with_dir_mode(old, data, modebuf, sizeof modebuf);
  /* A readable fd of the directory as it is now: the mount will hide it from paths, not from this fd. */
  char p[32];
  int src = openat(old, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (src < 0) { int e = errno; close(old); return fail(c, e, "open", m->target.s); }
  int r = mount(m->source.len ? m->source.s : NULL, fd_path(p, old), m->fstype.len ? m->fstype.s : NULL, (unsigned long)m->flags, data);
  int e = errno;
  close(old);
  if (r < 0) { close(src); return fail(c, e, "mount", m->target.s); }
  int dst = in_root_open(c, m->target.s, 0);
  int ddir = dst < 0 ? -1 : openat(dst, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dst >= 0) close(dst);
  if (ddir < 0) { e = errno; close(src); return fail(c, e, "open", m->target.s); }
  r = copy_tree(src, ddir, 0);
  e = errno;
  close(src);
  close(ddir);
  return r < 0 ? fail(c, e, "copy-up", m->target.s) : 0;
}
