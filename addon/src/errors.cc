// Error objects and argument checking shared by every wrapper.
#include <string.h>
#include <cstdio>
#include "addon.h"

namespace tsrun {

static std::string ErrnoName(int err) {
#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 32))
  if (const char *name = strerrorname_np(err)) return name;
#endif
  char buf[16];
  std::snprintf(buf, sizeof buf, "E%d", err);
  return buf;
}

Napi::Value ThrowErrno(Napi::Env env, int err, const char *syscall, const std::string &path) {
  ErrnoError(env, err, syscall, path).ThrowAsJavaScriptException();
  return env.Undefined();
}

Napi::Error ErrnoError(Napi::Env env, int err, const char *syscall, const std::string &path) {
  std::string msg = syscall;
  if (!path.empty()) msg += " " + path;
  msg += ": ";
  msg += strerror(err);
  Napi::Error e = Napi::Error::New(env, msg);
  e.Set("code", Napi::String::New(env, ErrnoName(err)));
  e.Set("errno", Napi::Number::New(env, err));
  e.Set("syscall", Napi::String::New(env, syscall));
  if (!path.empty()) e.Set("path", Napi::String::New(env, path));
  return e;
}

bool ThrowArg(const Napi::CallbackInfo &info, size_t i, const char *what) {
  std::string msg = "argument " + std::to_string(i) + " must be " + what;
  Napi::TypeError::New(info.Env(), msg).ThrowAsJavaScriptException();
  return false;
}

bool ArgInt(const Napi::CallbackInfo &info, size_t i, int64_t *out) {
  if (info.Length() <= i || !info[i].IsNumber()) return ThrowArg(info, i, "a number");
  *out = info[i].As<Napi::Number>().Int64Value();
  return true;
}

bool ArgIntOr(const Napi::CallbackInfo &info, size_t i, int64_t def, int64_t *out) {
  if (info.Length() <= i || info[i].IsUndefined()) {
    *out = def;
    return true;
  }
  return ArgInt(info, i, out);
}

bool ArgStr(const Napi::CallbackInfo &info, size_t i, std::string *out) {
  if (info.Length() <= i || !info[i].IsString()) return ThrowArg(info, i, "a string");
  *out = info[i].As<Napi::String>().Utf8Value();
  return true;
}

}  // namespace tsrun
