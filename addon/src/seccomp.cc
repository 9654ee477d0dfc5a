// compileSeccomp: libseccomp -> classic BPF bytes, compiled in the runtime and loaded by tsrun-init.
// Mechanism only: every name, action, operator and arch arrives already resolved to libseccomp's
// numbers by src/seccomp/; the only lookups here are syscall names (which libseccomp owns).
#include <errno.h>
#include <linux/seccomp.h>
#include <seccomp.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <algorithm>
#include <string>
#include <vector>
#include "addon.h"

namespace tsrun {

namespace {

struct Ctx {
  scmp_filter_ctx f;
  explicit Ctx(uint32_t def) : f(seccomp_init(def)) {}
  ~Ctx() { if (f) seccomp_release(f); }
};

struct Fd {
  int fd;
  ~Fd() { if (fd >= 0) close(fd); }
};

uint32_t U32(Napi::Value v) { return v.As<Napi::Number>().Uint32Value(); }

// A u64 that never went through a double: only BigInt is accepted.
bool U64(Napi::Env env, Napi::Value v, uint64_t *out) {
  bool lossless = false;
  if (!v.IsBigInt()) {
    Napi::TypeError::New(env, "seccomp argument values must be BigInt").ThrowAsJavaScriptException();
    return false;
  }
  *out = v.As<Napi::BigInt>().Uint64Value(&lossless);
  if (!lossless) {
    Napi::RangeError::New(env, "seccomp argument value out of the u64 range").ThrowAsJavaScriptException();
    return false;
  }
  return true;
}

// ThrowErrno plus the index of the input element that failed, so the caller can name its config path.
Napi::Value ThrowAt(Napi::Env env, int err, const char *syscall, const std::string &what, uint32_t index) {
  ThrowErrno(env, err, syscall, what);
  Napi::Error e = env.GetAndClearPendingException();
  e.Set("index", Napi::Number::New(env, index));
  e.ThrowAsJavaScriptException();
  return env.Undefined();
}

// Reads the whole exported program back from the memfd.
bool ReadAll(int fd, std::vector<uint8_t> *out) {
  off_t len = lseek(fd, 0, SEEK_END);
  if (len < 0 || lseek(fd, 0, SEEK_SET) < 0) return false;
  out->resize((size_t)len);
  size_t got = 0;
  while (got < out->size()) {
    ssize_t r = read(fd, out->data() + got, out->size() - got);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) {
      if (r == 0) errno = EIO;
      return false;
    }
    got += (size_t)r;
  }
  return true;
}

}  // namespace

// compileSeccomp({defaultAction, arches, rules: [{name, action, args: [{index, op, a, b}]}], probe, optimize})
//   -> {bpf, skipped, lastSyscalls: [{arch, nr}]}
static Napi::Value CompileSeccomp(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsObject()) {
    ThrowArg(info, 0, "a filter object");
    return env.Undefined();
  }
  Napi::Object in = info[0].As<Napi::Object>();
  if (!in.Get("arches").IsArray() || !in.Get("rules").IsArray() || !in.Get("probe").IsArray()) {
    ThrowArg(info, 0, "{defaultAction, arches[], rules[], probe[]}");
    return env.Undefined();
  }
  Napi::Array arches = in.Get("arches").As<Napi::Array>();
  Napi::Array rules = in.Get("rules").As<Napi::Array>();
  Napi::Array probe = in.Get("probe").As<Napi::Array>();

  Ctx ctx(U32(in.Get("defaultAction")));
  if (!ctx.f) return ThrowErrno(env, EINVAL, "seccomp_init");
  int rc;
  // tsrun-init sets no_new_privs itself (or not, as process.noNewPrivileges says).
  if ((rc = seccomp_attr_set(ctx.f, SCMP_FLTATR_CTL_NNP, 0)) < 0) return ThrowErrno(env, -rc, "seccomp_attr_set", "SCMP_FLTATR_CTL_NNP");
  // A binary tree of syscalls for long rule sets (runc's threshold); an old libseccomp may refuse: fine.
  if (in.Get("optimize").ToBoolean().Value()) seccomp_attr_set(ctx.f, SCMP_FLTATR_CTL_OPTIMIZE, 2);

  // The native arch is always in the filter (seccomp_init); listed ones are added beside it.
  std::vector<uint32_t> inFilter{seccomp_arch_native()};
  for (uint32_t i = 0; i < arches.Length(); i++) {
    uint32_t a = U32(arches.Get(i));
    rc = seccomp_arch_add(ctx.f, a);
    if (rc == -EEXIST) continue;
    if (rc < 0) return ThrowAt(env, -rc, "seccomp_arch_add", std::to_string(a), i);
    inFilter.push_back(a);
  }

  Napi::Array skipped = Napi::Array::New(env);
  for (uint32_t i = 0; i < rules.Length(); i++) {
    Napi::Object r = rules.Get(i).As<Napi::Object>();
    std::string name = r.Get("name").As<Napi::String>().Utf8Value();
    int nr = seccomp_syscall_resolve_name(name.c_str());
    if (nr == __NR_SCMP_ERROR) {  // unknown to libseccomp: skipped, as runc does
      skipped.Set(skipped.Length(), name);
      continue;
    }
    Napi::Array args = r.Get("args").As<Napi::Array>();
    std::vector<scmp_arg_cmp> cmp(args.Length());
    for (uint32_t j = 0; j < cmp.size(); j++) {
      Napi::Object c = args.Get(j).As<Napi::Object>();
      cmp[j].arg = U32(c.Get("index"));
      cmp[j].op = (scmp_compare)U32(c.Get("op"));
      if (!U64(env, c.Get("a"), &cmp[j].datum_a) || !U64(env, c.Get("b"), &cmp[j].datum_b)) return env.Undefined();
    }
    rc = seccomp_rule_add_array(ctx.f, U32(r.Get("action")), nr, (unsigned)cmp.size(), cmp.data());
    if (rc < 0) return ThrowAt(env, -rc, "seccomp_rule_add", name, i);
  }

  // Highest syscall number per arch among the probe names (for the ENOSYS stub built in TS).
  Napi::Array last = Napi::Array::New(env);
  for (uint32_t a : inFilter) {
    int max = -1;
    for (uint32_t i = 0; i < probe.Length(); i++) {
      std::string name = probe.Get(i).As<Napi::String>().Utf8Value();
      max = std::max(max, seccomp_syscall_resolve_name_arch(a, name.c_str()));
    }
    Napi::Object o = Napi::Object::New(env);
    o.Set("arch", Napi::Number::New(env, a));
    o.Set("nr", Napi::Number::New(env, max));
    last.Set(last.Length(), o);
  }

  Fd mem{memfd_create("tsrun-seccomp", MFD_CLOEXEC)};
  if (mem.fd < 0) return ThrowErrno(env, errno, "memfd_create");
  if ((rc = seccomp_export_bpf(ctx.f, mem.fd)) < 0) return ThrowErrno(env, -rc, "seccomp_export_bpf");
  std::vector<uint8_t> bpf;
  if (!ReadAll(mem.fd, &bpf)) return ThrowErrno(env, errno, "read", "seccomp bpf");

  Napi::Object out = Napi::Object::New(env);
  Napi::Uint8Array bytes = Napi::Uint8Array::New(env, bpf.size());
  std::copy(bpf.begin(), bpf.end(), bytes.Data());
  out.Set("bpf", bytes);
  out.Set("skipped", skipped);
  out.Set("lastSyscalls", last);
  return out;
}

// seccompFlagsSupported(flags): does the kernel accept these SECCOMP_FILTER_FLAG_* bits? It checks
// the flags before it reads the program, so a NULL program gives EFAULT for flags it knows and
// EINVAL for the others; nothing is installed either way (the same probe libseccomp makes).
Napi::Value SeccompFlagsSupported(const Napi::CallbackInfo &info) {
  long rc = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, U32(info[0]), nullptr);
  return Napi::Boolean::New(info.Env(), rc < 0 && errno == EFAULT);
}

// seccompArchKnown(token): can this libseccomp add the SCMP_ARCH_* token to a filter (for `features`)?
Napi::Value SeccompArchKnown(const Napi::CallbackInfo &info) {
  Ctx ctx(SCMP_ACT_ALLOW);
  if (!ctx.f) return ThrowErrno(info.Env(), ENOMEM, "seccomp_init");
  int rc = seccomp_arch_add(ctx.f, U32(info[0]));
  return Napi::Boolean::New(info.Env(), rc == 0 || rc == -EEXIST);
}

// libseccompVersion(): "major.minor.micro" of the libseccomp linked in (for `features`).
Napi::Value LibseccompVersion(const Napi::CallbackInfo &info) {
  const scmp_version *v = seccomp_version();
  return Napi::String::New(info.Env(), std::to_string(v->major) + "." + std::to_string(v->minor) + "." + std::to_string(v->micro));
}

void InitSeccomp(Napi::Env env, Napi::Object exports) {
  exports.Set("compileSeccomp", Napi::Function::New(env, CompileSeccomp, "compileSeccomp"));
  exports.Set("seccompFlagsSupported", Napi::Function::New(env, SeccompFlagsSupported, "seccompFlagsSupported"));
  exports.Set("seccompArchKnown", Napi::Function::New(env, SeccompArchKnown, "seccompArchKnown"));
  exports.Set("libseccompVersion", Napi::Function::New(env, LibseccompVersion, "libseccompVersion"));
}

}  // namespace tsrun
