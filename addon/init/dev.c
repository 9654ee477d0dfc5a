/* Filesystem ops inside the root: mkdir, mknod, symlink, and the console. */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>
#include "init.h"
#include "sys.h"

HANDLER(mkdir) {
  int fd = in_root_create(c, o->u.mkdir.path.s, MKDIR_DIR, (mode_t)o->u.mkdir.mode);
  if (fd < 0) return fail_errno(c, "mkdir", o->u.mkdir.path.s);
  close(fd);
  return 0;
}

/* chmod without following a symlink: fchmodat2 (Linux 6.6) when present, else plain fchmodat on
 * the node we just created. */
static int chmod_nofollow(int dir, const char *name, mode_t mode) {
  if (syscall(SYS_fchmodat2, dir, name, mode, AT_SYMLINK_NOFOLLOW) == 0) return 0;
  if (errno != ENOSYS) return -1;
  return fchmodat(dir, name, mode, 0);
}

HANDLER(mknod) {
  const struct op_mknod *m = &o->u.mknod;
  char name[256];
  int dir = in_root_parent(c, m->path.s, 1, name, sizeof name);
  if (dir < 0) return fail_errno(c, "mkdir", m->path.s);
  /* A node of the same type and number already there is kept (its mode and owner are set below);
   * anything else at the path is the image's own file: an error, never replaced (runtime-spec). */
  struct stat st;
  int r = 0;
  const char *what = "mknod";
  if (fstatat(dir, name, &st, AT_SYMLINK_NOFOLLOW) == 0) {
    if ((st.st_mode & S_IFMT) != ((mode_t)m->mode & S_IFMT) || ((st.st_mode & S_IFMT) != S_IFIFO && st.st_rdev != (dev_t)m->dev)) {
      close(dir);
      return fail(c, EEXIST, "exists-not-this-device", m->path.s);
    }
  } else if (errno != ENOENT) {
    r = -1;
    what = "stat";
  } else {
    r = mknodat(dir, name, (mode_t)m->mode, (dev_t)m->dev);
  }
  if (r == 0) { what = "chmod"; r = chmod_nofollow(dir, name, (mode_t)m->mode & 07777); }
  if (r == 0) { what = "chown"; r = fchownat(dir, name, (uid_t)m->uid, (gid_t)m->gid, AT_SYMLINK_NOFOLLOW); }
  int e = errno;
  close(dir);
  return r < 0 ? fail(c, e, what, m->path.s) : 0;
}

HANDLER(symlink) {
  char name[256];
  int dir = in_root_parent(c, o->u.symlink.path.s, 0, name, sizeof name);
  if (dir < 0) return fail_errno(c, "openat2", o->u.symlink.path.s);
  int r = symlinkat(o->u.symlink.target.s, dir, name);
  int e = errno;
  close(dir);
  return r < 0 && e != EEXIST ? fail(c, e, "symlink", o->u.symlink.path.s) : 0;
}

/* Opens the pty pair from the container's own devpts instance and hands the master out. */
static int open_pty(struct ctx *c, const struct op_console *k, int *peer) {
  int m = open("/dev/pts/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (m < 0) return fail_errno(c, "open", "/dev/pts/ptmx");
  int unlock = 0;
  struct winsize ws = { (unsigned short)k->rows, (unsigned short)k->cols, 0, 0 };
  const char *what = NULL;
  if (ioctl(m, TIOCSPTLCK, &unlock) < 0) what = "unlockpt";
  else if (k->rows > 0 && ioctl(m, TIOCSWINSZ, &ws) < 0) what = "TIOCSWINSZ";
  else if ((*peer = ioctl(m, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC)) < 0) what = "TIOCGPTPEER";
  else if (send_with_fd((int)k->socket_fd, "/dev/ptmx", strlen("/dev/ptmx"), m) < 0) what = "sendmsg";
  int e = errno;
  close(m);
  close((int)k->socket_fd);
  return what ? fail(c, e, what, NULL) : 0;
}

HANDLER(console) {
  int peer = -1;
  if (open_pty(c, &o->u.console, &peer) < 0) return -1;
  if (o->u.console.bind_console) {
    int target = in_root_create(c, "/dev/console", MKDIR_FILE, 0666);
    if (target < 0) return fail_errno(c, "mkdir", "/dev/console");
    char src[32], dst[32];
    int r = mount(fd_path(src, peer), fd_path(dst, target), NULL, MS_BIND, NULL);
    int e = errno;
    close(target);
    if (r < 0) return fail(c, e, "mount", "/dev/console");
  }
  for (int i = 0; i < 3; i++)
    if (dup2(peer, i) < 0) return fail_errno(c, "dup2", NULL);
  if (peer > 2) close(peer);
  if (ioctl(0, TIOCSCTTY, 0) < 0) return fail_errno(c, "TIOCSCTTY", NULL);
  return 0;
}
