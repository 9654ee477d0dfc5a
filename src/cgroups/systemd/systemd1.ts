// The few calls of systemd's Manager API (org.freedesktop.systemd1) the driver makes, over a D-Bus
// connection: transient units started and stopped with their jobs waited for (JobRemoved), unit
// properties set and read, processes attached.
import { Connection, DBusError } from '../../dbus/connection.js';
import type { Message } from '../../dbus/message.js';
import { variant, type Variant } from '../../dbus/wire.js';
import type { Property } from './properties.js';

const DEST = 'org.freedesktop.systemd1';
const PATH = '/org/freedesktop/systemd1';
const MANAGER = 'org.freedesktop.systemd1.Manager';
const JOB_TIMEOUT = 30_000; // runc's

export class Systemd {
  private matched = false;
  private version?: number;

  constructor(readonly conn: Connection) {}

  private call(member: string, signature = '', body: unknown[] = []): unknown[] {
    return this.conn.call({ destination: DEST, path: PATH, interface: MANAGER, member, signature, body });
  }

  /** JobRemoved signals reach us only once asked for (before the job is made: it may finish at once). */
  private watchJobs(): void {
    if (this.matched) return;
    this.conn.addMatch(`type='signal',sender='${DEST}',path='${PATH}',interface='${MANAGER}',member='JobRemoved'`);
    this.matched = true;
  }

  /** Waits for the job's JobRemoved; its result: "done", "failed", "canceled", "timeout", "dependency", "skipped". */
  private waitJob(job: string, unit: string, what: string): string {
    const m = this.conn.waitSignal((s: Message) => s.member === 'JobRemoved' && s.body[1] === job, JOB_TIMEOUT);
    if (!m) throw new Error(`Timeout waiting for systemd to ${what} ${unit}`);
    return m.body[3] as string;
  }

  /** The manager's Version property as a number ("252.22-1" -> 252), -1 when unreadable (runc's systemdVersionAtoi). */
  managerVersion(): number {
    if (this.version !== undefined) return this.version;
    try {
      const v = this.conn.call({ destination: DEST, path: PATH, interface: 'org.freedesktop.DBus.Properties', member: 'Get', signature: 'ss', body: [MANAGER, 'Version'] })[0] as Variant;
      const m = /^"?v?(\d+)/.exec(String(v.value));
      this.version = m ? Number(m[1]) : -1;
    } catch {
      this.version = -1;
    }
    return this.version;
  }

  /** A string property of the manager, e.g. ControlGroup (the user manager's own cgroup, for rootless). */
  managerProperty(name: string): string {
    const [v] = this.conn.call({ destination: DEST, path: PATH, interface: 'org.freedesktop.DBus.Properties', member: 'Get', signature: 'ss', body: [MANAGER, name] }) as [Variant];
    return String(v.value);
  }

  /** StartTransientUnit (mode "replace"); the job's result ("done" on success). */
  startTransient(unit: string, props: Property[]): string {
    this.watchJobs();
    const [job] = this.call('StartTransientUnit', 'ssa(sv)a(sa(sv))', [unit, 'replace', props, []]) as [string];
    return this.waitJob(job, unit, 'create');
  }

  /** StopUnit (mode "replace") and its job's result; NoSuchUnit: "gone". */
  stop(unit: string): string {
    this.watchJobs();
    let job: string;
    try {
      [job] = this.call('StopUnit', 'ss', [unit, 'replace']) as [string];
    } catch (e) {
      if (e instanceof DBusError && e.name.includes('NoSuchUnit')) return 'gone';
      throw e;
    }
    return this.waitJob(job, unit, 'remove');
  }

  resetFailed(unit: string): void {
    this.call('ResetFailedUnit', 's', [unit]);
  }

  /** SetUnitProperties with runtime=true (not persisted across reboots), as runc. */
  setProperties(unit: string, props: Property[]): void {
    if (props.length) this.call('SetUnitProperties', 'sba(sv)', [unit, true, props]);
  }

  /** AttachProcessesToUnit: moves pids into the unit's cgroup (or its sub-cgroup, "" = the unit's own). */
  attach(unit: string, subcgroup: string, pids: number[]): void {
    this.call('AttachProcessesToUnit', 'ssau', [unit, subcgroup, pids]);
  }

  /** One property of the unit (interface e.g. org.freedesktop.systemd1.Scope), for tests and checks. */
  unitProperty(unit: string, iface: string, name: string): unknown {
    const [path] = this.call('GetUnit', 's', [unit]) as [string];
    const [v] = this.conn.call({ destination: DEST, path, interface: 'org.freedesktop.DBus.Properties', member: 'Get', signature: 'ss', body: [iface, name] }) as [Variant];
    return v.value;
  }
}

export const bool = (b: boolean): Variant => variant('b', b);
