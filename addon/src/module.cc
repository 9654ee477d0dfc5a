// Entry point: each source file registers its own functions. Plain N-API only (Node and Bun).
#include "addon.h"

static Napi::Object Init(Napi::Env env, Napi::Object exports) {
  tsrun::InitFd(env, exports);
  tsrun::InitMsg(env, exports);
  tsrun::InitSpawn(env, exports);
  tsrun::InitPidfd(env, exports);
  return exports;
}

NODE_API_MODULE(tsrun, Init)
