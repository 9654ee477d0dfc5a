// The state store: <root>/<id>/state.json (written atomically: temp file, fsync, rename) and a
// per-container lock (flock on the container directory) that serializes commands on one id.
import { closeSync, existsSync, fstatSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeSync } from '../sys/fs.js';
import { join } from '../sys/path.js';
import { fail, notExist } from '../errors.js';
import { sys } from '../sys/index.js';
import { isSameProcess, type Status } from './status.js';

export const SPEC_VERSION = '1.3.0';

/** What tsrun keeps about a container: the public state plus private fields under `tsrun`. */
export interface ContainerRecord {
  ociVersion: string;
  id: string;
  /** The stored status: creating while create runs, created after, stopped once known dead. */
  status: Status;
  pid: number;
  bundle: string;
  rootfs: string;
  created: string;
  owner: string;
  annotations?: Record<string, string>;
  tsrun: {
    /** starttime of the init from /proc/<pid>/stat: protects against pid reuse. */
    starttime?: number;
    /** Anything later issues record (cgroup paths, hooks to run on delete...). */
    [k: string]: unknown;
  };
}

/** The state document as `tsrun state` prints it (the spec's fields plus runc's). */
export interface PublicState {
  ociVersion: string;
  id: string;
  pid: number;
  status: Status;
  bundle: string;
  rootfs: string;
  created: string;
  owner: string;
  annotations?: Record<string, string>;
}

const LOCK_EX = 2;
const LOCK_UN = 8;
const ID_RE = /^[\w+.-]+$/;

/** runc's rule for container ids: [A-Za-z0-9_+.-], and not "." or "..". */
/** The runtime-spec state document of rec with a given status, as hooks and listeners get it. */
export function stateJson(rec: ContainerRecord, status: string): string {
  // As runc: annotations only when there are any.
  const annotations = rec.annotations && Object.keys(rec.annotations).length ? { annotations: rec.annotations } : {};
  // pid only while there is a process (runc's omitempty): a stopped container's old pid may be reused.
  const pid = status === 'stopped' || !rec.pid ? {} : { pid: rec.pid };
  return JSON.stringify({ ociVersion: rec.ociVersion, id: rec.id, status, ...pid, bundle: rec.bundle, ...annotations });
}

export function validateId(id: string): void {
  if (!id) throw fail('container id cannot be empty');
  if (id.length > 1024) throw fail(`invalid container id "${id.slice(0, 32)}...": it is ${id.length} characters long`, { hint: 'an id has at most 1024 characters' });
  if (!ID_RE.test(id) || id === '.' || id === '..') {
    // JSON quoting: a newline or control character in the id must not break the log line.
    throw fail(`invalid container id ${JSON.stringify(id)}`, { hint: 'an id is made of letters, digits, "_", "+", "-" and ".", and is not "." or ".."' });
  }
}

const damaged = (id: string, why: string) => fail(`the state of container "${id}" is damaged (${why})`, { hint: `remove it with tsrun delete --force ${id}` });

export class StateStore {
  constructor(readonly root: string) {}

  dir(id: string): string {
    validateId(id);
    return join(this.root, id);
  }

  exists(id: string): boolean {
    return existsSync(join(this.dir(id), 'state.json'));
  }

  /** Whether <root>/<id> is there at all (a create killed before its first state.json leaves it bare). */
  hasDir(id: string): boolean {
    return existsSync(this.dir(id));
  }

  /** Creates <root>/<id> exclusively: two creates of one id cannot both succeed. */
  createDir(id: string): string {
    const dir = this.dir(id);
    mkdirSync(this.root, { recursive: true, mode: 0o700 });
    try {
      mkdirSync(dir, { mode: 0o711 });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'EEXIST') throw fail(`container "${id}" already exists`, { hint: 'container with given ID already exists; delete it first or choose another id' });
      throw e;
    }
    return dir;
  }

  /** Takes the container's lock; waits for a concurrent command on the same id to finish. */
  lock(id: string): () => void {
    const dir = this.dir(id);
    let fd: number;
    try {
      fd = openSync(dir, 'r');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw notExist(id);
      throw e;
    }
    sys().flock(fd, LOCK_EX);
    // The directory may have been deleted while we waited: a removed directory has no links.
    if (fstatSync(fd).nlink === 0) {
      closeSync(fd);
      throw notExist(id);
    }
    return () => {
      sys().flock(fd, LOCK_UN);
      closeSync(fd);
    };
  }

  read(id: string): ContainerRecord {
    let text: string;
    try {
      text = readFileSync(join(this.dir(id), 'state.json'), 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT' || (e as NodeJS.ErrnoException).code === 'ENOTDIR') throw notExist(id);
      throw e;
    }
    let rec: ContainerRecord;
    try {
      rec = JSON.parse(text) as ContainerRecord;
    } catch {
      throw damaged(id, 'it is not JSON');
    }
    // Only tsrun writes this file, but a disk or a person may damage it: say so instead of a TypeError.
    if (!rec || typeof rec !== 'object' || rec.id !== id || typeof rec.pid !== 'number' || typeof rec.status !== 'string' || !rec.tsrun || typeof rec.tsrun !== 'object') {
      throw damaged(id, 'fields are missing');
    }
    return rec;
  }

  /** Atomic replace: a reader sees the old or the new file, never a torn or mixed one. */
  write(rec: ContainerRecord): void {
    const dir = this.dir(rec.id);
    const tmp = join(dir, `.state.json.${process.pid}.${Date.now()}`);
    const fd = openSync(tmp, 'wx', 0o600);
    try {
      // No fsync: the root is a tmpfs (/run) in practice, and rename alone is what readers rely on.
      writeSync(fd, JSON.stringify(rec));
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, join(dir, 'state.json'));
  }

  remove(id: string): void {
    rmSync(this.dir(id), { recursive: true, force: true });
  }

  /** Ids of every container directory under the root, sorted (leftovers of a killed create included). */
  list(): string[] {
    let names: string[];
    try {
      names = readdirSync(this.root);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw e;
    }
    return names.filter((n) => ID_RE.test(n) && n !== '.' && n !== '..').sort();
  }

  /** The live status: from the stored pid and start time, and the exec fifo (present until start). */
  status(rec: ContainerRecord): Status {
    if (rec.status === 'stopped') return 'stopped';
    if (!isSameProcess(rec.pid, rec.tsrun.starttime)) return 'stopped';
    if (rec.status === 'creating') return 'creating';
    if (existsSync(join(this.dir(rec.id), 'exec.fifo'))) return 'created';
    return rec.status === 'paused' ? 'paused' : 'running';
  }

  /** The public state document, with the live status; a stopped container reports pid 0 as runc does. */
  publicState(rec: ContainerRecord): PublicState {
    const status = this.status(rec);
    const out: PublicState = {
      ociVersion: rec.ociVersion,
      id: rec.id,
      pid: status === 'stopped' ? 0 : rec.pid,
      status,
      bundle: rec.bundle,
      rootfs: rec.rootfs,
      created: rec.created,
      owner: rec.owner,
    };
    if (rec.annotations && Object.keys(rec.annotations).length) out.annotations = rec.annotations;
    return out;
  }

  /** The uid owning the container directory (for `list`'s OWNER column). */
  ownerUid(id: string): number {
    return statSync(this.dir(id)).uid;
  }
}
