// tsrun_clone3(args, size, fn, arg): clone3(2) whose child runs fn(arg) on the stack given in args
// and exits with its result. libc has no such wrapper, and a plain syscall() cannot be used with
// CLONE_VM: the child would return through the parent's stack frames and corrupt them. Returns the
// raw kernel result in the parent (child pid, or -errno).
#include "spawn.h"

#if defined(__x86_64__)
__asm__(
    ".text\n"
    ".globl tsrun_clone3\n"
    ".hidden tsrun_clone3\n"
    ".type tsrun_clone3,@function\n"
    "tsrun_clone3:\n"
    "  mov %rdx, %r8\n"           // fn: r8/r9 survive the syscall (only rcx and r11 are clobbered)
    "  mov %rcx, %r9\n"           // arg
    "  mov $435, %eax\n"          // SYS_clone3
    "  syscall\n"
    "  test %rax, %rax\n"
    "  jnz 1f\n"
    "  xor %ebp, %ebp\n"          // child: fresh stack from args->stack, no frames to return to
    "  and $-16, %rsp\n"
    "  mov %r9, %rdi\n"
    "  call *%r8\n"
    "  mov %eax, %edi\n"
    "  mov $231, %eax\n"          // exit_group(fn's result)
    "  syscall\n"
    "  hlt\n"
    "1: ret\n"
    ".size tsrun_clone3, .-tsrun_clone3\n");
#elif defined(__aarch64__)
__asm__(
    ".text\n"
    ".globl tsrun_clone3\n"
    ".hidden tsrun_clone3\n"
    ".type tsrun_clone3,%function\n"
    "tsrun_clone3:\n"
    "  mov x10, x2\n"             // fn: the kernel preserves x1-x30 across svc
    "  mov x11, x3\n"             // arg
    "  mov x8, #435\n"            // SYS_clone3
    "  svc #0\n"
    "  cbnz x0, 1f\n"
    "  mov x29, xzr\n"
    "  mov x30, xzr\n"
    "  mov x0, x11\n"
    "  blr x10\n"
    "  mov x8, #94\n"             // exit_group(fn's result)
    "  svc #0\n"
    "  brk #0\n"
    "1: ret\n"
    ".size tsrun_clone3, .-tsrun_clone3\n");
#else
#error "tsrun_clone3: unsupported architecture (x86_64 and aarch64 only)"
#endif
