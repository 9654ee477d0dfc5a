/* exec_lookup, exec and run_hook. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "init.h"
#include "sys.h"

/* 0 when path is a file we may execute, else -1 with errno (EISDIR, EACCES, or stat's errno). */
/* Decided from stat alone, as Go's exec.LookPath does: a seccomp filter may already be loaded, and it
 * may refuse faccessat2 (which libc's faccessat(AT_EACCESS) needs) while allowing stat. */
static int check_exec(const char *path) {
  struct stat st;
  if (stat(path, &st) < 0) return -1;
  /* A directory is "permission denied", as execve and Go's LookPath say (Docker and Podman turn that
   * text into exit code 126). */
  if (S_ISDIR(st.st_mode)) { errno = EACCES; return -1; }
  if (!S_ISREG(st.st_mode) || !(st.st_mode & 0111)) { errno = EACCES; return -1; }
  return 0;
}

static int keep_path(struct ctx *c, const char *path) {
  free(c->exec_path);
  c->exec_path = strdup(path);
  return c->exec_path ? 0 : fail_errno(c, "malloc", NULL);
}

HANDLER(exec_lookup) {
  const char *file = o->u.exec_lookup.file.s;
  if (strchr(file, '/')) {
    if (check_exec(file) < 0) return fail_errno(c, errno == EISDIR || errno == EACCES ? file : "stat", NULL);
    return keep_path(c, file);
  }
  /* Like execvp: an empty PATH entry means ".", and a candidate that exists but cannot be run is
   * remembered so the final error is EACCES rather than ENOENT. */
  int denied = 0;
  const char *p = o->u.exec_lookup.path_env.s;
  while (*file && *p) {
    const char *end = strchrnul(p, ':');
    char cand[4096];
    int dlen = (int)(end - p);
    if (snprintf(cand, sizeof cand, "%.*s/%s", dlen ? dlen : 1, dlen ? p : ".", file) < (int)sizeof cand) {
      if (check_exec(cand) == 0) return keep_path(c, cand);
      if (errno == EACCES || errno == EISDIR) denied = errno;
    }
    p = *end ? end + 1 : end;
  }
  if (denied) return fail(c, denied, file, NULL);
  return fail(c, ENOENT, "not-found-in-path", NULL);
}

static void reset_signals(void) {
  sigset_t none;
  sigemptyset(&none);
  signal(SIGPIPE, SIG_DFL);
  sigprocmask(SIG_SETMASK, &none, NULL);
}

HANDLER(exec) {
  const struct op_exec *x = &o->u.exec;
  const char *path = c->exec_path ? c->exec_path : (x->argv.n ? x->argv.argv[0] : "");
  reset_signals();
  execve(path, x->argv.argv, x->envp.argv);
  int e = errno;
  if (c->chan >= 0) return fail(c, e, "execve", path);
  say(2, "exec failed: %s\n", strerror(e));
  _exit(127);
}

static int64_t now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ms left until deadline (-1 = none) as a poll timeout. */
static int left_ms(int64_t deadline) {
  if (deadline < 0) return -1;
  int64_t left = deadline - now_ms();
  return left < 0 ? 0 : left > 1000000000 ? 1000000000 : (int)left;
}

static void hook_child(const struct op_run_hook *h, int in) __attribute__((noreturn));
static void hook_child(const struct op_run_hook *h, int in) {
  char *fallback[2] = { (char *)h->path.s, NULL };
  reset_signals();
  /* Its own process group: on a timeout the whole group goes, not just the hook (a shell's children). */
  setpgid(0, 0);
  if (dup2(in, 0) < 0) _exit(127);
  /* The hook gets stdio only: not the runtime's fifo, console socket or preserved fds. */
  syscall(SYS_close_range, 3U, ~0U, 0U);
  execve(h->path.s, h->args.n ? h->args.argv : fallback, h->env.argv);
  say(2, "hook exec failed: %s: %s\n", h->path.s, strerror(errno));
  _exit(127);
}

/* Feeds the state to the hook's stdin without ever blocking past the deadline: a hook that does not
 * read its stdin, or exits early (EPIPE, ignored), must not hang init. Returns 1 if the deadline
 * passed. */
static int feed_state(struct ctx *c, int out, int pidfd, int64_t deadline) {
  size_t off = 0;
  fcntl(out, F_SETFL, O_NONBLOCK);
  while (off < c->state_len) {
    struct pollfd p[2] = { { out, POLLOUT, 0 }, { pidfd, POLLIN, 0 } };
    int n = poll(p, 2, left_ms(deadline));
    if (n < 0 && errno == EINTR) continue;
    if (n == 0) return 1;
    if (n < 0 || (p[1].revents & POLLIN) || (p[0].revents & (POLLERR | POLLHUP))) break;
    ssize_t w = writev_all(out, c->state + off, c->state_len - off);
    if (w < 0 && (errno == EAGAIN || errno == EINTR)) continue;
    if (w < 0) break; /* EPIPE: the hook closed stdin; not an error */
    off += (size_t)w;
  }
  return 0;
}

/* Waits for the hook; 1 if the deadline passed first. */
static int wait_exit(int pidfd, int64_t deadline) {
  for (;;) {
    struct pollfd p = { pidfd, POLLIN, 0 };
    int n = poll(&p, 1, left_ms(deadline));
    if (n < 0 && errno == EINTR) continue;
    return n == 0;
  }
}

static int hook_result(struct ctx *c, pid_t pid, int timed_out) {
  siginfo_t si;
  memset(&si, 0, sizeof si);
  while (waitid(P_PID, (id_t)pid, &si, WEXITED) < 0)
    if (errno != EINTR) return fail_errno(c, "waitid", "hook");
  char d[32];
  if (timed_out) return fail(c, ETIMEDOUT, "timeout", NULL);
  if (si.si_code == CLD_EXITED && si.si_status == 0) return 0;
  snprintf(d, sizeof d, si.si_code == CLD_EXITED ? "exit %d" : "signal %d", si.si_status);
  /* errno 0: no syscall failed; the detail says how the hook ended. */
  return fail(c, 0, d, NULL);
}

HANDLER(run_hook) {
  const struct op_run_hook *h = &o->u.run_hook;
  int pipefd[2];
  if (pipe2(pipefd, O_CLOEXEC) < 0) return fail_errno(c, "pipe2", NULL);
  pid_t pid = fork();
  if (pid < 0) return fail_errno(c, "fork", NULL);
  if (pid == 0) hook_child(h, pipefd[0]);
  close(pipefd[0]);
  int64_t deadline = h->timeout ? now_ms() + (int64_t)h->timeout * 1000 : -1;
  int pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
  if (pidfd < 0) {
    int e = errno;
    kill(pid, SIGKILL);
    close(pipefd[1]);
    waitpid(pid, NULL, 0);
    return fail(c, e, "pidfd_open", NULL);
  }
  int timed_out = feed_state(c, pipefd[1], pidfd, deadline);
  close(pipefd[1]);
  if (!timed_out) timed_out = wait_exit(pidfd, deadline);
  if (timed_out) {
    kill(-pid, SIGKILL);
    syscall(SYS_pidfd_send_signal, pidfd, SIGKILL, NULL, 0);
  }
  close(pidfd);
  int r = hook_result(c, pid, timed_out);
  /* After close_channel (startContainer hooks) the runtime hears nothing more: the container's stderr
   * is where `start`'s caller looks, so say it there in the words the runtime uses. */
  if (r < 0 && c->chan < 0) {
    const char *kind = h->kind == HOOK_CREATECONTAINER ? "createContainer" : "startContainer";
    if (timed_out) say(2, "%s hook %s timed out after %llus and was killed\n", kind, h->path.s, (unsigned long long)h->timeout);
    else if (c->err == 0 && !strncmp(c->detail, "exit ", 5)) say(2, "%s hook %s exited with status %s\n", kind, h->path.s, c->detail + 5);
    else if (c->err == 0) say(2, "%s hook %s was killed by %s\n", kind, h->path.s, c->detail);
    else say(2, "%s hook %s: %s (%s)\n", kind, h->path.s, strerror(c->err), c->detail);
    _exit(1);
  }
  return r;
}
