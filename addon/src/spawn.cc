// sealedExecFd + spawn: run tsrun-init from a sealed memfd without ever forking Node.
//
// Node is multithreaded, so the child of a clone must not touch anything another thread may hold
// (malloc, locks, N-API). We clone3(CLONE_VM|CLONE_VFORK): the child shares our memory, runs only
// async-signal-safe code over data prepared below, and execs; Node's thread waits meanwhile. The
// sealed memfd copy means the container can never write through /proc/<pid>/exe to a host binary.
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include <string>
#include <vector>
#include "addon.h"
#include "spawn.h"

#ifndef MFD_EXEC
#define MFD_EXEC 0x0010U
#endif
#ifndef CLONE_PIDFD
#define CLONE_PIDFD 0x1000
#endif
#define TSR_CLONE_INTO_CGROUP 0x200000000ULL
#ifndef SYS_close_range
#define SYS_close_range 436
#endif
#ifndef P_PIDFD
#define P_PIDFD 3
#endif

namespace tsrun {

// ---- sealedExecFd ----------------------------------------------------------------------------

static int CopyInto(int dst, int src) {
  char buf[65536];
  for (;;) {
    ssize_t n = read(src, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return (int)n;
    for (ssize_t off = 0; off < n;) {
      ssize_t w = write(dst, buf + off, (size_t)(n - off));
      if (w < 0 && errno == EINTR) continue;
      if (w < 0) return -1;
      off += w;
    }
  }
}

static Napi::Value SealedExecFd(const Napi::CallbackInfo &info) {
  std::string path;
  if (!ArgStr(info, 0, &path)) return info.Env().Undefined();
  int src = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (src < 0) return ThrowErrno(info.Env(), errno, "open", path);
  // MFD_EXEC keeps the memfd executable under vm.memfd_noexec=1; kernels before 6.3 reject it.
  int mfd = memfd_create("tsrun-init", MFD_CLOEXEC | MFD_ALLOW_SEALING | MFD_EXEC);
  if (mfd < 0 && errno == EINVAL) mfd = memfd_create("tsrun-init", MFD_CLOEXEC | MFD_ALLOW_SEALING);
  const char *what = mfd < 0 ? "memfd_create" : nullptr;
  if (!what && CopyInto(mfd, src) < 0) what = "write";
  if (!what && fcntl(mfd, F_ADD_SEALS, F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE) < 0) what = "fcntl";
  int err = errno;
  close(src);
  if (what) {
    if (mfd >= 0) close(mfd);
    return ThrowErrno(info.Env(), err, what, path);
  }
  return Napi::Number::New(info.Env(), mfd);
}

// ---- spawn -----------------------------------------------------------------------------------

// Everything the child reads, built before the clone. It writes back err/step only: with CLONE_VM
// that memory is ours, and CLONE_VFORK guarantees we read it after the child has exec'd or exited.
struct ChildPlan {
  int exec_fd;
  char *const *argv;
  char *const *envp;
  const int *src;  // src[i]: our fd that becomes fd i, or -1
  int *tmp;        // scratch: src[i] copied above the layout
  int n;           // number of target slots
  volatile int err;
  const char *volatile step;
};

struct KernelSigaction {  // the kernel's struct sigaction (x86_64, aarch64)
  void (*handler)(int);
  unsigned long flags;
  void (*restorer)(void);
  uint64_t mask;
};

[[noreturn]] static void ChildFail(ChildPlan *p, const char *step) {
  p->err = errno;
  p->step = step;
  _exit(127);
}

// Runs in the clone child: async-signal-safe syscalls only; no malloc, no locks, no exceptions.
static int ChildMain(void *arg) {
  ChildPlan *p = static_cast<ChildPlan *>(arg);
  // Reset every handler first (all signals are still blocked, see Spawn): Node's handlers must not
  // run in here, and an inherited SIG_IGN (Node ignores SIGPIPE) would survive the exec.
  KernelSigaction dfl = {SIG_DFL, 0, nullptr, 0};
  for (int sig = 1; sig < 65; sig++) syscall(SYS_rt_sigaction, sig, &dfl, nullptr, 8);

  // Copy every source above the highest target first, so a source whose number is also a target
  // cannot be overwritten before it is used. The copies are CLOEXEC; dup2 into place is not, which
  // also clears the O_CLOEXEC Node leaves on 0-2.
  int exec_fd = fcntl(p->exec_fd, F_DUPFD_CLOEXEC, p->n);
  if (exec_fd < 0) ChildFail(p, "dup");
  for (int i = 0; i < p->n; i++) {
    p->tmp[i] = p->src[i] < 0 ? -1 : fcntl(p->src[i], F_DUPFD_CLOEXEC, p->n);
    if (p->src[i] >= 0 && p->tmp[i] < 0) ChildFail(p, "dup");
  }
  for (int i = 0; i < p->n; i++) {
    if (p->tmp[i] < 0) close(i);  // a -1 slot stays closed
    else if (dup2(p->tmp[i], i) < 0) ChildFail(p, "dup2");
  }
  // Close everything else but the exec fd (it is CLOEXEC, so the exec drops it).
  if (exec_fd > p->n && syscall(SYS_close_range, p->n, exec_fd - 1, 0) < 0) ChildFail(p, "close_range");
  if (syscall(SYS_close_range, exec_fd + 1, ~0U, 0) < 0) ChildFail(p, "close_range");

  uint64_t none = 0;
  syscall(SYS_rt_sigprocmask, SIG_SETMASK, &none, nullptr, 8);
  syscall(SYS_execveat, exec_fd, "", p->argv, p->envp, AT_EMPTY_PATH);
  ChildFail(p, "execveat");
}

static bool ReadSpawnOptions(const Napi::CallbackInfo &info, int64_t *exec_fd, int64_t *cgroup_fd,
                             std::vector<std::string> *argv, std::vector<int> *fds) {
  if (info.Length() < 1 || !info[0].IsObject()) return ThrowArg(info, 0, "a SpawnOptions object");
  Napi::Object o = info[0].As<Napi::Object>();
  Napi::Value ef = o.Get("execFd"), av = o.Get("argv"), fv = o.Get("fds"), cg = o.Get("cgroupFd");
  if (!ef.IsNumber()) return ThrowArg(info, 0, "an object with a numeric execFd");
  if (!av.IsArray() || av.As<Napi::Array>().Length() == 0) return ThrowArg(info, 0, "an object with a non-empty argv");
  if (!fv.IsArray()) return ThrowArg(info, 0, "an object with an fds array");
  *exec_fd = ef.As<Napi::Number>().Int64Value();
  *cgroup_fd = cg.IsNumber() ? cg.As<Napi::Number>().Int64Value() : -1;
  Napi::Array a = av.As<Napi::Array>();
  for (uint32_t i = 0; i < a.Length(); i++) {
    Napi::Value v = a.Get(i);
    if (!v.IsString()) return ThrowArg(info, 0, "an object whose argv holds strings");
    argv->push_back(v.As<Napi::String>().Utf8Value());
  }
  Napi::Array f = fv.As<Napi::Array>();
  for (uint32_t i = 0; i < f.Length(); i++) {
    Napi::Value v = f.Get(i);
    if (!v.IsNumber()) return ThrowArg(info, 0, "an object whose fds holds numbers");
    fds->push_back(v.As<Napi::Number>().Int32Value());
  }
  return true;
}

static Napi::Value Spawn(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  int64_t exec_fd, cgroup_fd;
  std::vector<std::string> args;
  std::vector<int> fds;
  if (!ReadSpawnOptions(info, &exec_fd, &cgroup_fd, &args, &fds)) return env.Undefined();

  std::vector<char *> argv;
  for (auto &s : args) argv.push_back(const_cast<char *>(s.c_str()));
  argv.push_back(nullptr);
  char *envp[] = {nullptr};
  std::vector<int> tmp(fds.size() + 1);
  ChildPlan plan = {(int)exec_fd, argv.data(), envp, fds.data(), tmp.data(), (int)fds.size(), 0, nullptr};

  const size_t stack_size = 64 * 1024;
  void *stack = mmap(nullptr, stack_size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
  if (stack == MAP_FAILED) return ThrowErrno(env, errno, "mmap");

  int pidfd = -1;
  tsrun_clone_args ca;
  memset(&ca, 0, sizeof ca);
  ca.flags = CLONE_VM | CLONE_VFORK | CLONE_PIDFD | (cgroup_fd >= 0 ? TSR_CLONE_INTO_CGROUP : 0);
  ca.pidfd = (uint64_t)(uintptr_t)&pidfd;
  ca.exit_signal = SIGCHLD;
  ca.stack = (uint64_t)(uintptr_t)stack;
  ca.stack_size = stack_size;
  ca.cgroup = cgroup_fd >= 0 ? (uint64_t)cgroup_fd : 0;

  // Block every signal across the clone so none is delivered to the child before it has reset the
  // handlers (a Node handler running there would run on shared memory).
  sigset_t all, old;
  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, &old);
  long pid = tsrun_clone3(&ca, sizeof ca, ChildMain, &plan);
  pthread_sigmask(SIG_SETMASK, &old, nullptr);
  munmap(stack, stack_size);

  if (pid < 0) return ThrowErrno(env, (int)-pid, "clone3");
  if (plan.err != 0) {
    // The child already _exit(127)ed: reap it so no zombie is left behind.
    siginfo_t si;
    while (syscall(SYS_waitid, P_PIDFD, pidfd, &si, WEXITED, nullptr) < 0 && errno == EINTR) {}
    close(pidfd);
    return ThrowErrno(env, plan.err, plan.step);
  }
  Napi::Object out = Napi::Object::New(env);
  out.Set("pid", Napi::Number::New(env, (double)pid));
  out.Set("pidfd", Napi::Number::New(env, pidfd));
  return out;
}

void InitSpawn(Napi::Env env, Napi::Object exports) {
  exports.Set("sealedExecFd", Napi::Function::New(env, SealedExecFd, "sealedExecFd"));
  exports.Set("spawn", Napi::Function::New(env, Spawn, "spawn"));
}

}  // namespace tsrun
