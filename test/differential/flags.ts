// Every flag of every runc command (runc --help, runc <command> --help) and the command scenario
// (commands.ts) that exercises it on both runtimes. commands.test.ts fails when runc's help lists a
// flag that is missing here, when an entry names no scenario, or when the scenario never put the
// flag on a command line of that command.
const all = (scenario: string, cmd: string, flags: string[]) => Object.fromEntries(flags.map((f) => [`${cmd} ${f}`, scenario]));

export const FLAGS: Record<string, string> = {
  ...all('global-flags', 'global', ['--debug', '--log', '--log-format', '--root', '--criu', '--systemd-cgroup', '--rootless', '--help', '-h', '--version', '-v']),
  ...all('checkpoint-restore', 'checkpoint', ['--image-path', '--work-path', '--parent-path', '--leave-running', '--tcp-established', '--ext-unix-sk',
    '--shell-job', '--lazy-pages', '--status-fd', '--page-server', '--file-locks', '--pre-dump', '--manage-cgroups-mode', '--empty-ns', '--auto-dedup']),
  ...all('checkpoint-restore', 'restore', ['--console-socket', '--image-path', '--work-path', '--tcp-established', '--ext-unix-sk', '--shell-job',
    '--file-locks', '--manage-cgroups-mode', '--bundle', '-b', '--detach', '-d', '--pid-file', '--no-subreaper', '--no-pivot', '--empty-ns',
    '--auto-dedup', '--lazy-pages', '--lsm-profile', '--lsm-mount-context']),
  ...all('lifecycle', 'create', ['--bundle', '--pid-file']),
  ...all('create-flags', 'create', ['-b', '--no-pivot', '--no-new-keyring', '--preserve-fds']),
  ...all('console-socket', 'create', ['--console-socket']),
  ...all('ps-list', 'delete', ['--force']),
  ...all('lifecycle', 'delete', ['-f']),
  ...all('events', 'events', ['--interval', '--stats']),
  ...all('console-socket', 'exec', ['--console-socket', '--tty', '-t']),
  ...all('exec-flags', 'exec', ['--cwd', '--env', '-e', '--user', '-u', '--additional-gids', '-g', '--process', '-p', '--detach', '-d', '--pid-file',
    '--process-label', '--apparmor', '--no-new-privs', '--cap', '-c', '--preserve-fds']),
  ...all('exec-cgroup', 'exec', ['--cgroup']),
  ...all('pause-resume', 'exec', ['--ignore-paused']),
  ...all('lifecycle', 'kill', ['--all', '-a']),
  ...all('ps-list', 'list', ['--format', '-f', '--quiet', '-q']),
  ...all('ps-list', 'ps', ['--format', '-f']),
  ...all('run-flags', 'run', ['--bundle', '-b', '--detach', '-d', '--keep', '--pid-file', '--no-subreaper', '--no-pivot', '--no-new-keyring', '--preserve-fds']),
  ...all('console-socket', 'run', ['--console-socket']),
  ...all('spec', 'spec', ['--bundle', '-b', '--rootless']),
  ...all('update', 'update', ['--resources', '-r', '--blkio-weight', '--cpu-period', '--cpu-quota', '--cpu-share', '--cpu-rt-period', '--cpu-rt-runtime',
    '--cpuset-cpus', '--cpuset-mems', '--memory', '--memory-reservation', '--memory-swap', '--pids-limit', '--l3-cache-schema', '--mem-bw-schema']),
  // Every command's own --help and -h.
  ...Object.fromEntries(['checkpoint', 'create', 'delete', 'events', 'exec', 'kill', 'list', 'pause', 'ps', 'restore', 'resume', 'run', 'spec', 'start',
    'state', 'update', 'features'].flatMap((c) => [[`${c} --help`, 'help'], [`${c} -h`, 'help']])),
};

/** Flags runc's help lists: "<cmd> --name" / "<cmd> -x", and which take a value. */
export interface HelpFlag { key: string; value: boolean }

export function parseRuncHelp(cmd: string, text: string): HelpFlag[] {
  const out: HelpFlag[] = [];
  const section = text.split(/^(?:GLOBAL )?OPTIONS:$/m)[1] ?? '';
  for (const line of section.split('\n')) {
    const m = /^ {3}(-\S.*?)(?: {2,}|$)/.exec(line);
    if (!m) continue;
    for (const part of m[1].split(/,\s+/)) {
      const [name, v] = part.trim().split(/\s+/);
      if (/^--?[\w-]+$/.test(name)) out.push({ key: `${cmd} ${name}`, value: v === 'value' });
    }
  }
  return out;
}

/** Whether argv (without --root) puts `flag` on command `cmd`'s line, before its first argument. */
export function argvHas(argv: string[], cmd: string, flag: string, takesValue: (key: string) => boolean): boolean {
  let i = 0;
  // Global flags come first.
  for (; i < argv.length && argv[i].startsWith('-'); i++) {
    const name = argv[i].split('=')[0];
    if (cmd === 'global' && name === flag) return true;
    if (!argv[i].includes('=') && takesValue(`global ${name}`)) i++;
  }
  if (cmd === 'global') return false;
  if (argv[i] !== cmd) return false;
  for (i++; i < argv.length && argv[i].startsWith('-'); i++) {
    const name = argv[i].split('=')[0];
    if (name === flag) return true;
    if (!argv[i].includes('=') && takesValue(`${cmd} ${name}`)) i++;
  }
  return false;
}
