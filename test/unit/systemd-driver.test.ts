// The systemd driver's pure parts, against runc's behaviour: cgroupsPath parsing and its errors,
// ExpandSlice, resources as unit properties, org.systemd.property.* annotations.
import { describe, expect, it } from 'vitest';
import { annotationProperties, parseVariantText } from '../../src/cgroups/systemd/annotations.js';
import { expandSlice, systemdNames } from '../../src/cgroups/systemd/names.js';
import { rangeToBits, resourceProperties } from '../../src/cgroups/systemd/properties.js';
import { variant } from '../../src/dbus/wire.js';

const MAX = (1n << 64n) - 1n;
const propMap = (props: [string, { sig: string; value: unknown }][]) => Object.fromEntries(props.map(([k, v]) => [k, v.value]));

describe('cgroupsPath for systemd (runc specconv)', () => {
  it('parses slice:prefix:name', () => {
    expect(systemdNames('c1', 'system.slice:docker:abc')).toEqual({ parent: 'system.slice', slice: 'system.slice', unit: 'docker-abc.scope', name: 'abc', inner: '/system.slice/docker-abc.scope' });
    expect(systemdNames('c1', 'machine-a.slice:libpod:x').inner).toBe('/machine.slice/machine-a.slice/libpod-x.scope');
    expect(systemdNames('c1', ':cri-containerd:x')).toMatchObject({ slice: 'system.slice', unit: 'cri-containerd-x.scope', inner: '/system.slice/cri-containerd-x.scope' });
    expect(systemdNames('c1', 'system.slice:tsrun:my.slice')).toMatchObject({ unit: 'my.slice', inner: '/system.slice/my.slice' });
    expect(systemdNames('c1', '-.slice:p:n').inner).toBe('/p-n.scope');
  });
  it('defaults to system.slice (user.slice rootless) and the tsrun prefix', () => {
    expect(systemdNames('c1', undefined)).toMatchObject({ slice: 'system.slice', unit: 'tsrun-c1.scope', name: 'c1', inner: '/system.slice/tsrun-c1.scope' });
    expect(systemdNames('c1', '', true)).toMatchObject({ slice: 'user.slice', inner: '/user.slice/tsrun-c1.scope' });
  });
  it('says what runc says about a bad path', () => {
    expect(() => systemdNames('c1', '/tsrun/c1')).toThrow('expected cgroupsPath to be of format "slice:prefix:name" for systemd cgroups, got "/tsrun/c1" instead');
    expect(() => systemdNames('c1', 'a:b:c:d')).toThrow(/of format "slice:prefix:name"/);
    expect(() => systemdNames('c1', 'system:tsrun:c1')).toThrow('invalid slice name: system');
    expect(() => systemdNames('c1', 'a--b.slice:tsrun:c1')).toThrow('invalid slice name: a--b.slice');
  });
  it('expands nested slices as ExpandSlice', () => {
    expect(expandSlice('system.slice')).toBe('/system.slice');
    expect(expandSlice('a-b-c.slice')).toBe('/a.slice/a-b.slice/a-b-c.slice');
    expect(expandSlice('-.slice')).toBe('/');
    for (const bad of ['.slice', 'a/b.slice', '-a.slice', 'a-.slice', 'a.scope']) expect(() => expandSlice(bad)).toThrow(`invalid slice name: ${bad}`);
  });
});

describe('resources as unit properties (runc genV2ResourcesProperties)', () => {
  it('sets memory, pids, cpu weight and quota', () => {
    const { props, cpuQuota } = resourceProperties({
      memory: { limit: 64 * 1024 * 1024, reservation: 32 * 1024 * 1024, swap: 128 * 1024 * 1024 },
      pids: { limit: 20 },
      cpu: { shares: 1024, quota: 50000, period: 100000 },
    }, 252);
    expect(propMap(props)).toEqual({
      MemoryMax: 67108864n, MemoryLow: 33554432n, MemorySwapMax: 67108864n,
      TasksMax: 20n, CPUWeight: 100n, CPUQuotaPeriodUSec: 100000n, CPUQuotaPerSecUSec: 500000n,
    });
    expect(props.every(([, v]) => v.sig === 't')).toBe(true);
    expect(cpuQuota).toBeUndefined();
  });
  it('maps -1 and 0 as runc', () => {
    expect(propMap(resourceProperties({ memory: { limit: -1 }, pids: { limit: -1 } }, 252).props)).toEqual({ MemoryMax: MAX, MemorySwapMax: MAX, TasksMax: MAX });
    expect(propMap(resourceProperties({ pids: { limit: 0 } }, 252).props)).toEqual({ TasksMax: 1n });
    expect(resourceProperties({ memory: { limit: 0 } }, 252).props).toEqual([]);
  });
  it('rounds the quota up to whole percents and says the quota to write', () => {
    const r = resourceProperties({ cpu: { quota: 12345, period: 100000 } }, 252);
    expect(propMap(r.props).CPUQuotaPerSecUSec).toBe(130000n);
    expect(r.cpuQuota).toBe(13000n);
    expect(propMap(resourceProperties({ cpu: { period: 50000 } }, 252).props)).toEqual({ CPUQuotaPeriodUSec: 50000n, CPUQuotaPerSecUSec: MAX });
    expect(propMap(resourceProperties({ cpu: { quota: 20000 } }, 241).props)).toEqual({ CPUQuotaPerSecUSec: 200000n });
  });
  it('gives cpusets as byte masks (systemd >= 244) and cpu.idle as weight 0 (>= 252)', () => {
    expect(rangeToBits('0-2,5')).toEqual(new Uint8Array([0b100111]));
    expect(rangeToBits('9')).toEqual(new Uint8Array([0, 2]));
    expect(rangeToBits(' 1 ,, 3')).toEqual(new Uint8Array([0b1010]));
    expect(() => rangeToBits('')).toThrow('empty value');
    expect(() => rangeToBits('3-1')).toThrow('invalid range: 3-1');
    const p = resourceProperties({ cpu: { cpus: '0-1', mems: '0', idle: 1, shares: 1024 } }, 252).props;
    expect(propMap(p)).toEqual({ CPUWeight: 0n, AllowedCPUs: new Uint8Array([3]), AllowedMemoryNodes: new Uint8Array([1]) });
    expect(p.find(([k]) => k === 'AllowedCPUs')?.[1].sig).toBe('ay');
    expect(propMap(resourceProperties({ cpu: { cpus: '0-1' } }, 243).props)).toEqual({});
  });
  it('converts the unified keys it knows', () => {
    const p = resourceProperties({ unified: { 'memory.max': '1000', 'memory.high': 'max', 'pids.max': '0', 'cpu.max': '20000 100000', 'cpu.weight': '7', 'io.weight': '50' } }, 252).props;
    expect(propMap(p)).toEqual({ MemoryMax: 1000n, MemoryHigh: MAX, TasksMax: 1n, CPUQuotaPeriodUSec: 100000n, CPUQuotaPerSecUSec: 200000n, CPUWeight: 7n });
    expect(() => resourceProperties({ unified: { 'memory/max': '1' } }, 252)).toThrow(/must be a file name/);
    expect(() => resourceProperties({ unified: { memory: '1' } }, 252)).toThrow(/CONTROLLER.PARAMETER/);
  });
  it('refuses swap without a memory limit, as runc', () => {
    expect(() => resourceProperties({ memory: { swap: 1000 } }, 252)).toThrow(/unable to set swap limit without memory limit/);
  });
});

describe('org.systemd.property.* annotations (runc initSystemdProps)', () => {
  it('parses GVariant text values', () => {
    expect(parseVariantText('true')).toEqual(variant('b', true));
    expect(parseVariantText('uint64 42')).toEqual(variant('t', 42n));
    expect(parseVariantText('@t 7')).toEqual(variant('t', 7n));
    expect(parseVariantText('42')).toEqual(variant('i', 42));
    expect(parseVariantText('1.5')).toEqual(variant('d', 1.5));
    expect(parseVariantText('"a b"')).toEqual(variant('s', 'a b'));
    expect(parseVariantText("['a', 'b']")).toEqual(variant('as', ['a', 'b']));
    expect(parseVariantText('[uint32 1, 2]')).toEqual(variant('au', [1, 2]));
    expect(parseVariantText('@as []')).toEqual(variant('as', []));
    expect(() => parseVariantText('byte 300')).toThrow(/out of range/);
    expect(() => parseVariantText('[1, true]')).toThrow();
  });
  it('turns names ending in "Sec" to USec values', () => {
    const p = annotationProperties({ 'org.systemd.property.TimeoutStopSec': 'uint64 5', 'org.systemd.property.CollectMode': "'inactive-or-failed'", 'other': 'x', 'org.systemd.property.RuntimeMaxSec': '2.5' });
    expect(Object.fromEntries(p.map(([k, v]) => [k, v]))).toEqual({
      TimeoutStopUSec: variant('t', 5000000n), CollectMode: variant('s', 'inactive-or-failed'), RuntimeMaxUSec: variant('t', 2500000n),
    });
  });
  it('refuses bad names and values with runc\'s words', () => {
    expect(() => annotationProperties({ 'org.systemd.property.Ab': 'true' })).toThrow('annotation org.systemd.property.Ab name incorrect: too short');
    expect(() => annotationProperties({ 'org.systemd.property.A_b': 'true' })).toThrow('annotation org.systemd.property.A_b name incorrect: contains non-alphabetic character');
    expect(() => annotationProperties({ 'org.systemd.property.TimeoutStopSec': "'x'" })).toThrow(/annotation org.systemd.property.TimeoutStopSec='x' value parse error: not a number/);
    expect(() => annotationProperties({ 'org.systemd.property.Foo': 'nonsense' })).toThrow(/value parse error/);
  });
});
