/* Mount ops. In-root targets are resolved to an O_PATH fd first and mounted through
 * /proc/self/fd/N, so the mount lands on exactly the inode that was resolved inside the root. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <unistd.h>
#include "init.h"
#include "sys.h"

static const char *or_null(const struct pstr *s) { return s->len ? s->s : NULL; }

const char *data_with_dir_mode(int dirfd, const char *data, char *buf, size_t size) {
  struct stat st;
  if (fstat(dirfd, &st) < 0 || !S_ISDIR(st.st_mode)) return data;
  int n = snprintf(buf, size, "mode=%04o%s%s", (unsigned)(st.st_mode & 07777), data ? "," : "", data ? data : "");
  return n > 0 && (size_t)n < size ? buf : data;
}

HANDLER(mount) {
  const struct op_mount *m = &o->u.mount;
  unsigned long flags = (unsigned long)m->flags;
  const char *source = or_null(&m->source);
  if (m->held) {
    if (m->held > 16 || c->held[m->held - 1] <= 0) return fail(c, EBADF, "held", m->target.s);
    int fd = m->mkdir == MKDIR_NONE ? in_root_open(c, m->target.s, 0) : in_root_create(c, m->target.s, (int)m->mkdir, (mode_t)m->mode);
    if (fd < 0) return fail_errno(c, "mkdir", m->target.s);
    int r = (int)syscall(SYS_move_mount, c->held[m->held - 1], "", fd, "", TSR_MOVE_MOUNT_F_EMPTY_PATH | TSR_MOVE_MOUNT_T_EMPTY_PATH);
    int e = errno;
    close(fd);
    if (r < 0) return fail(c, e, "move_mount", m->target.s);
    close(c->held[m->held - 1]);
    c->held[m->held - 1] = 0;
    return 0;
  }
  if (!m->in_root) {
    if (mount(source, m->target.s, or_null(&m->fstype), flags, or_null(&m->data)) < 0)
      return fail_errno(c, "mount", m->target.s);
    return 0;
  }
  const char *data = or_null(&m->data);
  char *modebuf = NULL;
  int fd;
  if (m->mkdir == MKDIR_DIRMODE) {
    /* Only a directory that was there before gives its mode; a new one leaves the fs default. */
    fd = in_root_open(c, m->target.s, 0);
    if (fd >= 0) {
      size_t size = m->data.len + 32;
      modebuf = malloc(size);
      if (modebuf) data = data_with_dir_mode(fd, data, modebuf, size);
    } else if (errno == ENOENT) {
      fd = in_root_create(c, m->target.s, MKDIR_DIR, (mode_t)m->mode);
    }
  } else {
    fd = m->mkdir == MKDIR_NONE ? in_root_open(c, m->target.s, 0) : in_root_create(c, m->target.s, (int)m->mkdir, (mode_t)m->mode);
  }
  if (fd < 0) return fail_errno(c, m->mkdir == MKDIR_NONE ? "openat2" : "mkdir", m->target.s);
  char p[32];
  int r = mount(source, fd_path(p, fd), or_null(&m->fstype), flags, data);
  int e = errno;
  close(fd);
  free(modebuf);
  return r < 0 ? fail(c, e, "mount", m->target.s) : 0;
}

/* --no-pivot: the host's proc and sysfs stay reachable in the namespace under the chroot, and their
 * presence is what lets a container mount a fresh, unmasked procfs; runc removes them the same way. */
HANDLER(detach_mount) {
  const char *p = o->u.detach_mount.path.s;
  if (mount(NULL, p, NULL, MS_SLAVE | MS_REC, NULL) < 0) return errno == ENOENT ? 0 : fail_errno(c, "rslave", p);
  if (umount2(p, MNT_DETACH) == 0) return 0;
  if (errno != EINVAL && errno != EPERM) return fail_errno(c, "umount2", p);
  if (mount("tmpfs", p, "tmpfs", 0, NULL) < 0) return fail_errno(c, "cover", p);
  return 0;
}

HANDLER(chdir_root) {
  (void)o;
  int root = root_fd(c);
  if (root < 0 || fchdir(root) < 0) return fail_errno(c, "fchdir", "root");
  return 0;
}

HANDLER(mount_setattr) {
  const struct op_mount_setattr *m = &o->u.mount_setattr;
  int fd = in_root_open(c, m->target.s, 0);
  if (fd < 0) return fail_errno(c, "openat2", m->target.s);
  struct tsr_mount_attr attr = { m->attr_set, m->attr_clr, m->propagation, 0 };
  unsigned flags = AT_EMPTY_PATH | (m->recursive ? AT_RECURSIVE : 0);
  int r = (int)syscall(SYS_mount_setattr, fd, "", flags, &attr, sizeof attr);
  int e = errno;
  close(fd);
  return r < 0 ? fail(c, e, "mount_setattr", m->target.s) : 0;
}

/* pivot_root(".", ".") stacks the old root on top of the new one. Which of the two "." then names
 * is not promised, so we fchdir to an fd of the old root taken before, make it rslave (the detach must
 * not propagate to the host, and the new root's own propagation must stay as configured), and lazily
 * unmount it. */
HANDLER(pivot_root) {
  (void)o;
  int root = root_fd(c);
  int oldroot = open("/", O_DIRECTORY | O_RDONLY | O_CLOEXEC);
  if (oldroot < 0) return fail_errno(c, "open", "/");
  int r = -1;
  const char *what = "fchdir";
  if (root >= 0 && fchdir(root) == 0) {
    what = "pivot_root";
    if (syscall(SYS_pivot_root, ".", ".") == 0) {
      what = "fchdir-old-root";
      if (fchdir(oldroot) == 0) {
        what = "rslave-old-root";
        if (mount(NULL, ".", NULL, MS_SLAVE | MS_REC, NULL) == 0) {
          what = "umount-old-root";
          if (umount2(".", MNT_DETACH) == 0) {
            what = "chdir";
            r = chdir("/");
          }
        }
      }
    }
  }
  int e = errno;
  close(oldroot);
  if (r < 0) return fail(c, e, what, NULL);
  root_reset(c);
  return 0;
}

HANDLER(chroot_root) {
  (void)o;
  int root = root_fd(c);
  if (root < 0 || fchdir(root) < 0) return fail_errno(c, "fchdir", "root");
  if (chroot(".") < 0) return fail_errno(c, "chroot", ".");
  if (chdir("/") < 0) return fail_errno(c, "chdir", "/");
  return 0;
}

HANDLER(move_root) {
  (void)o;
  int root = root_fd(c);
  if (root < 0 || fchdir(root) < 0) return fail_errno(c, "fchdir", "root");
  if (mount(".", "/", NULL, MS_MOVE, NULL) < 0) return fail_errno(c, "mount", "move");
  if (chroot(".") < 0) return fail_errno(c, "chroot", ".");
  if (chdir("/") < 0) return fail_errno(c, "chdir", "/");
  root_reset(c);
  return 0;
}

HANDLER(mask_path) {
  const char *path = o->u.mask_path.path.s;
  int fd = in_root_open(c, path, 0);
  if (fd < 0) return errno == ENOENT ? 0 : fail_errno(c, "openat2", path);
  struct stat st;
  char p[32];
  int r = fstat(fd, &st);
  if (r == 0 && S_ISDIR(st.st_mode))
    r = mount("tmpfs", fd_path(p, fd), "tmpfs", MS_RDONLY, NULL);
  else if (r == 0)
    r = mount("/dev/null", fd_path(p, fd), NULL, MS_BIND, NULL);
  int e = errno;
  close(fd);
  return r < 0 ? fail(c, e, "mount", path) : 0;
}

/* The per-mount flags to keep on a read-only remount: in a user namespace the kernel refuses to
 * clear a locked nosuid/nodev/noexec, and the atime mode should not change either. */
static unsigned long kept_flags(int fd) {
  struct statfs sf;
  if (fstatfs(fd, &sf) < 0) return 0;
  unsigned long f = 0;
  if (sf.f_flags & ST_NOSUID) f |= MS_NOSUID;
  if (sf.f_flags & ST_NODEV) f |= MS_NODEV;
  if (sf.f_flags & ST_NOEXEC) f |= MS_NOEXEC;
  if (sf.f_flags & ST_NOATIME) f |= MS_NOATIME;
  if (sf.f_flags & ST_NODIRATIME) f |= MS_NODIRATIME;
  if (sf.f_flags & ST_RELATIME) f |= MS_RELATIME;
  return f;
}

HANDLER(readonly_path) {
  const char *path = o->u.readonly_path.path.s;
  char p[32];
  int fd = in_root_open(c, path, 0);
  if (fd < 0) return errno == ENOENT ? 0 : fail_errno(c, "openat2", path);
  int r = mount(fd_path(p, fd), p, NULL, MS_BIND | MS_REC, NULL);
  int e = errno;
  close(fd);
  if (r < 0) return fail(c, e, "mount", path);
  /* Reopen: the old fd still names the mount underneath the new bind. */
  fd = in_root_open(c, path, 0);
  if (fd < 0) return fail_errno(c, "openat2", path);
  r = mount(NULL, fd_path(p, fd), NULL, MS_BIND | MS_REMOUNT | MS_RDONLY | kept_flags(fd), NULL);
  e = errno;
  close(fd);
  return r < 0 ? fail(c, e, "remount", path) : 0;
}
