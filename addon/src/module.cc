// Entry point: each source file registers its own functions. Plain N-API only (Node and Bun).
#include "addon.h"

namespace tsrun {
void InitSeccomp(Napi::Env env, Napi::Object exports);  // seccomp.cc
}

static Napi::Object Init(Napi::Env env, Napi::Object exports) {
  tsrun::InitFd(env, exports);
  tsrun::InitMsg(env, exports);
  tsrun::InitSpawn(env, exports);
  tsrun::InitPidfd(env, exports);
  tsrun::InitSeccomp(env, exports);
  tsrun::InitConsole(env, exports);
  tsrun::InitBpf(env, exports);
  tsrun::InitFiles(env, exports);
  return exports;
}

NODE_API_MODULE(tsrun, Init)
