// Framed messages on the init channel: u32 payload length LE, u16 type, u16 0, payload.
#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>
#include <vector>
#include "addon.h"

namespace tsrun {

static const uint32_t kMaxPayload = 64u << 20;

static int64_t NowMs() {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int WriteAll(int fd, const uint8_t *p, size_t n) {
  while (n > 0) {
    // MSG_NOSIGNAL: a dead init gives EPIPE; fall back to write() for a pipe.
    ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
    if (w < 0 && errno == ENOTSOCK) w = write(fd, p, n);
    if (w < 0 && errno == EINTR) continue;
    if (w < 0) return -1;
    p += w;
    n -= (size_t)w;
  }
  return 0;
}

static Napi::Value SendMsg(const Napi::CallbackInfo &info) {
  int64_t fd, type;
  if (!ArgInt(info, 0, &fd) || !ArgInt(info, 1, &type)) return info.Env().Undefined();
  const uint8_t *data = nullptr;
  size_t len = 0;
  if (info.Length() > 2 && !info[2].IsUndefined()) {
    if (!info[2].IsTypedArray()) {
      ThrowArg(info, 2, "a Uint8Array");
      return info.Env().Undefined();
    }
    Napi::Uint8Array a = info[2].As<Napi::Uint8Array>();
    data = a.Data();
    len = a.ByteLength();
  }
  std::vector<uint8_t> frame(8 + len);
  for (int i = 0; i < 4; i++) frame[i] = (uint8_t)(len >> (8 * i));
  frame[4] = (uint8_t)type;
  frame[5] = (uint8_t)(type >> 8);
  if (len) memcpy(frame.data() + 8, data, len);
  if (WriteAll((int)fd, frame.data(), frame.size()) < 0) return ThrowErrno(info.Env(), errno, "send");
  return info.Env().Undefined();
}

// recvmsg of up to len bytes; fds that arrive with them (SCM_RIGHTS, made O_CLOEXEC) go to *fds, or
// are closed when fds is null.
ssize_t RecvWithFds(int sock, void *buf, size_t len, std::vector<int> *fds) {
  union { struct cmsghdr h; char buf[CMSG_SPACE(4 * sizeof(int))]; } ctl;
  struct iovec iov = { buf, len };
  struct msghdr msg;
  memset(&msg, 0, sizeof msg);
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = ctl.buf;
  msg.msg_controllen = sizeof ctl.buf;
  ssize_t k = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC);
  for (struct cmsghdr *c = k > 0 && msg.msg_controllen ? CMSG_FIRSTHDR(&msg) : nullptr; c; c = CMSG_NXTHDR(&msg, c)) {
    if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS) continue;
    size_t count = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
    for (size_t i = 0; i < count; i++) {
      int got_fd;
      memcpy(&got_fd, CMSG_DATA(c) + i * sizeof(int), sizeof got_fd);
      if (fds) fds->push_back(got_fd);
      else close(got_fd);
    }
  }
  return k;
}

// Reads exactly n bytes before the deadline (-1 = none). 1 = done, 0 = EOF before the first byte,
// -1 = error in errno (EPROTO for EOF mid-frame, ETIMEDOUT).
static int ReadFull(int fd, uint8_t *p, size_t n, int64_t deadline, std::vector<int> *fds = nullptr) {
  size_t got = 0;
  while (got < n) {
    int wait = -1;
    if (deadline >= 0) {
      int64_t left = deadline - NowMs();
      wait = left < 0 ? 0 : (int)left;
    }
    struct pollfd pfd = { fd, POLLIN, 0 };
    int r = poll(&pfd, 1, wait);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) return -1;
    if (r == 0) { errno = ETIMEDOUT; return -1; }
    // recvmsg, not read: an fd the helper attaches (SCM_RIGHTS) arrives with the frame's bytes.
    ssize_t k = RecvWithFds(fd, p + got, n - got, fds);
    if (k < 0 && errno == ENOTSOCK) k = read(fd, p + got, n - got);
    if (k < 0 && (errno == EINTR || errno == EAGAIN)) continue;
    if (k < 0) return -1;
    if (k == 0) {
      if (got == 0) return 0;
      errno = EPROTO;
      return -1;
    }
    got += (size_t)k;
  }
  return 1;
}

static Napi::Value RecvMsg(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  int64_t fd, timeout;
  if (!ArgInt(info, 0, &fd) || !ArgIntOr(info, 1, -1, &timeout)) return env.Undefined();
  int64_t deadline = timeout < 0 ? -1 : NowMs() + timeout;
  uint8_t hdr[8];
  std::vector<int> fds;
  int r = ReadFull((int)fd, hdr, 8, deadline, &fds);
  if (r == 0) return env.Null();
  if (r < 0) return ThrowErrno(env, errno, "recv");
  uint32_t len = (uint32_t)hdr[0] | (uint32_t)hdr[1] << 8 | (uint32_t)hdr[2] << 16 | (uint32_t)hdr[3] << 24;
  if (len > kMaxPayload) return ThrowErrno(env, EMSGSIZE, "recv");
  Napi::ArrayBuffer buf = Napi::ArrayBuffer::New(env, len);
  r = len ? ReadFull((int)fd, (uint8_t *)buf.Data(), len, deadline) : 1;
  if (r != 1) return ThrowErrno(env, r == 0 ? EPROTO : errno, "recv");
  Napi::Object out = Napi::Object::New(env);
  out.Set("type", Napi::Number::New(env, hdr[4] | hdr[5] << 8));
  out.Set("payload", Napi::Uint8Array::New(env, len, buf, 0));
  Napi::Array fdArr = Napi::Array::New(env, fds.size());
  for (size_t i = 0; i < fds.size(); i++) fdArr.Set((uint32_t)i, Napi::Number::New(env, fds[i]));
  out.Set("fds", fdArr);
  return out;
}

void InitMsg(Napi::Env env, Napi::Object exports) {
  exports.Set("sendMsg", Napi::Function::New(env, SendMsg, "sendMsg"));
  exports.Set("recvMsg", Napi::Function::New(env, RecvMsg, "recvMsg"));
}

}  // namespace tsrun
