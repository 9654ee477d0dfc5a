/* Per-process scheduling and placement: personality, scheduler, I/O priority, CPU affinity, NUMA
 * memory policy. Each is one syscall; what the values mean is decided by the runtime. */
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <sys/personality.h>
#include <sys/syscall.h>
#include <unistd.h>
#include "init.h"

struct tsr_sched_attr {
  uint32_t size, sched_policy;
  uint64_t sched_flags;
  int32_t sched_nice;
  uint32_t sched_priority;
  uint64_t sched_runtime, sched_deadline, sched_period;
};

HANDLER(personality) {
  if (personality((unsigned long)o->u.personality.persona) < 0) return fail_errno(c, "personality", NULL);
  return 0;
}

HANDLER(sched_setattr) {
  const struct op_sched_setattr *s = &o->u.sched_setattr;
  struct tsr_sched_attr a;
  memset(&a, 0, sizeof a);
  a.size = sizeof a;
  a.sched_policy = (uint32_t)s->policy;
  a.sched_flags = s->flags;
  a.sched_nice = (int32_t)s->nice;
  a.sched_priority = (uint32_t)s->priority;
  a.sched_runtime = s->runtime;
  a.sched_deadline = s->deadline;
  a.sched_period = s->period;
  if (syscall(SYS_sched_setattr, 0, &a, 0) < 0) return fail_errno(c, "sched_setattr", NULL);
  return 0;
}

HANDLER(ioprio_set) {
  if (syscall(SYS_ioprio_set, 1 /* IOPRIO_WHO_PROCESS */, 0, (int)o->u.ioprio_set.value) < 0) return fail_errno(c, "ioprio_set", NULL);
  return 0;
}

HANDLER(sched_setaffinity) {
  const struct pstr *m = &o->u.sched_setaffinity.mask;
  if (syscall(SYS_sched_setaffinity, 0, (size_t)m->len, m->s) < 0) return fail_errno(c, "sched_setaffinity", NULL);
  return 0;
}

HANDLER(set_mempolicy) {
  const struct op_set_mempolicy *p = &o->u.set_mempolicy;
  if (syscall(SYS_set_mempolicy, (int)p->mode, p->nodemask.len ? p->nodemask.s : NULL, (unsigned long)p->maxnode) < 0)
    return fail_errno(c, "set_mempolicy", NULL);
  return 0;
}
