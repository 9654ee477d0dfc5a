// errno numbers -> names and the lower-case strerror wording Go prints. Clients match on these words:
// Docker and Podman map "no such file or directory" / "executable file not found" to exit 127 and
// "permission denied" / "operation not permitted" to 126.
const table: [number, string, string][] = [
  [1, 'EPERM', 'operation not permitted'],
  [2, 'ENOENT', 'no such file or directory'],
  [3, 'ESRCH', 'no such process'],
  [4, 'EINTR', 'interrupted system call'],
  [5, 'EIO', 'input/output error'],
  [6, 'ENXIO', 'no such device or address'],
  [7, 'E2BIG', 'argument list too long'],
  [8, 'ENOEXEC', 'exec format error'],
  [9, 'EBADF', 'bad file descriptor'],
  [10, 'ECHILD', 'no child processes'],
  [11, 'EAGAIN', 'resource temporarily unavailable'],
  [12, 'ENOMEM', 'cannot allocate memory'],
  [13, 'EACCES', 'permission denied'],
  [14, 'EFAULT', 'bad address'],
  [15, 'ENOTBLK', 'block device required'],
  [16, 'EBUSY', 'device or resource busy'],
  [17, 'EEXIST', 'file exists'],
  [18, 'EXDEV', 'invalid cross-device link'],
  [19, 'ENODEV', 'no such device'],
  [20, 'ENOTDIR', 'not a directory'],
  [21, 'EISDIR', 'is a directory'],
  [22, 'EINVAL', 'invalid argument'],
  [23, 'ENFILE', 'too many open files in system'],
  [24, 'EMFILE', 'too many open files'],
  [25, 'ENOTTY', 'inappropriate ioctl for device'],
  [26, 'ETXTBSY', 'text file busy'],
  [27, 'EFBIG', 'file too large'],
  [28, 'ENOSPC', 'no space left on device'],
  [30, 'EROFS', 'read-only file system'],
  [31, 'EMLINK', 'too many links'],
  [32, 'EPIPE', 'broken pipe'],
  [34, 'ERANGE', 'numerical result out of range'],
  [36, 'ENAMETOOLONG', 'file name too long'],
  [38, 'ENOSYS', 'function not implemented'],
  [39, 'ENOTEMPTY', 'directory not empty'],
  [40, 'ELOOP', 'too many levels of symbolic links'],
  [61, 'ENODATA', 'no data available'],
  [95, 'EOPNOTSUPP', 'operation not supported'],
  [110, 'ETIMEDOUT', 'connection timed out'],
  [111, 'ECONNREFUSED', 'connection refused'],
  [87, 'EUSERS', 'too many users'],
  [122, 'EDQUOT', 'disk quota exceeded'],
];

const byNumber = new Map(table.map(([n, name, text]) => [n, { name, text }]));
const byName = new Map(table.map(([n, name, text]) => [name, { n, text }]));

export function errnoName(n: number): string {
  return byNumber.get(n)?.name ?? `errno ${n}`;
}

export function errnoText(n: number): string {
  return byNumber.get(n)?.text ?? `errno ${n}`;
}

export function errnoNumber(name: string): number | undefined {
  return byName.get(name)?.n;
}

/** The Go-style text for a Node/addon error carrying `code` (e.g. "ENOENT"), else its message. */
export function describeSysError(e: unknown): string {
  const code = (e as { code?: unknown })?.code;
  if (typeof code === 'string' && byName.has(code)) return byName.get(code)!.text;
  return e instanceof Error ? e.message : String(e);
}
