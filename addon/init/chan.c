/* Framing on the runtime channel: u32 payload length LE, u16 type, u16 0, payload. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>
#include "init.h"

#define MAX_PAYLOAD (64u << 20)

static void put_le(uint8_t *p, uint64_t v, int n) {
  for (int i = 0; i < n; i++) p[i] = (uint8_t)(v >> (8 * i));
}

static int write_all(int fd, const struct iovec *iov_in, int cnt) {
  struct iovec iov[2];
  memcpy(iov, iov_in, sizeof(struct iovec) * (size_t)cnt);
  struct msghdr mh = { .msg_iov = iov, .msg_iovlen = (size_t)cnt };
  int use_send = 1;
  while (mh.msg_iovlen > 0) {
    /* MSG_NOSIGNAL: a runtime that went away gives EPIPE, not a SIGPIPE death. */
    ssize_t n = use_send ? sendmsg(fd, &mh, MSG_NOSIGNAL) : writev(fd, mh.msg_iov, (int)mh.msg_iovlen);
    if (n < 0 && errno == ENOTSOCK && use_send) { use_send = 0; continue; }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return -1;
    while (mh.msg_iovlen > 0 && (size_t)n >= mh.msg_iov[0].iov_len) {
      n -= (ssize_t)mh.msg_iov[0].iov_len;
      mh.msg_iov++;
      mh.msg_iovlen--;
    }
    if (mh.msg_iovlen > 0) {
      mh.msg_iov[0].iov_base = (char *)mh.msg_iov[0].iov_base + n;
      mh.msg_iov[0].iov_len -= (size_t)n;
    }
  }
  return 0;
}

ssize_t writev_all(int fd, const void *buf, size_t len) {
  struct iovec v = { (void *)buf, len };
  ssize_t n;
  do n = writev(fd, &v, 1); while (n < 0 && errno == EINTR);
  return n;
}

void say(int fd, const char *fmt, ...) {
  char buf[1024];
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(buf, sizeof buf, fmt, ap);
  va_end(ap);
  if (n > 0) writev_all(fd, buf, (size_t)n < sizeof buf ? (size_t)n : sizeof buf - 1);
}

int chan_send(int fd, uint16_t type, const void *payload, uint32_t len) {
  uint8_t hdr[8];
  put_le(hdr, len, 4);
  put_le(hdr + 4, type, 2);
  put_le(hdr + 6, 0, 2);
  struct iovec iov[2] = { { hdr, 8 }, { (void *)payload, len } };
  return write_all(fd, iov, len ? 2 : 1);
}

/* Reads exactly n bytes. Returns 1, 0 on EOF before the first byte, -1 on error or a torn read. */
static int read_full(int fd, uint8_t *buf, size_t n) {
  size_t got = 0;
  while (got < n) {
    ssize_t r = read(fd, buf + got, n - got);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) return -1;
    if (r == 0) {
      if (got == 0) return 0;
      errno = EPROTO;
      return -1;
    }
    got += (size_t)r;
  }
  return 1;
}

int chan_recv(int fd, uint16_t *type, uint8_t **payload, uint32_t *len) {
  uint8_t hdr[8];
  int r = read_full(fd, hdr, 8);
  if (r <= 0) return r;
  *len = (uint32_t)hdr[0] | (uint32_t)hdr[1] << 8 | (uint32_t)hdr[2] << 16 | (uint32_t)hdr[3] << 24;
  *type = (uint16_t)(hdr[4] | hdr[5] << 8);
  if (*len > MAX_PAYLOAD) { errno = EMSGSIZE; return -1; }
  /* One spare byte so a payload can be used as a C string. */
  *payload = malloc((size_t)*len + 1);
  if (!*payload) return -1;
  (*payload)[*len] = 0;
  if (*len && read_full(fd, *payload, *len) != 1) {
    if (errno == 0) errno = EPROTO;
    free(*payload);
    return -1;
  }
  return 1;
}

int send_pid(struct ctx *c, pid_t pid) {
  uint8_t p[8];
  put_le(p, (uint64_t)pid, 8);
  if (chan_send(c->chan, MSG_PID, p, 8) < 0) return fail_errno(c, "send", "pid");
  return 0;
}

int send_trace(struct ctx *c) {
  struct timespec ts;
  uint8_t p[12];
  clock_gettime(CLOCK_MONOTONIC, &ts);
  put_le(p, c->step, 4);
  put_le(p + 4, (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec, 8);
  return chan_send(c->chan, MSG_TRACE, p, sizeof p) < 0 ? fail_errno(c, "send", "trace") : 0;
}

/* error{step, errno, detail}, then exit 1. Without a channel (after close_channel) the only
 * witness left is stderr. */
void send_error_and_exit(struct ctx *c) {
  size_t dlen = strlen(c->detail);
  if (c->chan >= 0) {
    uint8_t *p = malloc(12 + dlen + 1);
    if (p) {
      put_le(p, c->step, 4);
      put_le(p + 4, (uint32_t)c->err, 4);
      put_le(p + 8, dlen, 4);
      memcpy(p + 12, c->detail, dlen + 1);
      chan_send(c->chan, MSG_ERROR, p, (uint32_t)(12 + dlen + 1));
    }
  } else if (c->err == 0) {
    /* No syscall failed (a hook ended badly): the detail says it all. */
    say(2, "tsrun-init: step %u failed: %s\n", c->step, c->detail);
  } else {
    say(2, "tsrun-init: step %u: %s (%s)\n", c->step, strerror(c->err), c->detail);
  }
  _exit(1);
}

/* Waits for the runtime's ack; abort or EOF end init quietly. An ack payload replaces the kept state. */
static int wait_ack(struct ctx *c) {
  uint16_t type;
  uint8_t *payload;
  uint32_t len;
  int r = chan_recv(c->chan, &type, &payload, &len);
  if (r == 0) _exit(1);
  if (r < 0) return fail_errno(c, "recv", "ack");
  if (type == MSG_ABORT) _exit(1);
  if (type != MSG_ACK) {
    free(payload);
    return fail(c, EPROTO, "unexpected-message", NULL);
  }
  if (len == 0) {
    free(payload); /* an empty ack keeps the state we have */
    return 0;
  }
  free(c->state);
  c->state = (char *)payload;
  c->state_len = len;
  return 0;
}

/* sync{kind, step}, then wait for ack. */
int op_sync(struct ctx *c, const struct op *o) {
  uint8_t p[8];
  put_le(p, o->u.sync.kind, 4);
  put_le(p + 4, c->step, 4);
  if (chan_send(c->chan, MSG_SYNC, p, 8) < 0) return fail_errno(c, "send", "sync");
  return wait_ack(c);
}

/* One sendmsg of len bytes carrying one fd (SCM_RIGHTS). Returns the bytes sent, or -1. */
ssize_t send_with_fd(int sock, const void *buf, size_t len, int passfd) {
  union { struct cmsghdr h; char buf[CMSG_SPACE(sizeof(int))]; } ctl;
  memset(&ctl, 0, sizeof ctl);
  struct iovec iov = { (void *)buf, len };
  struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl.buf, .msg_controllen = sizeof ctl.buf };
  struct cmsghdr *cm = CMSG_FIRSTHDR(&msg);
  cm->cmsg_level = SOL_SOCKET;
  cm->cmsg_type = SCM_RIGHTS;
  cm->cmsg_len = CMSG_LEN(sizeof(int));
  memcpy(CMSG_DATA(cm), &passfd, sizeof passfd);
  ssize_t n;
  do n = sendmsg(sock, &msg, MSG_NOSIGNAL); while (n < 0 && errno == EINTR);
  return n;
}

/* fd{kind, step} with the fd attached to the frame header (SCM_RIGHTS), then wait for ack. */
int chan_send_fd(struct ctx *c, uint32_t kind, int passfd) {
  uint8_t frame[16];
  put_le(frame, 8, 4);
  put_le(frame + 4, MSG_FD, 2);
  put_le(frame + 6, 0, 2);
  put_le(frame + 8, kind, 4);
  put_le(frame + 12, c->step, 4);
  if (send_with_fd(c->chan, frame, sizeof frame, passfd) != (ssize_t)sizeof frame) return fail_errno(c, "sendmsg", "fd");
  return wait_ack(c);
}
