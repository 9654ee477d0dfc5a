// Loads a cgroup device program (BPF_PROG_TYPE_CGROUP_DEVICE) and attaches it to a cgroup v2
// directory: how device rules are enforced without the v1 devices controller. The program itself is
// assembled in TypeScript (src/cgroups/device-bpf.ts).
#include <errno.h>
#include <linux/bpf.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>
#include "addon.h"

namespace tsrun {

static Napi::Value AttachDeviceFilter(const Napi::CallbackInfo &info) {
  if (info.Length() < 2 || !info[0].IsTypedArray()) {
    ThrowArg(info, 0, "a Uint8Array of BPF instructions");
    return info.Env().Undefined();
  }
  Napi::Uint8Array insns = info[0].As<Napi::Uint8Array>();
  int64_t cgfd;
  if (!ArgInt(info, 1, &cgfd)) return info.Env().Undefined();
  union bpf_attr load;
  memset(&load, 0, sizeof load);
  load.prog_type = BPF_PROG_TYPE_CGROUP_DEVICE;
  load.insns = (uint64_t)(uintptr_t)insns.Data();
  load.insn_cnt = (uint32_t)(insns.ByteLength() / 8);
  load.license = (uint64_t)(uintptr_t)"Apache";
  // No verifier log on the normal path: a full log that outgrows its buffer fails the load (ENOSPC).
  int prog = (int)syscall(SYS_bpf, BPF_PROG_LOAD, &load, sizeof load);
  if (prog < 0) {
    int e = errno;
    // Load again with the log, only to say why.
    static char log[65536];
    log[0] = 0;
    load.log_buf = (uint64_t)(uintptr_t)log;
    load.log_size = sizeof log;
    load.log_level = 1;
    if (syscall(SYS_bpf, BPF_PROG_LOAD, &load, sizeof load) >= 0) log[0] = 0;
    size_t n = strlen(log);
    return ThrowErrno(info.Env(), e, "bpf(BPF_PROG_LOAD)", n > 300 ? std::string(log + n - 300) : std::string(log));
  }
  union bpf_attr attach;
  memset(&attach, 0, sizeof attach);
  attach.target_fd = (uint32_t)cgfd;
  attach.attach_bpf_fd = (uint32_t)prog;
  attach.attach_type = BPF_CGROUP_DEVICE;
  attach.attach_flags = BPF_F_ALLOW_MULTI;
  int r = (int)syscall(SYS_bpf, BPF_PROG_ATTACH, &attach, sizeof attach);
  int e = errno;
  close(prog);  // the attachment keeps the program alive
  if (r < 0) return ThrowErrno(info.Env(), e, "bpf(BPF_PROG_ATTACH)");
  return info.Env().Undefined();
}

void InitBpf(Napi::Env env, Napi::Object exports) {
  exports.Set("attachDeviceFilter", Napi::Function::New(env, AttachDeviceFilter));
}

}  // namespace tsrun
