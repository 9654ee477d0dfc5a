/* tsrun-init <channel-fd>: reads one plan from the runtime and runs its ops in order. Mechanism
 * only: every decision was made by the runtime when it wrote the plan. On the first failure it
 * reports error{step, errno, detail} and exits 1. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "init.h"

int fail(struct ctx *c, int err, const char *what, const char *arg) {
  c->err = err;
  snprintf(c->detail, sizeof c->detail, arg ? "%s %s" : "%s", what, arg);
  return -1;
}

int fail_errno(struct ctx *c, const char *what, const char *arg) { return fail(c, errno, what, arg); }

typedef int (*handler)(struct ctx *, const struct op *);

static const handler handlers[] = {
  [OP_SET_DUMPABLE] = op_set_dumpable, [OP_WRITE_FILE] = op_write_file, [OP_SETRLIMIT] = op_setrlimit,
  [OP_SETNS] = op_setns, [OP_UNSHARE] = op_unshare, [OP_SYNC] = op_sync, [OP_FORK] = op_fork,
  [OP_REPORT_PID] = op_report_pid, [OP_SETSID] = op_setsid, [OP_SETHOSTNAME] = op_sethostname,
  [OP_SETDOMAINNAME] = op_setdomainname, [OP_OPEN_ROOT] = op_open_root, [OP_MOUNT] = op_mount,
  [OP_MOUNT_SETATTR] = op_mount_setattr, [OP_MKDIR] = op_mkdir, [OP_MKNOD] = op_mknod,
  [OP_SYMLINK] = op_symlink, [OP_PIVOT_ROOT] = op_pivot_root, [OP_MOVE_ROOT] = op_move_root,
  [OP_MASK_PATH] = op_mask_path, [OP_READONLY_PATH] = op_readonly_path, [OP_CONSOLE] = op_console,
  [OP_UMASK] = op_umask, [OP_CAPS_BOUNDING] = op_caps_bounding, [OP_KEEP_CAPS] = op_keep_caps,
  [OP_SET_USER] = op_set_user, [OP_CAPS_SET] = op_caps_set, [OP_NO_NEW_PRIVS] = op_no_new_privs,
  [OP_SECCOMP] = op_seccomp, [OP_CHDIR] = op_chdir, [OP_EXEC_LOOKUP] = op_exec_lookup,
  [OP_RUN_HOOK] = op_run_hook, [OP_CLOSE_FDS] = op_close_fds, [OP_CLOSE_CHANNEL] = op_close_channel,
  [OP_WAIT_FIFO] = op_wait_fifo, [OP_EXEC] = op_exec, [OP_JOIN_KEYRING] = op_join_keyring,
  [OP_PERSONALITY] = op_personality, [OP_SCHED_SETATTR] = op_sched_setattr, [OP_IOPRIO_SET] = op_ioprio_set,
  [OP_SCHED_SETAFFINITY] = op_sched_setaffinity, [OP_SET_MEMPOLICY] = op_set_mempolicy, [OP_MOUNT_COPYUP] = op_mount_copyup, [OP_FIFO_DONE] = op_fifo_done, [OP_CHROOT_ROOT] = op_chroot_root,
  [OP_JOIN_CGROUP] = op_join_cgroup, [OP_LOOPBACK_UP] = op_loopback_up, [OP_DETACH_MOUNT] = op_detach_mount,
  [OP_CHOWN_STDIO] = op_chown_stdio, [OP_HOLD_TREE] = op_hold_tree, [OP_CHDIR_ROOT] = op_chdir_root,
  [OP_IDMAP_TREE] = op_idmap_tree,
};

/* Decodes the whole plan up front so a malformed one fails before any op has run. */
static struct op *decode_plan(const uint8_t *buf, uint32_t len, uint32_t *flags, uint32_t *count) {
  struct reader r = { buf, buf + len };
  uint32_t version;
  if (rd_u32(&r, &version) < 0 || version != PROTOCOL_VERSION) return NULL;
  if (rd_u32(&r, flags) < 0 || rd_u32(&r, count) < 0 || *count > len / 8) return NULL;
  struct op *ops = calloc((size_t)*count + 1, sizeof *ops);
  if (!ops) return NULL;
  for (uint32_t i = 0; i < *count; i++) {
    uint16_t code, pad;
    uint32_t blen;
    if (rd_u16(&r, &code) < 0 || rd_u16(&r, &pad) < 0 || rd_u32(&r, &blen) < 0) return NULL;
    if (blen > (size_t)(r.end - r.p)) return NULL;
    struct reader body = { r.p, r.p + blen };
    if (code >= sizeof handlers / sizeof handlers[0] || !handlers[code]) return NULL;
    if (op_decode(&body, code, &ops[i]) < 0) return NULL;
    r.p += blen;
  }
  return ops;
}

int main(int argc, char **argv) {
  struct ctx c = { .chan = -1, .root = -1, .fifo_w = -1 };
  char *end = NULL;
  long chan = argc == 2 ? strtol(argv[1], &end, 10) : -1;
  if (chan < 0 || !end || *end) {
    dprintf(2, "usage: tsrun-init <channel-fd>\n");
    return 2;
  }
  c.chan = (int)chan;
  /* The channel must not leak into hooks or the container process. */
  fcntl(c.chan, F_SETFD, FD_CLOEXEC);
  /* Writes to a hook's stdin or a vanished runtime must fail with EPIPE, not kill us. */
  signal(SIGPIPE, SIG_IGN);

  uint16_t type;
  uint8_t *buf;
  uint32_t len, flags = 0, count = 0;
  int r = chan_recv(c.chan, &type, &buf, &len);
  if (r == 0) return 1;
  if (r < 0) { fail_errno(&c, "recv", "plan"); send_error_and_exit(&c); }
  if (type == MSG_ABORT) return 1;
  struct op *ops = type == MSG_PLAN ? decode_plan(buf, len, &flags, &count) : NULL;
  if (!ops) { fail(&c, EINVAL, "bad-plan", NULL); send_error_and_exit(&c); }
  c.flags = flags;

  for (uint32_t i = 0; i < count; i++) {
    c.step = i;
    if (handlers[ops[i].code](&c, &ops[i]) < 0) send_error_and_exit(&c);
    if ((flags & (1u << PLAN_FLAG_BIT_TRACE)) && c.chan >= 0 && send_trace(&c) < 0) send_error_and_exit(&c);
  }
  return 0;
}
