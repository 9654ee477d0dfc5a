// The command line, as data: every runc command with runc's flags. The parser (argv.ts) and the help
// text (help.ts) are both driven by this table, so what `--help` shows is what the parser accepts.

export type FlagType = 'bool' | 'string' | 'int' | 'list' | 'duration';

export interface FlagDef {
  name: string;
  alias?: string;
  type: FlagType;
  /** Placeholder shown in help for valued flags. */
  value?: string;
  default?: string | number | boolean;
  help: string;
}

export interface CommandDef {
  name: string;
  summary: string;
  /** Positional arguments in help, e.g. '<container-id>'. */
  usage: string;
  /** How many positional arguments: [min, max]; max -1 = unbounded. */
  args: [number, number];
  flags: FlagDef[];
  /** Flags stop at the first positional argument after this many (exec: the command's own flags). */
  passthroughAfter?: number;
  /** Internal commands are hidden from help. */
  hidden?: boolean;
}

const bundle: FlagDef = { name: 'bundle', alias: 'b', type: 'string', value: 'DIR', help: 'path to the root of the bundle directory (default: the current directory)' };
const consoleSocket: FlagDef = { name: 'console-socket', type: 'string', value: 'PATH', help: 'path to an AF_UNIX socket which will receive the file descriptor of the master end of the console pseudoterminal' };
const pidfdSocket: FlagDef = { name: 'pidfd-socket', type: 'string', value: 'PATH', help: 'path to an AF_UNIX socket which will receive a pidfd of the process' };
const pidFile: FlagDef = { name: 'pid-file', type: 'string', value: 'PATH', help: 'file to write the process id to' };
const noPivot: FlagDef = { name: 'no-pivot', type: 'bool', help: 'do not use pivot_root to jail the process inside the rootfs (for a ramdisk rootfs)' };
const noNewKeyring: FlagDef = { name: 'no-new-keyring', type: 'bool', help: 'do not create a new session keyring for the container' };
const preserveFds: FlagDef = { name: 'preserve-fds', type: 'int', value: 'N', default: 0, help: 'pass N additional file descriptors to the container (stdio + $LISTEN_FDS + N in total)' };
const format: FlagDef = { name: 'format', alias: 'f', type: 'string', value: 'FORMAT', default: 'table', help: 'output format: table or json' };

export const globalFlags: FlagDef[] = [
  { name: 'debug', type: 'bool', help: 'enable debug logging, with step tracing and timings' },
  { name: 'log', type: 'string', value: 'FILE', help: 'write log messages to FILE (default: stderr)' },
  { name: 'log-format', type: 'string', value: 'FORMAT', default: 'text', help: 'log format: text or json' },
  { name: 'root', type: 'string', value: 'DIR', default: '/run/tsrun', help: 'root directory for the storage of container state (on tmpfs); a non-root user\'s default is $XDG_RUNTIME_DIR/tsrun' },
  { name: 'criu', type: 'string', value: 'PATH', default: 'criu', help: 'path to the criu binary used for checkpoint and restore' },
  { name: 'systemd-cgroup', type: 'bool', help: 'enable the systemd cgroup driver; cgroupsPath is then slice:prefix:name' },
  { name: 'rootless', type: 'string', value: 'true|false|auto', default: 'auto', help: 'ignore cgroup permission errors' },
  { name: 'help', alias: 'h', type: 'bool', help: 'show help' },
  { name: 'version', alias: 'v', type: 'bool', help: 'print the version' },
];

export const commands: CommandDef[] = [
  { name: 'checkpoint', summary: 'checkpoint a running container', usage: '<container-id>', args: [1, 1], flags: [
    { name: 'image-path', type: 'string', value: 'DIR', help: 'path for saving criu image files' },
    { name: 'work-path', type: 'string', value: 'DIR', help: 'path for saving work files and logs' },
    { name: 'parent-path', type: 'string', value: 'DIR', help: 'path for previous criu image files in pre-dump' },
    { name: 'leave-running', type: 'bool', help: 'leave the process running after checkpointing' },
    { name: 'tcp-established', type: 'bool', help: 'allow open tcp connections' },
    { name: 'ext-unix-sk', type: 'bool', help: 'allow external unix sockets' },
    { name: 'shell-job', type: 'bool', help: 'allow shell jobs' },
    { name: 'lazy-pages', type: 'bool', help: 'use userfaultfd to lazily restore memory pages' },
    { name: 'status-fd', type: 'int', value: 'FD', help: 'criu writes \\0 to this fd once lazy-pages is ready' },
    { name: 'page-server', type: 'string', value: 'ADDR', help: 'ADDRESS:PORT of the page server' },
    { name: 'file-locks', type: 'bool', help: 'handle file locks, for safety' },
    { name: 'pre-dump', type: 'bool', help: 'dump the container\'s memory information only, leave the container running' },
    { name: 'manage-cgroups-mode', type: 'string', value: 'MODE', help: 'cgroups mode: soft|full|strict|ignore' },
    { name: 'empty-ns', type: 'list', value: 'NS', help: 'create a namespace, but do not restore its properties' },
    { name: 'auto-dedup', type: 'bool', help: 'enable auto deduplication of memory images' },
  ] },
  { name: 'create', summary: 'create a container', usage: '<container-id>', args: [1, 1], flags: [
    bundle, consoleSocket, pidfdSocket, pidFile, noPivot, noNewKeyring, preserveFds,
    { name: 'dry-run', type: 'bool', help: 'print the launch plan (every step with the config field it comes from) and run nothing' },
  ] },
  { name: 'delete', summary: 'delete any resources held by the container (often used with detached containers)', usage: '<container-id>', args: [1, 1], flags: [
    { name: 'force', alias: 'f', type: 'bool', help: 'forcibly delete the container if it is still running (uses SIGKILL)' },
  ] },
  { name: 'events', summary: 'display container events such as OOM notifications, cpu, memory, and IO usage statistics', usage: '<container-id>', args: [1, 1], flags: [
    { name: 'interval', type: 'duration', value: 'DURATION', default: '5s', help: 'set the stats collection interval' },
    { name: 'stats', type: 'bool', help: 'display the container\'s stats then exit' },
  ] },
  { name: 'exec', summary: 'execute new process inside the container', usage: '<container-id> <command> [command options]', args: [1, -1], passthroughAfter: 1, flags: [
    consoleSocket, pidfdSocket,
    { name: 'cwd', type: 'string', value: 'DIR', help: 'current working directory in the container' },
    { name: 'env', alias: 'e', type: 'list', value: 'KEY=VALUE', help: 'set environment variables' },
    { name: 'tty', alias: 't', type: 'bool', help: 'allocate a pseudo-TTY' },
    { name: 'user', alias: 'u', type: 'string', value: 'UID[:GID]', help: 'user id and group id' },
    { name: 'additional-gids', alias: 'g', type: 'list', value: 'GID', help: 'additional gids' },
    { name: 'process', alias: 'p', type: 'string', value: 'FILE', help: 'path to the process.json' },
    { name: 'detach', alias: 'd', type: 'bool', help: 'detach from the container\'s process' },
    pidFile,
    { name: 'process-label', type: 'string', value: 'LABEL', help: 'set the asm process label for the process commonly used with selinux' },
    { name: 'apparmor', type: 'string', value: 'PROFILE', help: 'set the apparmor profile for the process' },
    { name: 'no-new-privs', type: 'bool', help: 'set the no new privileges value for the process' },
    { name: 'cap', alias: 'c', type: 'list', value: 'CAP', help: 'add a capability to the bounding set for the process' },
    preserveFds,
    { name: 'cgroup', type: 'list', value: 'PATH', help: 'run the process in an (existing) sub-cgroup(s)' },
    { name: 'ignore-paused', type: 'bool', help: 'allow exec in a paused container' },
  ] },
  { name: 'features', summary: 'show the enabled features', usage: '', args: [0, 0], flags: [] },
  { name: 'init', summary: 'initialize the namespaces and launch the process (do not call it outside of tsrun)', usage: '', args: [0, 0], flags: [], hidden: true },
  { name: 'kill', summary: 'kill sends the specified signal (default: SIGTERM) to the container\'s init process', usage: '<container-id> [signal]', args: [1, 2], flags: [
    { name: 'all', alias: 'a', type: 'bool', help: 'send the specified signal to all processes inside the container' },
  ] },
  { name: 'list', summary: 'lists containers started by tsrun with the given root', usage: '', args: [0, 0], flags: [
    format,
    { name: 'quiet', alias: 'q', type: 'bool', help: 'display only container IDs' },
  ] },
  { name: 'pause', summary: 'pause suspends all processes inside the container', usage: '<container-id>', args: [1, 1], flags: [] },
  { name: 'ps', summary: 'ps displays the processes running inside a container', usage: '<container-id> [ps options]', args: [1, -1], passthroughAfter: 1, flags: [format] },
  { name: 'restore', summary: 'restore a container from a previous checkpoint', usage: '<container-id>', args: [1, 1], flags: [
    { name: 'console-socket', type: 'string', value: 'PATH', help: consoleSocket.help },
    { name: 'image-path', type: 'string', value: 'DIR', help: 'path to criu image files for restoring' },
    { name: 'work-path', type: 'string', value: 'DIR', help: 'path for saving work files and logs' },
    { name: 'tcp-established', type: 'bool', help: 'allow open tcp connections' },
    { name: 'ext-unix-sk', type: 'bool', help: 'allow external unix sockets' },
    { name: 'shell-job', type: 'bool', help: 'allow shell jobs' },
    { name: 'file-locks', type: 'bool', help: 'handle file locks, for safety' },
    { name: 'manage-cgroups-mode', type: 'string', value: 'MODE', help: 'cgroups mode: soft|full|strict|ignore' },
    bundle,
    { name: 'detach', alias: 'd', type: 'bool', help: 'detach from the container\'s process' },
    pidFile, noSubreaper(), noPivot,
    { name: 'empty-ns', type: 'list', value: 'NS', help: 'create a namespace, but do not restore its properties' },
    { name: 'auto-dedup', type: 'bool', help: 'enable auto deduplication of memory images' },
    { name: 'lazy-pages', type: 'bool', help: 'use userfaultfd to lazily restore memory pages' },
    { name: 'lsm-profile', type: 'string', value: 'TYPE:LABEL', help: 'specify an LSM profile to be used during restore' },
    { name: 'lsm-mount-context', type: 'string', value: 'CONTEXT', help: 'specify an LSM mount context to be used during restore' },
  ] },
  { name: 'resume', summary: 'resumes all processes that have been previously paused', usage: '<container-id>', args: [1, 1], flags: [] },
  { name: 'run', summary: 'create and run a container', usage: '<container-id>', args: [1, 1], flags: [
    bundle, consoleSocket, pidfdSocket,
    { name: 'detach', alias: 'd', type: 'bool', help: 'detach from the container\'s process' },
    { name: 'keep', type: 'bool', help: 'do not delete the container after it exits' },
    pidFile, noSubreaper(), noPivot, noNewKeyring, preserveFds,
  ] },
  { name: 'spec', summary: 'create a new specification file', usage: '', args: [0, 0], flags: [
    bundle,
    { name: 'rootless', type: 'bool', help: 'generate a configuration for a rootless container' },
    { name: 'busybox', type: 'bool', help: 'also make rootfs/ from the host\'s busybox-static, with a config that shows the container\'s isolation (tsrun extension)' },
  ] },
  { name: 'start', summary: 'executes the user defined process in a created container', usage: '<container-id>', args: [1, 1], flags: [] },
  { name: 'state', summary: 'output the state of a container', usage: '<container-id>', args: [1, 1], flags: [] },
  { name: 'update', summary: 'update container resource constraints', usage: '<container-id>', args: [1, 1], flags: [
    { name: 'resources', alias: 'r', type: 'string', value: 'FILE', help: 'path to a file containing the resources to update, or - to read from stdin' },
    { name: 'blkio-weight', type: 'int', value: 'N', help: 'specifies per cgroup weight, range is from 10 to 1000' },
    { name: 'cpu-period', type: 'string', value: 'N', help: 'CPU CFS period to be used for hardcapping (in usecs); 0 to use system default' },
    { name: 'cpu-quota', type: 'string', value: 'N', help: 'CPU CFS hardcap limit (in usecs); allowed cpu time in a given period' },
    { name: 'cpu-burst', type: 'string', value: 'N', help: 'CPU CFS hardcap burst limit (in usecs)' },
    { name: 'cpu-share', type: 'string', value: 'N', help: 'CPU shares (relative weight vs. other containers)' },
    { name: 'cpu-rt-period', type: 'string', value: 'N', help: 'CPU realtime period to be used for hardcapping (in usecs)' },
    { name: 'cpu-rt-runtime', type: 'string', value: 'N', help: 'CPU realtime hardcap limit (in usecs)' },
    { name: 'cpuset-cpus', type: 'string', value: 'CPUS', help: 'CPU(s) to use' },
    { name: 'cpuset-mems', type: 'string', value: 'MEMS', help: 'memory node(s) to use' },
    { name: 'kernel-memory', type: 'string', value: 'N', help: '(obsoleted; do not use)' },
    { name: 'kernel-memory-tcp', type: 'string', value: 'N', help: '(obsoleted; do not use)' },
    { name: 'memory', type: 'string', value: 'N', help: 'memory limit (in bytes)' },
    { name: 'cpu-idle', type: 'string', value: 'N', help: 'set cgroup SCHED_IDLE or not, 0: default behavior, 1: SCHED_IDLE' },
    { name: 'memory-reservation', type: 'string', value: 'N', help: 'memory reservation or soft_limit (in bytes)' },
    { name: 'memory-swap', type: 'string', value: 'N', help: 'total memory usage (memory + swap); set -1 to enable unlimited swap' },
    { name: 'pids-limit', type: 'int', value: 'N', help: 'maximum number of pids allowed in the container' },
    { name: 'l3-cache-schema', type: 'string', value: 'SCHEMA', help: 'the string of Intel RDT/CAT L3 cache schema' },
    { name: 'mem-bw-schema', type: 'string', value: 'SCHEMA', help: 'the string of Intel RDT/MBA memory bandwidth schema' },
  ] },
];

function noSubreaper(): FlagDef {
  return { name: 'no-subreaper', type: 'bool', help: 'disable the use of the subreaper used to reap reparented processes' };
}

export function findCommand(name: string): CommandDef | undefined {
  return commands.find((c) => c.name === name);
}
