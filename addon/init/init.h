/* Shared state of tsrun-init and the op handlers. */
#ifndef TSRUN_INIT_H
#define TSRUN_INIT_H
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include "ops.gen.h"

struct ctx {
  int chan;             /* runtime channel; -1 after close_channel */
  int root;             /* fd in-root paths resolve against; -1 = the current "/" (opened lazily) */
  uint32_t step;        /* index of the op being run */
  uint32_t flags;       /* plan flags */
  char *state;          /* state JSON from the latest non-empty ack, for run_hook */
  size_t state_len;
  int fifo_w;           /* exec.fifo opened for writing by wait_fifo keep=1; -1 otherwise */
  char *exec_path;      /* kept by exec_lookup for exec */
  int held[16];         /* detached trees kept by hold_tree (slot N at held[N-1]); 0 = none */
  int cwd_done;         /* a chdir attempt before the user switch succeeded */
  int err;              /* errno of the failure being reported */
  char detail[512];     /* machine-readable hint of the failure */
};

/* Records a failure (err, "what arg") in c and returns -1, so handlers can `return fail(...)`. */
int fail(struct ctx *c, int err, const char *what, const char *arg);
/* fail() with the current errno. */
int fail_errno(struct ctx *c, const char *what, const char *arg);

/* chan.c. writev_all: what init writes after the container's seccomp filter is loaded goes through
 * writev, so a SCMP_ACT_NOTIFY rule on write (the agent's business: the container's own writes) never
 * stops init's own writes (the exec fifo, a hook's stdin, an exec error). */
ssize_t writev_all(int fd, const void *buf, size_t len);
void say(int fd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int chan_send(int fd, uint16_t type, const void *payload, uint32_t len);
int chan_recv(int fd, uint16_t *type, uint8_t **payload, uint32_t *len);
int send_pid(struct ctx *c, pid_t pid);
int send_trace(struct ctx *c);
void send_error_and_exit(struct ctx *c) __attribute__((noreturn));
int op_sync(struct ctx *c, const struct op *o);

/* path.c: in-root resolution (openat2 RESOLVE_IN_ROOT|RESOLVE_NO_MAGICLINKS) */
int root_fd(struct ctx *c);
void root_reset(struct ctx *c);
int in_root_open(struct ctx *c, const char *path, int extra_flags);
int in_root_create(struct ctx *c, const char *path, int kind, mode_t leaf_mode);
int in_root_parent(struct ctx *c, const char *path, int create, char *base, size_t base_size);
/* "/proc/self/fd/<fd>": the magic link that makes mount(2) act on exactly the resolved inode. */
const char *fd_path(char buf[32], int fd);

/* Op handlers, one per op code (see dispatch in main.c). Each returns 0 or fail(...). */
int chan_send_fd(struct ctx *c, uint32_t kind, int passfd);
ssize_t send_with_fd(int sock, const void *buf, size_t len, int passfd);
#define HANDLER(name) int op_##name(struct ctx *c, const struct op *o)
HANDLER(set_dumpable); HANDLER(join_cgroup); HANDLER(write_file); HANDLER(setrlimit); HANDLER(setns); HANDLER(unshare);
HANDLER(fork); HANDLER(report_pid); HANDLER(setsid); HANDLER(sethostname); HANDLER(setdomainname);
HANDLER(open_root); HANDLER(mount); HANDLER(mount_setattr); HANDLER(mkdir); HANDLER(mknod);
HANDLER(symlink); HANDLER(pivot_root); HANDLER(move_root); HANDLER(mask_path); HANDLER(readonly_path);
HANDLER(console); HANDLER(umask); HANDLER(caps_bounding); HANDLER(keep_caps); HANDLER(set_user);
HANDLER(caps_set); HANDLER(no_new_privs); HANDLER(seccomp); HANDLER(chdir); HANDLER(exec_lookup);
HANDLER(run_hook); HANDLER(close_fds); HANDLER(close_channel); HANDLER(wait_fifo); HANDLER(exec);
HANDLER(join_keyring); HANDLER(personality); HANDLER(sched_setattr); HANDLER(ioprio_set);
HANDLER(sched_setaffinity); HANDLER(set_mempolicy); HANDLER(mount_copyup); HANDLER(fifo_done); HANDLER(chroot_root);
HANDLER(loopback_up); HANDLER(detach_mount); HANDLER(chown_stdio); HANDLER(hold_tree); HANDLER(chdir_root);
HANDLER(idmap_tree); /* idmap.c */
/* mount.c: data with "mode=<mode of the directory fd>," in front (a tmpfs over an existing directory). */
const char *data_with_dir_mode(int dirfd, const char *data, char *buf, size_t size);

#endif
