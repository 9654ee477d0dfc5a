// The D-Bus wire format: exact bytes for the types systemd's API uses, alignment, and round trips.
import { describe, expect, it } from 'vitest';
import { decodeMessage, encodeMessage, messageLength, MessageType } from '../../src/dbus/message.js';
import { Reader, splitSignature, variant, Writer } from '../../src/dbus/wire.js';
import { busAddress, socketPathOf } from '../../src/dbus/address.js';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const write = (sig: string, values: unknown[]) => {
  const w = new Writer();
  w.write(sig, values);
  return w.bytes();
};
const roundTrip = (sig: string, values: unknown[]) => new Reader(write(sig, values), true).read(sig);

describe('signatures', () => {
  it('splits into complete types', () => {
    expect(splitSignature('sa{sv}(ii)ay')).toEqual(['s', 'a{sv}', '(ii)', 'ay']);
    expect(splitSignature('ssa(sv)a(sa(sv))')).toEqual(['s', 's', 'a(sv)', 'a(sa(sv))']);
    expect(splitSignature('')).toEqual([]);
  });
  it('refuses malformed ones', () => {
    expect(() => splitSignature('a')).toThrow(/missing/);
    expect(() => splitSignature('(ii')).toThrow(/unclosed/);
    expect(() => splitSignature('a{sss}')).toThrow(/two types/);
    expect(() => splitSignature('z')).toThrow(/unknown type/);
    expect(() => splitSignature('()')).toThrow(/empty struct/);
  });
});

describe('marshalling', () => {
  it('writes the basic types little-endian, each at its alignment', () => {
    expect(hex(write('y', [7]))).toBe('07');
    expect(hex(write('yb', [1, true]))).toBe('01000000' + '01000000');
    expect(hex(write('yn', [1, -2]))).toBe('0100' + 'feff');
    expect(hex(write('yq', [1, 0xabcd]))).toBe('0100' + 'cdab');
    expect(hex(write('yi', [1, -1]))).toBe('01000000' + 'ffffffff');
    expect(hex(write('yu', [1, 0x01020304]))).toBe('01000000' + '04030201');
    expect(hex(write('yx', [1, -2n]))).toBe('0100000000000000' + 'feffffffffffffff');
    expect(hex(write('yt', [1, (1n << 64n) - 1n]))).toBe('0100000000000000' + 'ffffffffffffffff');
    expect(hex(write('d', [1.5]))).toBe('000000000000f83f');
    expect(hex(write('h', [3]))).toBe('03000000');
  });
  it('writes strings with a u32 length and NUL, signatures with a byte length', () => {
    expect(hex(write('s', ['ab']))).toBe('02000000' + '6162' + '00');
    expect(hex(write('o', ['/']))).toBe('01000000' + '2f' + '00');
    expect(hex(write('g', ['a{sv}']))).toBe('05' + '617b73767d' + '00');
    expect(hex(write('s', ['é']))).toBe('02000000' + 'c3a9' + '00');
  });
  it('writes array lengths without the padding before the first element', () => {
    // u32 length 8, 4 bytes of padding to the u64's alignment, the element.
    expect(hex(write('at', [[5n]]))).toBe('08000000' + '00000000' + '0500000000000000');
    expect(hex(write('at', [[]]))).toBe('00000000' + '00000000');
    expect(hex(write('au', [[1, 2]]))).toBe('08000000' + '01000000' + '02000000');
    expect(hex(write('ay', [new Uint8Array([1, 2, 3])]))).toBe('03000000' + '010203');
    expect(hex(write('ay', [[1, 2]]))).toBe('02000000' + '0102');
  });
  it('aligns structs and dict entries to 8', () => {
    expect(hex(write('y(y)', [1, [2]]))).toBe('0100000000000000' + '02');
    // a{sv} with one entry "a" -> uint32 1
    expect(hex(write('a{sv}', [[['a', variant('u', 1)]]]))).toBe(
      '10000000' + '00000000' + '01000000' + '6100' + '01' + '7500' + '000000' + '01000000',
    );
  });
  it('writes a variant as its signature then its value, aligned', () => {
    expect(hex(write('v', [variant('t', 1n)]))).toBe('01' + '7400' + '0000000000' + '0100000000000000');
    expect(hex(write('v', [variant('b', false)]))).toBe('01' + '6200' + '00' + '00000000');
  });
  it('checks values against their types', () => {
    expect(() => write('y', [256])).toThrow(/0\.\.255/);
    expect(() => write('u', [-1])).toThrow();
    expect(() => write('b', [1])).toThrow(/boolean/);
    expect(() => write('s', [1])).toThrow(/string/);
    expect(() => write('(ii)', [[1]])).toThrow(/struct/);
    expect(() => write('v', [{ sig: 'ss', value: 1 }])).toThrow(/one complete type/);
    expect(() => write('ss', ['a'])).toThrow(/2 types, 1 values/);
  });
  it('round-trips what systemd calls take', () => {
    const props = [
      ['Description', variant('s', 'libcontainer container c1')],
      ['PIDs', variant('au', [42])],
      ['Delegate', variant('b', true)],
      ['MemoryMax', variant('t', 123456789n)],
      ['AllowedCPUs', variant('ay', new Uint8Array([3]))],
      ['Wants', variant('as', ['a.slice'])],
    ];
    const out = roundTrip('ssa(sv)a(sa(sv))', ['tsrun-c1.scope', 'replace', props, []]);
    expect(out[0]).toBe('tsrun-c1.scope');
    expect(out[1]).toBe('replace');
    expect(out[3]).toEqual([]);
    const got = out[2] as [string, { sig: string; value: unknown }][];
    expect(got.map(([k, v]) => [k, v.sig])).toEqual(props.map(([k, v]) => [k, (v as { sig: string }).sig]));
    expect(got[3][1].value).toBe(123456789n);
    expect(got[4][1].value).toEqual(new Uint8Array([3]));
    expect(roundTrip('nqixtdbg', [-5, 5, -7, -8n, 9n, 0.25, false, 'sv'])).toEqual([-5, 5, -7, -8n, 9n, 0.25, false, 'sv']);
    expect(roundTrip('a{sa{su}}', [[['x', [['y', 1]]]]])).toEqual([[['x', [['y', 1]]]]]);
  });
  it('reads big-endian data too', () => {
    const be = new Uint8Array([0, 0, 0, 2, 0x61, 0x62, 0, 0, 0, 0, 0, 5]);
    expect(new Reader(be, false).read('su')).toEqual(['ab', 5]);
  });
  it('refuses truncated data', () => {
    expect(() => new Reader(new Uint8Array([5, 0, 0, 0, 0x61]), true).read('s')).toThrow(/truncated/);
    expect(() => new Reader(new Uint8Array([16, 0, 0, 0, 1, 0, 0, 0]), true).read('au')).toThrow(/truncated/);
  });
});

describe('messages', () => {
  it('encodes a method call as the specification lays it out', () => {
    const b = encodeMessage({ type: MessageType.MethodCall, flags: 0, serial: 1, path: '/org/freedesktop/DBus', interface: 'org.freedesktop.DBus', member: 'Hello', destination: 'org.freedesktop.DBus', signature: '', body: [] });
    expect(hex(b.subarray(0, 12))).toBe('6c' + '01' + '00' + '01' + '00000000' + '01000000');
    expect(b.length % 8).toBe(0);
    expect(messageLength(b)).toBe(b.length);
    const m = decodeMessage(b);
    expect(m).toMatchObject({ type: 1, serial: 1, path: '/org/freedesktop/DBus', member: 'Hello', destination: 'org.freedesktop.DBus', signature: '', body: [] });
  });
  it('round-trips a body and the reply fields', () => {
    const b = encodeMessage({ type: MessageType.Signal, flags: 1, serial: 9, path: '/org/freedesktop/systemd1', interface: 'org.freedesktop.systemd1.Manager', member: 'JobRemoved', sender: ':1.0', signature: 'uoss', body: [7, '/org/freedesktop/systemd1/job/7', 'x.scope', 'done'] });
    expect(messageLength(b.subarray(0, 16))).toBe(b.length);
    expect(messageLength(b.subarray(0, 15))).toBeUndefined();
    const m = decodeMessage(b);
    expect(m.body).toEqual([7, '/org/freedesktop/systemd1/job/7', 'x.scope', 'done']);
    expect(m.sender).toBe(':1.0');
    const e = decodeMessage(encodeMessage({ type: MessageType.Error, flags: 0, serial: 2, replySerial: 1, errorName: 'org.freedesktop.DBus.Error.Failed', signature: 's', body: ['no'] }));
    expect(e).toMatchObject({ type: 3, replySerial: 1, errorName: 'org.freedesktop.DBus.Error.Failed', body: ['no'] });
  });
  it('refuses a message whose length does not match', () => {
    const b = encodeMessage({ type: MessageType.MethodCall, flags: 0, serial: 1, member: 'X', path: '/', signature: 'u', body: [1] });
    expect(() => decodeMessage(b.subarray(0, b.length - 1))).toThrow();
  });
});

describe('bus addresses', () => {
  it('takes the unix path of an address', () => {
    expect(socketPathOf('unix:path=/run/dbus/system_bus_socket')).toBe('/run/dbus/system_bus_socket');
    expect(socketPathOf('tcp:host=x;unix:guid=1,path=/tmp/a%20b')).toBe('/tmp/a b');
    expect(socketPathOf('unix:abstract=/tmp/x')).toBeUndefined();
  });
  it('finds the system and user buses', () => {
    expect(busAddress('system', {})).toEqual({ address: 'unix:path=/run/dbus/system_bus_socket', from: 'the default system bus' });
    expect(busAddress('system', { DBUS_SYSTEM_BUS_ADDRESS: 'unix:path=/x' }).address).toBe('unix:path=/x');
    expect(busAddress('user', { XDG_RUNTIME_DIR: '/run/user/1000' }).address).toBe('unix:path=/run/user/1000/bus');
    expect(busAddress('user', { DBUS_SESSION_BUS_ADDRESS: 'unix:path=/y', XDG_RUNTIME_DIR: '/r' }).address).toBe('unix:path=/y');
    expect(() => busAddress('user', {})).toThrow(/no user bus/);
  });
});
