// Process handles: pidfd_open, pidfd_send_signal, waitid(P_PIDFD), poll, child subreaper.
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <algorithm>
#include <vector>
#include "addon.h"

#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif
#ifndef SYS_pidfd_send_signal
#define SYS_pidfd_send_signal 424
#endif
#ifndef P_PIDFD
#define P_PIDFD 3
#endif

namespace tsrun {

static Napi::Value PidfdOpen(const Napi::CallbackInfo &info) {
  int64_t pid;
  if (!ArgInt(info, 0, &pid)) return info.Env().Undefined();
  long fd = syscall(SYS_pidfd_open, (pid_t)pid, 0);  // pidfds are always O_CLOEXEC
  if (fd < 0) return ThrowErrno(info.Env(), errno, "pidfd_open", std::to_string(pid));
  return Napi::Number::New(info.Env(), (double)fd);
}

static Napi::Value PidfdSendSignal(const Napi::CallbackInfo &info) {
  int64_t fd, sig;
  if (!ArgInt(info, 0, &fd) || !ArgInt(info, 1, &sig)) return info.Env().Undefined();
  if (syscall(SYS_pidfd_send_signal, (int)fd, (int)sig, nullptr, 0) < 0)
    return ThrowErrno(info.Env(), errno, "pidfd_send_signal");
  return info.Env().Undefined();
}

static Napi::Object WaitResult(Napi::Env env, const siginfo_t &si) {
  Napi::Object out = Napi::Object::New(env);
  if (si.si_code == CLD_EXITED) out.Set("code", Napi::Number::New(env, si.si_status));
  else out.Set("signal", Napi::Number::New(env, si.si_status));
  return out;
}

static Napi::Value WaitPidfd(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  int64_t fd;
  if (!ArgInt(info, 0, &fd)) return env.Undefined();
  bool nohang = info.Length() > 1 && info[1].ToBoolean().Value();
  siginfo_t si;
  memset(&si, 0, sizeof si);
  long r;
  // Raw syscall: the libc wrapper may not know P_PIDFD.
  do r = syscall(SYS_waitid, P_PIDFD, (int)fd, &si, WEXITED | (nohang ? WNOHANG : 0), nullptr);
  while (r < 0 && errno == EINTR);
  if (r < 0) return ThrowErrno(env, errno, "waitid");
  if (si.si_pid == 0) return env.Null();  // WNOHANG and still running
  return WaitResult(env, si);
}

// waitPidfdAsync(pidfd): a promise of the exit, the waitid(P_PIDFD) blocking on a worker thread. The
// event loop stays free (signals to forward), and the exit is seen at once rather than at the next poll.
class WaitWorker : public Napi::AsyncWorker {
 public:
  WaitWorker(Napi::Env env, int fd) : Napi::AsyncWorker(env, "tsrun.waitPidfd"), fd_(fd), deferred_(Napi::Promise::Deferred::New(env)) {}
  Napi::Promise Promise() { return deferred_.Promise(); }

 protected:
  void Execute() override {
    memset(&si_, 0, sizeof si_);
    long r;
    do r = syscall(SYS_waitid, P_PIDFD, fd_, &si_, WEXITED, nullptr);
    while (r < 0 && errno == EINTR);
    err_ = r < 0 ? errno : 0;
  }
  void OnOK() override {
    Napi::HandleScope scope(Env());
    if (err_) deferred_.Reject(ErrnoError(Env(), err_, "waitid").Value());
    else deferred_.Resolve(WaitResult(Env(), si_));
  }

 private:
  int fd_;
  int err_ = 0;
  siginfo_t si_;
  Napi::Promise::Deferred deferred_;
};

static Napi::Value WaitPidfdAsync(const Napi::CallbackInfo &info) {
  int64_t fd;
  if (!ArgInt(info, 0, &fd)) return info.Env().Undefined();
  WaitWorker *w = new WaitWorker(info.Env(), (int)fd);
  Napi::Promise p = w->Promise();
  w->Queue();
  return p;
}

static int64_t NowMs() {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static Napi::Value Poll(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  int64_t events, timeout;
  if (info.Length() < 1 || !info[0].IsArray()) {
    ThrowArg(info, 0, "an array of fds");
    return env.Undefined();
  }
  if (!ArgInt(info, 1, &events) || !ArgIntOr(info, 2, -1, &timeout)) return env.Undefined();
  Napi::Array fds = info[0].As<Napi::Array>();
  std::vector<struct pollfd> p(fds.Length());
  for (uint32_t i = 0; i < p.size(); i++) {
    Napi::Value v = fds.Get(i);
    if (!v.IsNumber()) {
      ThrowArg(info, 0, "an array of fds");
      return env.Undefined();
    }
    p[i].fd = v.As<Napi::Number>().Int32Value();
    p[i].events = (short)events;
  }
  int64_t deadline = timeout < 0 ? -1 : NowMs() + timeout;
  int r;
  for (;;) {
    int wait = deadline < 0 ? -1 : (int)std::max<int64_t>(0, deadline - NowMs());
    r = poll(p.data(), p.size(), wait);
    if (r >= 0 || errno != EINTR) break;
  }
  if (r < 0) return ThrowErrno(env, errno, "poll");
  Napi::Array out = Napi::Array::New(env, p.size());
  for (uint32_t i = 0; i < p.size(); i++) out.Set(i, Napi::Number::New(env, p[i].revents));
  return out;
}

static Napi::Value SetSubreaper(const Napi::CallbackInfo &info) {
  if (prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) < 0) return ThrowErrno(info.Env(), errno, "prctl");
  return info.Env().Undefined();
}

void InitPidfd(Napi::Env env, Napi::Object exports) {
  exports.Set("pidfdOpen", Napi::Function::New(env, PidfdOpen, "pidfdOpen"));
  exports.Set("pidfdSendSignal", Napi::Function::New(env, PidfdSendSignal, "pidfdSendSignal"));
  exports.Set("waitPidfd", Napi::Function::New(env, WaitPidfd, "waitPidfd"));
  exports.Set("waitPidfdAsync", Napi::Function::New(env, WaitPidfdAsync, "waitPidfdAsync"));
  exports.Set("poll", Napi::Function::New(env, Poll, "poll"));
  exports.Set("setSubreaper", Napi::Function::New(env, SetSubreaper, "setSubreaper"));
}

}  // namespace tsrun
