// Shared declarations of the tsrun addon: thin, synchronous syscall wrappers (see src/sys/native.ts).
#pragma once
#include <napi.h>
#include <string>
#include <sys/types.h>
#include <vector>

namespace tsrun {

// Throws an Error shaped like Node's fs errors: code ("ENOENT"), errno (the positive errno number),
// syscall, path (when given) and a message "<syscall> <path>: <strerror>". Returns undefined.
Napi::Value ThrowErrno(Napi::Env env, int err, const char *syscall, const std::string &path = "");
// The same error, not thrown (to reject a promise with).
Napi::Error ErrnoError(Napi::Env env, int err, const char *syscall, const std::string &path = "");
// Throws a TypeError about argument i; returns false so callers can `if (!Arg...) return`.
bool ThrowArg(const Napi::CallbackInfo &info, size_t i, const char *what);

// Argument readers: false (with a TypeError thrown) when argument i is missing or of the wrong type.
bool ArgInt(const Napi::CallbackInfo &info, size_t i, int64_t *out);
bool ArgStr(const Napi::CallbackInfo &info, size_t i, std::string *out);
// An optional number: def when argument i is missing or undefined.
bool ArgIntOr(const Napi::CallbackInfo &info, size_t i, int64_t def, int64_t *out);

// open(2) with O_CLOEXEC added, retried on EINTR; -1 with errno.
int OpenCloexec(const char *path, int flags, mode_t mode);

// Connects to a unix stream socket path (long paths through /proc/self/fd); -1 with errno and *what.
int ConnectUnixPath(const std::string &path, const char **what);

// recvmsg that collects SCM_RIGHTS fds (O_CLOEXEC) into *fds, or closes them when fds is null.
ssize_t RecvWithFds(int sock, void *buf, size_t len, std::vector<int> *fds);

// module registration pieces, one per source file
void InitFd(Napi::Env env, Napi::Object exports);      // fd.cc
void InitMsg(Napi::Env env, Napi::Object exports);     // msg.cc
void InitSpawn(Napi::Env env, Napi::Object exports);   // spawn.cc
void InitPidfd(Napi::Env env, Napi::Object exports);   // pidfd.cc
void InitConsole(Napi::Env env, Napi::Object exports); // console.cc
void InitBpf(Napi::Env env, Napi::Object exports);     // bpf.cc
void InitFiles(Napi::Env env, Napi::Object exports);   // files.cc

}  // namespace tsrun
