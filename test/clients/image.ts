// Builds a tiny busybox image for the client end-to-end tests, from Debian's busybox-static, with no
// registry and no tools: one uncompressed layer (a ustar tar of a rootfs with /bin/busybox, a
// symlink per applet, /etc/passwd and /etc/group), an image config, a manifest, and either
//  - an OCI image layout tarball (oci-layout, index.json, blobs/sha256/*) for `ctr images import`, or
//  - a `docker save` style tarball (manifest.json, <config>.json, <layer>/layer.tar) for Docker 20.10,
//    whose `docker load` does not read OCI layouts.
// Everything is deterministic (fixed mtimes, sorted entries), so the digests are stable.
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';

export const BUSYBOX_PATHS = ['/bin/busybox', '/usr/bin/busybox'];
const MTIME = 1_700_000_000;

export function findBusyboxStatic(): string | undefined {
  for (const p of BUSYBOX_PATHS) {
    if (!existsSync(p)) continue;
    // A dynamically linked busybox would need the host's libc inside the image.
    const head = readFileSync(p).subarray(0, 4096);
    if (head.includes(Buffer.from('/lib64/ld-linux'))) continue;
    return p;
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// A minimal ustar writer: directories, regular files and symlinks.

export interface TarEntry {
  name: string;
  type: 'file' | 'dir' | 'symlink';
  mode?: number;
  data?: Buffer;
  linkname?: string;
}

function octal(n: number, width: number): string {
  return n.toString(8).padStart(width - 1, '0') + '\0';
}

function header(e: TarEntry, size: number): Buffer {
  const h = Buffer.alloc(512);
  let name = e.name;
  let prefix = '';
  if (Buffer.byteLength(name) > 100) {
    const cut = name.lastIndexOf('/', 154);
    if (cut <= 0 || Buffer.byteLength(name.slice(cut + 1)) > 100) throw new Error(`tar: name too long: ${name}`);
    prefix = name.slice(0, cut);
    name = name.slice(cut + 1);
  }
  const mode = e.mode ?? (e.type === 'dir' ? 0o755 : e.type === 'symlink' ? 0o777 : 0o644);
  h.write(name, 0, 100, 'utf8');
  h.write(octal(mode, 8), 100, 8, 'ascii');
  h.write(octal(0, 8), 108, 8, 'ascii'); // uid
  h.write(octal(0, 8), 116, 8, 'ascii'); // gid
  h.write(octal(size, 12), 124, 12, 'ascii');
  h.write(octal(MTIME, 12), 136, 12, 'ascii');
  h.write('        ', 148, 8, 'ascii'); // checksum placeholder
  h.write(e.type === 'dir' ? '5' : e.type === 'symlink' ? '2' : '0', 156, 1, 'ascii');
  if (e.linkname) h.write(e.linkname, 157, 100, 'utf8');
  h.write('ustar\0', 257, 6, 'ascii');
  h.write('00', 263, 2, 'ascii');
  h.write('root', 265, 32, 'ascii');
  h.write('root', 297, 32, 'ascii');
  h.write(prefix, 345, 155, 'utf8');
  let sum = 0;
  for (const b of h) sum += b;
  h.write(sum.toString(8).padStart(6, '0') + '\0 ', 148, 8, 'ascii');
  return h;
}

export function tar(entries: TarEntry[]): Buffer {
  const parts: Buffer[] = [];
  for (const e of entries) {
    const data = e.type === 'file' ? (e.data ?? Buffer.alloc(0)) : Buffer.alloc(0);
    parts.push(header(e, data.length), data);
    const pad = (512 - (data.length % 512)) % 512;
    if (pad) parts.push(Buffer.alloc(pad));
  }
  parts.push(Buffer.alloc(1024)); // two zero blocks end the archive
  return Buffer.concat(parts);
}

// ---------------------------------------------------------------------------------------------

export const sha256 = (b: Buffer | string): string => createHash('sha256').update(b).digest('hex');

export interface Blob { digest: string; data: Buffer; mediaType: string }

export interface BusyboxImage {
  /** A fully qualified reference, e.g. docker.io/tsrun-test/busybox:latest. */
  ref: string;
  layer: Blob;
  config: Blob;
  manifest: Blob;
}

function blob(mediaType: string, data: Buffer): Blob {
  return { mediaType, data, digest: `sha256:${sha256(data)}` };
}

/** The layer tar of a busybox rootfs. */
export function busyboxLayer(busybox: string): Buffer {
  const bin = readFileSync(busybox);
  const applets = execFileSync(busybox, ['--list'], { encoding: 'utf8' })
    .split('\n')
    .filter((a) => a && a !== 'busybox' && !a.includes('/'))
    .sort();
  const entries: TarEntry[] = [];
  for (const d of ['bin', 'dev', 'etc', 'proc', 'root', 'run', 'sys', 'var']) entries.push({ name: `${d}/`, type: 'dir' });
  entries.push({ name: 'tmp/', type: 'dir', mode: 0o1777 });
  entries.push({ name: 'bin/busybox', type: 'file', mode: 0o755, data: bin });
  for (const a of applets) entries.push({ name: `bin/${a}`, type: 'symlink', linkname: 'busybox' });
  entries.push({ name: 'etc/passwd', type: 'file', data: Buffer.from('root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n') });
  entries.push({ name: 'etc/group', type: 'file', data: Buffer.from('root:x:0:\ntty:x:5:\nnogroup:x:65534:\n') });
  return tar(entries);
}

export function buildBusyboxImage(ref = 'docker.io/tsrun-test/busybox:latest', busybox = findBusyboxStatic()): BusyboxImage {
  if (!busybox) throw new Error('busybox-static is not installed (apt-get install busybox-static)');
  return buildImage(ref, busyboxLayer(busybox), { Cmd: ['sh'] });
}

/** What an image's config says about the process (the OCI image config's `config` object). */
export interface ImageProcess {
  Entrypoint?: string[];
  Cmd?: string[];
  Env?: string[];
  User?: string;
  WorkingDir?: string;
}

/** An image of one uncompressed layer. */
export function buildImage(ref: string, layerTar: Buffer, proc: ImageProcess): BusyboxImage {
  const layer = blob('application/vnd.oci.image.layer.v1.tar', layerTar);
  const config = blob(
    'application/vnd.oci.image.config.v1+json',
    Buffer.from(
      JSON.stringify({
        created: new Date(MTIME * 1000).toISOString(),
        architecture: goArch(),
        os: 'linux',
        config: { Env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'], ...proc },
        rootfs: { type: 'layers', diff_ids: [layer.digest] },
        history: [{ created: new Date(MTIME * 1000).toISOString(), created_by: 'tsrun test/clients/image.ts' }],
      }),
    ),
  );
  const manifest = blob(
    'application/vnd.oci.image.manifest.v1+json',
    Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: 'application/vnd.oci.image.manifest.v1+json',
        config: { mediaType: config.mediaType, digest: config.digest, size: config.data.length },
        layers: [{ mediaType: layer.mediaType, digest: layer.digest, size: layer.data.length }],
      }),
    ),
  );
  return { ref, layer, config, manifest };
}

export function goArch(): string {
  return ({ x64: 'amd64', arm64: 'arm64', arm: 'arm', ia32: '386', ppc64: 'ppc64le', s390x: 's390x', riscv64: 'riscv64' } as Record<string, string>)[process.arch] ?? process.arch;
}

const hex = (digest: string) => digest.replace(/^sha256:/, '');

/** An OCI image layout as one tarball (what `ctr images import` reads). */
export function ociArchive(img: BusyboxImage): Buffer {
  const tag = img.ref.slice(img.ref.lastIndexOf(':') + 1);
  const index = {
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.index.v1+json',
    manifests: [
      {
        mediaType: img.manifest.mediaType,
        digest: img.manifest.digest,
        size: img.manifest.data.length,
        annotations: { 'io.containerd.image.name': img.ref, 'org.opencontainers.image.ref.name': tag },
        platform: { architecture: goArch(), os: 'linux' },
      },
    ],
  };
  const blobs = [img.config, img.layer, img.manifest].sort((a, b) => a.digest.localeCompare(b.digest));
  return tar([
    { name: 'oci-layout', type: 'file', data: Buffer.from(JSON.stringify({ imageLayoutVersion: '1.0.0' })) },
    { name: 'index.json', type: 'file', data: Buffer.from(JSON.stringify(index)) },
    { name: 'blobs/', type: 'dir' },
    { name: 'blobs/sha256/', type: 'dir' },
    ...blobs.map((b): TarEntry => ({ name: `blobs/sha256/${hex(b.digest)}`, type: 'file', data: b.data })),
  ]);
}

/** A `docker save` style tarball (what Docker 20.10's `docker load` reads). */
export function dockerArchive(img: BusyboxImage): Buffer {
  // Docker names a tag without the docker.io/ prefix and library/ for official images.
  const tag = img.ref.replace(/^docker\.io\//, '');
  const layerDir = hex(img.layer.digest);
  const manifest = [{ Config: `${hex(img.config.digest)}.json`, RepoTags: [tag], Layers: [`${layerDir}/layer.tar`] }];
  return tar([
    { name: `${hex(img.config.digest)}.json`, type: 'file', data: img.config.data },
    { name: `${layerDir}/`, type: 'dir' },
    { name: `${layerDir}/VERSION`, type: 'file', data: Buffer.from('1.0') },
    { name: `${layerDir}/json`, type: 'file', data: Buffer.from(JSON.stringify({ id: layerDir, created: new Date(MTIME * 1000).toISOString() })) },
    { name: `${layerDir}/layer.tar`, type: 'file', data: img.layer.data },
    { name: 'manifest.json', type: 'file', data: Buffer.from(JSON.stringify(manifest)) },
  ]);
}

export function writeOciArchive(path: string, img = buildBusyboxImage()): BusyboxImage {
  writeFileSync(path, ociArchive(img));
  return img;
}

export function writeDockerArchive(path: string, img = buildBusyboxImage()): BusyboxImage {
  writeFileSync(path, dockerArchive(img));
  return img;
}
