// File descriptor wrappers: mkfifo, open, flock, socketpair, connectUnix. Every fd we create is
// O_CLOEXEC: only spawn() decides what a child inherits.
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>
#include "addon.h"

namespace tsrun {

// close_range(from, ~0, CLOSE_RANGE_CLOEXEC): fds the runtime's caller left open (and not
// close-on-exec) must not reach the hooks it runs. Falls back to fcntl over /proc/self/fd.
static Napi::Value CloexecFrom(const Napi::CallbackInfo &info) {
  int64_t from;
  if (!ArgInt(info, 0, &from)) return info.Env().Undefined();
  if (syscall(436 /* close_range */, (unsigned)from, ~0U, 1U << 2 /* CLOSE_RANGE_CLOEXEC */) == 0) return info.Env().Undefined();
  DIR *d = opendir("/proc/self/fd");
  if (!d) return ThrowErrno(info.Env(), errno, "opendir", "/proc/self/fd");
  int self = dirfd(d);
  for (struct dirent *e; (e = readdir(d));) {
    char *end;
    long fd = strtol(e->d_name, &end, 10);
    if (*end == 0 && e->d_name[0] && fd >= from && fd != self) fcntl((int)fd, F_SETFD, FD_CLOEXEC);
  }
  closedir(d);
  return info.Env().Undefined();
}

// A second fd for one open file (close-on-exec): two streams over one pty master must not close
// each other's fd (the second close would hit whatever reused the number).
static Napi::Value DupCloexec(const Napi::CallbackInfo &info) {
  int64_t fd;
  if (!ArgInt(info, 0, &fd)) return info.Env().Undefined();
  int nfd = fcntl((int)fd, F_DUPFD_CLOEXEC, 3);
  if (nfd < 0) return ThrowErrno(info.Env(), errno, "dup", "");
  return Napi::Number::New(info.Env(), nfd);
}

static Napi::Value Mkfifo(const Napi::CallbackInfo &info) {
  std::string path;
  int64_t mode;
  if (!ArgStr(info, 0, &path) || !ArgInt(info, 1, &mode)) return info.Env().Undefined();
  if (mkfifo(path.c_str(), (mode_t)mode) < 0) return ThrowErrno(info.Env(), errno, "mkfifo", path);
  return info.Env().Undefined();
}

int OpenCloexec(const char *path, int flags, mode_t mode) {
  int fd;
  do fd = open(path, flags | O_CLOEXEC, mode); while (fd < 0 && errno == EINTR);
  return fd;
}

static Napi::Value Open(const Napi::CallbackInfo &info) {
  std::string path;
  int64_t flags, mode;
  if (!ArgStr(info, 0, &path) || !ArgInt(info, 1, &flags) || !ArgIntOr(info, 2, 0, &mode)) return info.Env().Undefined();
  int fd = OpenCloexec(path.c_str(), (int)flags, (mode_t)mode);
  if (fd < 0) return ThrowErrno(info.Env(), errno, "open", path);
  return Napi::Number::New(info.Env(), fd);
}

static Napi::Value Flock(const Napi::CallbackInfo &info) {
  int64_t fd, op;
  if (!ArgInt(info, 0, &fd) || !ArgInt(info, 1, &op)) return info.Env().Undefined();
  int r;
  do r = flock((int)fd, (int)op); while (r < 0 && errno == EINTR);
  if (r < 0 && errno == EWOULDBLOCK && (op & LOCK_NB)) return Napi::Boolean::New(info.Env(), false);
  if (r < 0) return ThrowErrno(info.Env(), errno, "flock");
  return Napi::Boolean::New(info.Env(), true);
}

static Napi::Value Socketpair(const Napi::CallbackInfo &info) {
  int sv[2];
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0) return ThrowErrno(info.Env(), errno, "socketpair");
  Napi::Array out = Napi::Array::New(info.Env(), 2);
  out.Set(0u, Napi::Number::New(info.Env(), sv[0]));
  out.Set(1u, Napi::Number::New(info.Env(), sv[1]));
  return out;
}

// A path longer than sun_path is reached through an O_PATH fd of the socket: connect(2) follows the
// /proc/self/fd magic link to the socket inode. Returns the connected fd, or -1 with errno and *what set.
int ConnectUnixPath(const std::string &path, const char **what) {
  struct sockaddr_un addr;
  memset(&addr, 0, sizeof addr);
  addr.sun_family = AF_UNIX;
  int pathfd = -1;
  if (path.size() < sizeof addr.sun_path) {
    memcpy(addr.sun_path, path.c_str(), path.size() + 1);
  } else {
    pathfd = open(path.c_str(), O_PATH | O_CLOEXEC);
    if (pathfd < 0) { *what = "open"; return -1; }
    snprintf(addr.sun_path, sizeof addr.sun_path, "/proc/self/fd/%d", pathfd);
  }
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  int r = fd < 0 ? -1 : connect(fd, (struct sockaddr *)&addr, sizeof addr);
  int err = errno;
  if (pathfd >= 0) close(pathfd);
  if (r < 0) {
    if (fd >= 0) close(fd);
    *what = fd < 0 ? "socket" : "connect";
    errno = err;
    return -1;
  }
  return fd;
}

static Napi::Value ConnectUnix(const Napi::CallbackInfo &info) {
  std::string path;
  if (!ArgStr(info, 0, &path)) return info.Env().Undefined();
  const char *what = "connect";
  int fd = ConnectUnixPath(path, &what);
  if (fd < 0) return ThrowErrno(info.Env(), errno, what, path);
  return Napi::Number::New(info.Env(), fd);
}

void InitFd(Napi::Env env, Napi::Object exports) {
  exports.Set("mkfifo", Napi::Function::New(env, Mkfifo, "mkfifo"));
  exports.Set("cloexecFrom", Napi::Function::New(env, CloexecFrom, "cloexecFrom"));
  exports.Set("dupCloexec", Napi::Function::New(env, DupCloexec, "dupCloexec"));
  exports.Set("open", Napi::Function::New(env, Open, "open"));
  exports.Set("flock", Napi::Function::New(env, Flock, "flock"));
  exports.Set("socketpair", Napi::Function::New(env, Socketpair, "socketpair"));
  exports.Set("connectUnix", Napi::Function::New(env, ConnectUnix, "connectUnix"));
}

}  // namespace tsrun
