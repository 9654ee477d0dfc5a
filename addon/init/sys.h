/* Kernel interfaces that libc (musl in particular, which ships no linux/ headers) may not declare.
 * Values are the stable kernel ABI; new syscalls (>= 424) share one number on every architecture. */
#ifndef TSRUN_SYS_H
#define TSRUN_SYS_H
#include <stdint.h>
#include <sys/syscall.h>

#ifndef SYS_pidfd_send_signal
#define SYS_pidfd_send_signal 424
#endif
#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif
#ifndef SYS_close_range
#define SYS_close_range 436
#endif
#ifndef SYS_openat2
#define SYS_openat2 437
#endif
#ifndef SYS_open_tree
#define SYS_open_tree 428
#endif
#ifndef SYS_move_mount
#define SYS_move_mount 429
#endif
#ifndef SYS_mount_setattr
#define SYS_mount_setattr 442
#endif
#ifndef SYS_fchmodat2
#define SYS_fchmodat2 452
#endif

struct tsr_open_how { uint64_t flags, mode, resolve; };
#define TSR_RESOLVE_NO_MAGICLINKS 0x02
#define TSR_RESOLVE_IN_ROOT 0x10

struct tsr_mount_attr { uint64_t attr_set, attr_clr, propagation, userns_fd; };
#ifndef AT_RECURSIVE
#define AT_RECURSIVE 0x8000
#endif
#ifndef AT_EMPTY_PATH
#define AT_EMPTY_PATH 0x1000
#endif

#define TSR_CLOSE_RANGE_CLOEXEC (1U << 2)
#define TSR_OPEN_TREE_CLONE 1
#define TSR_MOVE_MOUNT_F_EMPTY_PATH 0x04
#define TSR_MOVE_MOUNT_T_EMPTY_PATH 0x40

#ifndef TIOCGPTPEER
#define TIOCGPTPEER 0x5441
#endif
#ifndef TIOCSPTLCK
#define TIOCSPTLCK 0x40045431
#endif

#ifndef PR_CAPBSET_READ
#define PR_CAPBSET_READ 23
#endif
#ifndef PR_CAPBSET_DROP
#define PR_CAPBSET_DROP 24
#endif
#ifndef PR_CAP_AMBIENT
#define PR_CAP_AMBIENT 47
#define PR_CAP_AMBIENT_RAISE 2
#define PR_CAP_AMBIENT_CLEAR_ALL 4
#endif
#ifndef PR_SET_NO_NEW_PRIVS
#define PR_SET_NO_NEW_PRIVS 38
#endif

struct tsr_cap_header { uint32_t version; int pid; };
struct tsr_cap_data { uint32_t effective, permitted, inheritable; };
#define TSR_CAP_V3 0x20080522

#define TSR_SECCOMP_SET_MODE_FILTER 1
#define TSR_SECCOMP_MODE_FILTER 2
#define TSR_SECCOMP_FLAG_NEW_LISTENER (1UL << 3)
struct tsr_sock_fprog { unsigned short len; const void *filter; };

#ifndef CLONE_PIDFD
#define CLONE_PIDFD 0x1000
#endif

#endif
