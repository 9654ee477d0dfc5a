// Where a bus is: the system bus (systemd as root) or the user's session bus (systemd --user, for
// rootless use later), from the environment or the well-known sockets, as libdbus and sd-bus find them.

export type BusKind = 'system' | 'user';

/** The unix socket path of a bus address such as "unix:path=/run/dbus/system_bus_socket;tcp:...". */
export function socketPathOf(address: string): string | undefined {
  for (const entry of address.split(';')) {
    const colon = entry.indexOf(':');
    if (colon < 0 || entry.slice(0, colon) !== 'unix') continue;
    for (const kv of entry.slice(colon + 1).split(',')) {
      const eq = kv.indexOf('=');
      // Only path=: abstract sockets and unix:runtime= are not used by systemd's buses.
      if (eq > 0 && kv.slice(0, eq) === 'path') return decodeURIComponent(kv.slice(eq + 1));
    }
  }
  return undefined;
}

/** The bus address to use, and where it came from (for error messages). */
export function busAddress(kind: BusKind, env: NodeJS.ProcessEnv = process.env): { address: string; from: string } {
  if (kind === 'system') {
    if (env.DBUS_SYSTEM_BUS_ADDRESS) return { address: env.DBUS_SYSTEM_BUS_ADDRESS, from: 'DBUS_SYSTEM_BUS_ADDRESS' };
    return { address: 'unix:path=/run/dbus/system_bus_socket', from: 'the default system bus' };
  }
  if (env.DBUS_SESSION_BUS_ADDRESS) return { address: env.DBUS_SESSION_BUS_ADDRESS, from: 'DBUS_SESSION_BUS_ADDRESS' };
  if (env.XDG_RUNTIME_DIR) return { address: `unix:path=${env.XDG_RUNTIME_DIR}/bus`, from: '$XDG_RUNTIME_DIR/bus' };
  throw new Error('no user bus: neither DBUS_SESSION_BUS_ADDRESS nor XDG_RUNTIME_DIR is set');
}
