// File-system syscalls for src/sys/fs.ts. Why not node:fs: in Bun, node:fs is a JS module compiled at
// first use (~4.5 ms, a quarter of a `tsrun state`); these wrappers cost nothing until called and
// behave the same under Node and Bun. Errors are Node-shaped (see ThrowErrno).
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>
#include "addon.h"

namespace tsrun {

// Reads fd to EOF. Files in /proc and /sys report size 0, so the buffer grows as needed.
static bool ReadAll(int fd, std::string *out) {
  struct stat st;
  size_t cap = fstat(fd, &st) == 0 && st.st_size > 0 ? (size_t)st.st_size + 1 : 4096;
  out->resize(cap);
  size_t len = 0;
  for (;;) {
    if (len == out->size()) out->resize(out->size() * 2);
    ssize_t n = read(fd, &(*out)[len], out->size() - len);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return false;
    if (n == 0) break;
    len += (size_t)n;
  }
  out->resize(len);
  return true;
}

// Bytes of argument i: a string (UTF-8) or any TypedArray / Buffer.
static bool ArgBytes(const Napi::CallbackInfo &info, size_t i, std::string *tmp, const char **p, size_t *n) {
  if (info.Length() > i && info[i].IsString()) {
    *tmp = info[i].As<Napi::String>().Utf8Value();
    *p = tmp->data();
    *n = tmp->size();
    return true;
  }
  if (info.Length() > i && info[i].IsTypedArray()) {
    Napi::TypedArray ta = info[i].As<Napi::TypedArray>();
    *p = (const char *)ta.ArrayBuffer().Data() + ta.ByteOffset();
    *n = ta.ByteLength();
    return true;
  }
  return ThrowArg(info, i, "a string or a Uint8Array");
}

static bool WriteAll(int fd, const char *p, size_t n) {
  while (n > 0) {
    ssize_t w = write(fd, p, n);
    if (w < 0 && errno == EINTR) continue;
    if (w < 0) return false;
    p += w;
    n -= (size_t)w;
  }
  return true;
}

// readFile(path, text): the whole file, as a string (UTF-8) when text, else a Buffer.
static Napi::Value ReadFile(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  std::string path, data;
  if (!ArgStr(info, 0, &path)) return env.Undefined();
  bool text = info.Length() > 1 && info[1].ToBoolean();
  int fd = OpenCloexec(path.c_str(), O_RDONLY, 0);
  if (fd < 0) return ThrowErrno(env, errno, "open", path);
  bool ok = ReadAll(fd, &data);
  int err = errno;
  close(fd);
  if (!ok) return ThrowErrno(env, err, "read", path);
  if (text) return Napi::String::New(env, data.data(), data.size());
  return Napi::Buffer<char>::Copy(env, data.data(), data.size());
}

// writeFile(path, data, flags, mode): open, write all of it, close.
static Napi::Value WriteFile(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  std::string path, tmp;
  const char *p;
  size_t n;
  int64_t flags, mode;
  if (!ArgStr(info, 0, &path) || !ArgBytes(info, 1, &tmp, &p, &n) || !ArgInt(info, 2, &flags) || !ArgIntOr(info, 3, 0666, &mode)) return env.Undefined();
  int fd = OpenCloexec(path.c_str(), (int)flags, (mode_t)mode);
  if (fd < 0) return ThrowErrno(env, errno, "open", path);
  bool ok = WriteAll(fd, p, n);
  int err = errno;
  close(fd);
  if (!ok) return ThrowErrno(env, err, "write", path);
  return env.Undefined();
}

// write(fd, data, offset): one write(2) of data from offset, as Node's writeSync; returns the count.
static Napi::Value Write(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  int64_t fd, off;
  std::string tmp;
  const char *p;
  size_t n;
  if (!ArgInt(info, 0, &fd) || !ArgBytes(info, 1, &tmp, &p, &n) || !ArgIntOr(info, 2, 0, &off)) return env.Undefined();
  if (off < 0 || (size_t)off > n) {
    ThrowArg(info, 2, "an offset inside the data");
    return env.Undefined();
  }
  ssize_t w;
  do w = write((int)fd, p + off, n - (size_t)off); while (w < 0 && errno == EINTR);
  if (w < 0) return ThrowErrno(env, errno, "write");
  return Napi::Number::New(env, (double)w);
}

// read(fd, buffer, offset, length, position): one read (pread when position >= 0); returns the count.
static Napi::Value Read(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  int64_t fd, off, len, pos;
  if (!ArgInt(info, 0, &fd)) return env.Undefined();
  if (info.Length() < 2 || !info[1].IsTypedArray()) {
    ThrowArg(info, 1, "a Uint8Array");
    return env.Undefined();
  }
  Napi::TypedArray ta = info[1].As<Napi::TypedArray>();
  if (!ArgIntOr(info, 2, 0, &off) || !ArgIntOr(info, 3, (int64_t)ta.ByteLength() - off, &len) || !ArgIntOr(info, 4, -1, &pos)) return env.Undefined();
  if (off < 0 || len < 0 || (size_t)(off + len) > ta.ByteLength()) {
    ThrowArg(info, 2, "a range inside the buffer");
    return env.Undefined();
  }
  char *p = (char *)ta.ArrayBuffer().Data() + ta.ByteOffset() + off;
  ssize_t r;
  do r = pos >= 0 ? pread((int)fd, p, (size_t)len, (off_t)pos) : read((int)fd, p, (size_t)len); while (r < 0 && errno == EINTR);
  if (r < 0) return ThrowErrno(env, errno, "read");
  return Napi::Number::New(env, (double)r);
}

static Napi::Value Close(const Napi::CallbackInfo &info) {
  int64_t fd;
  if (!ArgInt(info, 0, &fd)) return info.Env().Undefined();
  // No retry on EINTR: the fd is released either way on Linux.
  if (close((int)fd) < 0 && errno != EINTR) return ThrowErrno(info.Env(), errno, "close");
  return info.Env().Undefined();
}

// stat(path, how): how 0 = stat, 1 = lstat; fstat(fd). [dev, ino, mode, nlink, uid, gid, rdev, size,
// mtimeMs], or null when missing and quiet (how | 2).
static Napi::Value StatOut(Napi::Env env, const struct stat &st) {
  const double v[] = {(double)st.st_dev, (double)st.st_ino, (double)st.st_mode, (double)st.st_nlink, (double)st.st_uid,
                      (double)st.st_gid, (double)st.st_rdev, (double)st.st_size,
                      (double)st.st_mtim.tv_sec * 1e3 + (double)st.st_mtim.tv_nsec / 1e6};
  Napi::Array out = Napi::Array::New(env, sizeof v / sizeof v[0]);
  for (uint32_t i = 0; i < sizeof v / sizeof v[0]; i++) out.Set(i, Napi::Number::New(env, v[i]));
  return out;
}

static Napi::Value Stat(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  std::string path;
  int64_t how;
  if (!ArgStr(info, 0, &path) || !ArgIntOr(info, 1, 0, &how)) return env.Undefined();
  struct stat st;
  int r = (how & 1) ? lstat(path.c_str(), &st) : stat(path.c_str(), &st);
  if (r < 0 && (how & 2) && (errno == ENOENT || errno == ENOTDIR)) return env.Null();
  if (r < 0) return ThrowErrno(env, errno, (how & 1) ? "lstat" : "stat", path);
  return StatOut(env, st);
}

static Napi::Value Fstat(const Napi::CallbackInfo &info) {
  int64_t fd;
  if (!ArgInt(info, 0, &fd)) return info.Env().Undefined();
  struct stat st;
  if (fstat((int)fd, &st) < 0) return ThrowErrno(info.Env(), errno, "fstat");
  return StatOut(info.Env(), st);
}

// readdir(path): [names, d_types] (DT_UNKNOWN entries are lstat'ed), without . and ..
static Napi::Value Readdir(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  std::string path;
  if (!ArgStr(info, 0, &path)) return env.Undefined();
  int fd = OpenCloexec(path.c_str(), O_RDONLY | O_DIRECTORY, 0);
  if (fd < 0) return ThrowErrno(env, errno, "opendir", path);
  DIR *d = fdopendir(fd);
  if (!d) {
    int err = errno;
    close(fd);
    return ThrowErrno(env, err, "opendir", path);
  }
  Napi::Array names = Napi::Array::New(env), types = Napi::Array::New(env);
  uint32_t i = 0;
  errno = 0;
  while (struct dirent *e = readdir(d)) {
    if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
    unsigned type = e->d_type;
    if (type == DT_UNKNOWN) {
      struct stat st;
      if (fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0) type = IFTODT(st.st_mode);
    }
    names.Set(i, Napi::String::New(env, e->d_name));
    types.Set(i, Napi::Number::New(env, type));
    i++;
    errno = 0;
  }
  int err = errno;
  closedir(d);
  if (err) return ThrowErrno(env, err, "readdir", path);
  Napi::Array out = Napi::Array::New(env, 2);
  out.Set(0u, names);
  out.Set(1u, types);
  return out;
}

// umount2(path, flags): lazily removes the mounts a container without a mount namespace made.
static Napi::Value Umount2(const Napi::CallbackInfo &info) {
  std::string path;
  int64_t flags;
  if (!ArgStr(info, 0, &path) || !ArgIntOr(info, 1, 0, &flags)) return info.Env().Undefined();
  if (umount2(path.c_str(), (int)flags) < 0) return ThrowErrno(info.Env(), errno, "umount2", path);
  return info.Env().Undefined();
}

// One-path calls: mkdir(path, mode), rmdir, unlink, chmod(path, mode).
static Napi::Value PathCall(const Napi::CallbackInfo &info, const char *name) {
  std::string path;
  int64_t mode;
  if (!ArgStr(info, 0, &path) || !ArgIntOr(info, 1, 0777, &mode)) return info.Env().Undefined();
  const char *p = path.c_str();
  int r = !strcmp(name, "mkdir") ? mkdir(p, (mode_t)mode) : !strcmp(name, "rmdir") ? rmdir(p) : !strcmp(name, "unlink") ? unlink(p) : chmod(p, (mode_t)mode);
  if (r < 0) return ThrowErrno(info.Env(), errno, name, path);
  return info.Env().Undefined();
}

static Napi::Value Mkdir(const Napi::CallbackInfo &info) { return PathCall(info, "mkdir"); }
static Napi::Value Rmdir(const Napi::CallbackInfo &info) { return PathCall(info, "rmdir"); }
static Napi::Value Unlink(const Napi::CallbackInfo &info) { return PathCall(info, "unlink"); }
static Napi::Value Chmod(const Napi::CallbackInfo &info) { return PathCall(info, "chmod"); }

// Two-path calls: rename(from, to), symlink(target, path).
static Napi::Value Rename(const Napi::CallbackInfo &info) {
  std::string a, b;
  if (!ArgStr(info, 0, &a) || !ArgStr(info, 1, &b)) return info.Env().Undefined();
  if (rename(a.c_str(), b.c_str()) < 0) return ThrowErrno(info.Env(), errno, "rename", a + " -> " + b);
  return info.Env().Undefined();
}

static Napi::Value Symlink(const Napi::CallbackInfo &info) {
  std::string target, path;
  if (!ArgStr(info, 0, &target) || !ArgStr(info, 1, &path)) return info.Env().Undefined();
  if (symlink(target.c_str(), path.c_str()) < 0) return ThrowErrno(info.Env(), errno, "symlink", path);
  return info.Env().Undefined();
}

static Napi::Value Readlink(const Napi::CallbackInfo &info) {
  std::string path;
  if (!ArgStr(info, 0, &path)) return info.Env().Undefined();
  char buf[4096];
  ssize_t n = readlink(path.c_str(), buf, sizeof buf);
  if (n < 0) return ThrowErrno(info.Env(), errno, "readlink", path);
  return Napi::String::New(info.Env(), buf, (size_t)n);
}

static Napi::Value Fsync(const Napi::CallbackInfo &info) {
  int64_t fd;
  if (!ArgInt(info, 0, &fd)) return info.Env().Undefined();
  if (fsync((int)fd) < 0) return ThrowErrno(info.Env(), errno, "fsync");
  return info.Env().Undefined();
}

static Napi::Value StatfsType(const Napi::CallbackInfo &info) {
  std::string path;
  if (!ArgStr(info, 0, &path)) return info.Env().Undefined();
  struct statfs sf;
  if (statfs(path.c_str(), &sf) < 0) return ThrowErrno(info.Env(), errno, "statfs", path);
  return Napi::Number::New(info.Env(), (double)(unsigned long)sf.f_type);
}

// mkdtemp(prefix): prefix + 6 random characters, created 0700.
static Napi::Value Mkdtemp(const Napi::CallbackInfo &info) {
  std::string prefix;
  if (!ArgStr(info, 0, &prefix)) return info.Env().Undefined();
  std::string t = prefix + "XXXXXX";
  if (!mkdtemp(&t[0])) return ThrowErrno(info.Env(), errno, "mkdtemp", prefix);
  return Napi::String::New(info.Env(), t);
}

void InitFiles(Napi::Env env, Napi::Object exports) {
  exports.Set("readFile", Napi::Function::New(env, ReadFile, "readFile"));
  exports.Set("writeFile", Napi::Function::New(env, WriteFile, "writeFile"));
  exports.Set("write", Napi::Function::New(env, Write, "write"));
  exports.Set("read", Napi::Function::New(env, Read, "read"));
  exports.Set("close", Napi::Function::New(env, Close, "close"));
  exports.Set("stat", Napi::Function::New(env, Stat, "stat"));
  exports.Set("fstat", Napi::Function::New(env, Fstat, "fstat"));
  exports.Set("readdir", Napi::Function::New(env, Readdir, "readdir"));
  exports.Set("mkdir", Napi::Function::New(env, Mkdir, "mkdir"));
  exports.Set("rmdir", Napi::Function::New(env, Rmdir, "rmdir"));
  exports.Set("umount2", Napi::Function::New(env, Umount2, "umount2"));
  exports.Set("unlink", Napi::Function::New(env, Unlink, "unlink"));
  exports.Set("chmod", Napi::Function::New(env, Chmod, "chmod"));
  exports.Set("rename", Napi::Function::New(env, Rename, "rename"));
  exports.Set("symlink", Napi::Function::New(env, Symlink, "symlink"));
  exports.Set("readlink", Napi::Function::New(env, Readlink, "readlink"));
  exports.Set("fsync", Napi::Function::New(env, Fsync, "fsync"));
  exports.Set("statfsType", Napi::Function::New(env, StatfsType, "statfsType"));
  exports.Set("mkdtemp", Napi::Function::New(env, Mkdtemp, "mkdtemp"));
}

}  // namespace tsrun
