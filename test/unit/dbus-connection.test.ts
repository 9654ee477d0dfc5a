// The D-Bus connection against a real, private dbus-daemon (skipped when there is none): SASL
// EXTERNAL, Hello, calls, error replies, AddMatch and signal waits.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Connection, DBusError } from '../../src/dbus/connection.js';

const DAEMON = ['/usr/bin/dbus-daemon', '/bin/dbus-daemon'].find((p) => existsSync(p));
if (!DAEMON) console.log('dbus-connection.test.ts: skipped: no dbus-daemon on this host');
const BUS = { destination: 'org.freedesktop.DBus', path: '/org/freedesktop/DBus', interface: 'org.freedesktop.DBus' };

describe.skipIf(!DAEMON)('a connection to a private dbus-daemon', () => {
  let dir = '';
  let sock = '';
  let daemon: ChildProcess | undefined;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'tsrun-dbus-'));
    sock = join(dir, 'bus');
    writeFileSync(join(dir, 'bus.conf'), `<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN" "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig><type>session</type><listen>unix:path=${sock}</listen><auth>EXTERNAL</auth>
<policy context="default"><allow send_destination="*" eavesdrop="true"/><allow eavesdrop="true"/><allow own="*"/></policy></busconfig>`);
    daemon = spawn(DAEMON!, [`--config-file=${join(dir, 'bus.conf')}`, '--nofork', '--nopidfile'], { stdio: 'ignore' });
    for (let i = 0; i < 200 && !existsSync(sock); i++) await new Promise((r) => setTimeout(r, 10));
  });

  afterAll(() => {
    if (daemon?.pid) process.kill(daemon.pid, 'SIGTERM');
    rmSync(dir, { recursive: true, force: true });
  });

  it('authenticates and gets a unique name from Hello', () => {
    const c = Connection.open(sock);
    try {
      expect(c.uniqueName).toMatch(/^:1\.\d+$/);
      const [id] = c.call({ ...BUS, member: 'GetId' });
      expect(id).toMatch(/^[0-9a-f]{32}$/);
      const [names] = c.call({ ...BUS, member: 'ListNames' }) as [string[]];
      expect(names).toContain(c.uniqueName);
    } finally {
      c.close();
    }
  });

  it('turns error replies into DBusError', () => {
    const c = Connection.open(sock);
    try {
      let err: unknown;
      try {
        c.call({ destination: 'org.freedesktop.systemd1', path: '/org/freedesktop/systemd1', interface: 'org.freedesktop.systemd1.Manager', member: 'StopUnit', signature: 'ss', body: ['x.scope', 'replace'] });
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(DBusError);
      expect((err as DBusError).dbusName).toBe('org.freedesktop.DBus.Error.ServiceUnknown');
      expect(() => c.call({ ...BUS, member: 'NoSuchMethod' })).toThrow(/UnknownMethod/);
      // The connection still works after an error.
      expect(c.call({ ...BUS, member: 'NameHasOwner', signature: 's', body: [c.uniqueName] })).toEqual([true]);
    } finally {
      c.close();
    }
  });

  it('receives the signals it matched, also those that came while it waited for a reply', () => {
    const c = Connection.open(sock);
    try {
      c.addMatch("type='signal',interface='org.freedesktop.DBus',member='NameOwnerChanged'");
      const other = Connection.open(sock);
      const name = other.uniqueName;
      // A call first: the signal arrives before its reply, and waits in the queue.
      c.call({ ...BUS, member: 'GetId' });
      other.close();
      const got = c.waitSignal((m) => m.member === 'NameOwnerChanged' && m.body[0] === name && m.body[2] === '', 5000);
      // NameOwnerChanged(name, old owner, new owner): the name went away.
      expect(got?.body).toEqual([name, name, '']);
      // Taken once: not seen again.
      expect(c.waitSignal((m) => m.member === 'NameOwnerChanged' && m.body[0] === name && m.body[2] === '', 200)).toBeUndefined();
    } finally {
      c.close();
    }
  });

  it('fails clearly without a bus', () => {
    expect(() => Connection.open(join(dir, 'nothing'))).toThrow(/ENOENT|no such file/i);
  });
});
