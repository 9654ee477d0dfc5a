// clone3 plumbing shared by spawn.cc and clone3.cc.
#pragma once
#include <stddef.h>
#include <stdint.h>

struct tsrun_clone_args {  // struct clone_args (CLONE_ARGS_SIZE_VER2)
  uint64_t flags, pidfd, child_tid, parent_tid, exit_signal, stack, stack_size, tls, set_tid, set_tid_size, cgroup;
};

extern "C" long tsrun_clone3(struct tsrun_clone_args *args, size_t size, int (*fn)(void *), void *arg);
