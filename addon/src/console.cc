// The receiving end of the console-socket protocol (runc's --console-socket): tsrun listens when it
// proxies a terminal itself (foreground run with terminal=true), and tests use it as a client would.
#include <errno.h>
#include <poll.h>
#include <string.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include <vector>
#include "addon.h"

namespace tsrun {

static Napi::Value ListenUnix(const Napi::CallbackInfo &info) {
  std::string path;
  if (!ArgStr(info, 0, &path)) return info.Env().Undefined();
  struct sockaddr_un addr;
  memset(&addr, 0, sizeof addr);
  addr.sun_family = AF_UNIX;
  if (path.size() >= sizeof addr.sun_path) return ThrowErrno(info.Env(), ENAMETOOLONG, "bind", path);
  memcpy(addr.sun_path, path.c_str(), path.size());
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return ThrowErrno(info.Env(), errno, "socket");
  if (bind(fd, (struct sockaddr *)&addr, sizeof addr) < 0 || listen(fd, 4) < 0) {
    int e = errno;
    close(fd);
    return ThrowErrno(info.Env(), e, "bind", path);
  }
  return Napi::Number::New(info.Env(), fd);
}

// Accepts one connection on a listening socket and receives one message carrying one fd
// (SCM_RIGHTS), as go-runc's console socket does: exactly one fd, payload under 4096 bytes.
static Napi::Value RecvFd(const Napi::CallbackInfo &info) {
  int64_t lfd, timeout;
  if (!ArgInt(info, 0, &lfd) || !ArgIntOr(info, 1, -1, &timeout)) return info.Env().Undefined();
  struct pollfd p = {(int)lfd, POLLIN, 0};
  int r;
  do r = poll(&p, 1, (int)timeout); while (r < 0 && errno == EINTR);
  if (r < 0) return ThrowErrno(info.Env(), errno, "poll");
  if (r == 0) return ThrowErrno(info.Env(), ETIMEDOUT, "accept");
  int conn;
  do conn = accept4((int)lfd, nullptr, nullptr, SOCK_CLOEXEC); while (conn < 0 && errno == EINTR);
  if (conn < 0) return ThrowErrno(info.Env(), errno, "accept");
  char payload[4096];
  std::vector<int> fds;
  ssize_t n;
  do n = RecvWithFds(conn, payload, sizeof payload, &fds); while (n < 0 && errno == EINTR);
  int e = errno;
  close(conn);
  if (n < 0) return ThrowErrno(info.Env(), e, "recvmsg");
  // go-runc's rule: exactly one fd.
  if (fds.size() != 1) {
    for (int f : fds) close(f);
    return ThrowErrno(info.Env(), EPROTO, "recvmsg");
  }
  int fd = fds[0];
  Napi::Object out = Napi::Object::New(info.Env());
  out.Set("fd", Napi::Number::New(info.Env(), fd));
  out.Set("payload", Napi::String::New(info.Env(), payload, (size_t)n));
  return out;
}

// TIOCSWINSZ on a pty (master or peer): how a terminal proxy passes on the user's window size.
static Napi::Value SetWinsize(const Napi::CallbackInfo &info) {
  int64_t fd, rows, cols;
  if (!ArgInt(info, 0, &fd) || !ArgInt(info, 1, &rows) || !ArgInt(info, 2, &cols)) return info.Env().Undefined();
  struct winsize ws;
  memset(&ws, 0, sizeof ws);
  ws.ws_row = (unsigned short)rows;
  ws.ws_col = (unsigned short)cols;
  if (ioctl((int)fd, TIOCSWINSZ, &ws) < 0) return ThrowErrno(info.Env(), errno, "ioctl TIOCSWINSZ");
  return info.Env().Undefined();
}

// The user's terminal in raw mode as cfmakeraw sets it (runc's too): no output processing, so the
// container's own pty does the \n -> \r\n once. (libuv's raw mode keeps ONLCR: lines came out \r\r\n.)
// Returns the previous settings, for restoreTermios.
static Napi::Value MakeRaw(const Napi::CallbackInfo &info) {
  int64_t fd;
  if (!ArgInt(info, 0, &fd)) return info.Env().Undefined();
  struct termios old, raw;
  if (tcgetattr((int)fd, &old) < 0) return ThrowErrno(info.Env(), errno, "tcgetattr");
  raw = old;
  cfmakeraw(&raw);
  if (tcsetattr((int)fd, TCSANOW, &raw) < 0) return ThrowErrno(info.Env(), errno, "tcsetattr");
  return Napi::Buffer<uint8_t>::Copy(info.Env(), reinterpret_cast<uint8_t *>(&old), sizeof old);
}

static Napi::Value RestoreTermios(const Napi::CallbackInfo &info) {
  int64_t fd;
  if (!ArgInt(info, 0, &fd) || info.Length() < 2 || !info[1].IsBuffer()) return info.Env().Undefined();
  auto buf = info[1].As<Napi::Buffer<uint8_t>>();
  struct termios t;
  if (buf.Length() != sizeof t) return info.Env().Undefined();
  memcpy(&t, buf.Data(), sizeof t);
  if (tcsetattr((int)fd, TCSANOW, &t) < 0) return ThrowErrno(info.Env(), errno, "tcsetattr");
  return info.Env().Undefined();
}

// Connects to a unix socket, sends one message with one fd (SCM_RIGHTS) and closes: how a seccomp
// notify listener fd reaches the container's seccomp agent (runtime-spec listenerPath).
static Napi::Value SendFdTo(const Napi::CallbackInfo &info) {
  std::string path, payload;
  int64_t passfd;
  if (!ArgStr(info, 0, &path) || !ArgStr(info, 1, &payload) || !ArgInt(info, 2, &passfd)) return info.Env().Undefined();
  const char *what = "connect";
  int s = ConnectUnixPath(path, &what);
  if (s < 0) return ThrowErrno(info.Env(), errno, what, path);
  union { struct cmsghdr h; char buf[CMSG_SPACE(sizeof(int))]; } ctl;
  memset(&ctl, 0, sizeof ctl);
  struct iovec iov = { (void *)payload.data(), payload.size() };
  struct msghdr msg;
  memset(&msg, 0, sizeof msg);
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = ctl.buf;
  msg.msg_controllen = sizeof ctl.buf;
  struct cmsghdr *cm = CMSG_FIRSTHDR(&msg);
  cm->cmsg_level = SOL_SOCKET;
  cm->cmsg_type = SCM_RIGHTS;
  cm->cmsg_len = CMSG_LEN(sizeof(int));
  int f = (int)passfd;
  memcpy(CMSG_DATA(cm), &f, sizeof f);
  ssize_t n;
  do n = sendmsg(s, &msg, MSG_NOSIGNAL); while (n < 0 && errno == EINTR);
  int e = errno;
  close(s);
  if (n < 0) return ThrowErrno(info.Env(), e, "sendmsg", path);
  return info.Env().Undefined();
}

void InitConsole(Napi::Env env, Napi::Object exports) {
  exports.Set("sendFdTo", Napi::Function::New(env, SendFdTo));
  exports.Set("setWinsize", Napi::Function::New(env, SetWinsize));
  exports.Set("makeRaw", Napi::Function::New(env, MakeRaw));
  exports.Set("restoreTermios", Napi::Function::New(env, RestoreTermios));
  exports.Set("listenUnix", Napi::Function::New(env, ListenUnix));
  exports.Set("recvFd", Napi::Function::New(env, RecvFd));
}

}  // namespace tsrun
