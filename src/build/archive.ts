// ADD's local archives. As docker (both builders) decides: a file is an
// archive when, decompressed as its magic bytes say (gzip, bzip2, xz, zstd or
// none; never by its name), its first tar header can be read. Anything else,
// a gzip of plain text included, is copied as it is. An archive that fails
// later on (truncated, corrupt) is an error.
//
// Decompression streams: gzip through node:zlib and zstd through fzstd (both
// in-process, as the layer unpacker does); bzip2 and xz through the system
// `bzip2` and `xz` programs (Debian bzip2, xz-utils), as docker itself runs
// `xz -d -c -q`: Node has neither codec, and the npm ones are either native
// addons to build or unmaintained whole-buffer decoders.
import * as fs from 'node:fs';
import { spawn } from 'node:child_process';
import { PassThrough, type Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import tar from 'tar-stream';
import { ZstdDecompressStream } from '../snapshot/index.js';
import { extractTar } from './context/extract.js';

export type ArchiveCompression = 'none' | 'gzip' | 'bzip2' | 'xz' | 'zstd';

export class ArchiveError extends Error {}

/** The program that decodes a format is not installed: an error, never "not an archive". */
export class MissingProgramError extends ArchiveError {}

/** docker's magic numbers (moby/go-archive compression.Detect), in its order. */
export function detectArchiveCompression(head: Uint8Array): ArchiveCompression {
  const starts = (m: number[]) => head.length >= m.length && m.every((b, i) => head[i] === b);
  if (starts([0x42, 0x5a, 0x68])) return 'bzip2';
  if (starts([0x1f, 0x8b, 0x08])) return 'gzip';
  if (starts([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00])) return 'xz';
  if (starts([0x28, 0xb5, 0x2f, 0xfd])) return 'zstd';
  // a zstd skippable frame: magic 0x184D2A50..0x184D2A5F
  if (head.length >= 8 && (Buffer.from(head.subarray(0, 4)).readUInt32LE(0) & 0xfffffff0) === 0x184d2a50) return 'zstd';
  return 'none';
}

const PROGRAMS: Partial<Record<ArchiveCompression, { cmd: string; pkg: string }>> = {
  bzip2: { cmd: 'bzip2', pkg: 'bzip2' },
  xz: { cmd: 'xz', pkg: 'xz-utils' },
};

/** Run `cmd -d -c -q` over `input`; its exit status and stderr become the stream's error. */
function programStream(c: ArchiveCompression, input: Readable): Readable {
  const { cmd, pkg } = PROGRAMS[c]!;
  const out = new PassThrough();
  const child = spawn(cmd, ['-d', '-c', '-q'], { stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => {
    if (stderr.length < 4096) stderr += d.toString();
  });
  // EPIPE when the program stops reading early (a probe that has seen enough, a corrupt stream)
  child.stdin.on('error', () => {});
  input.on('error', (e) => out.destroy(e));
  input.pipe(child.stdin);
  child.stdout.pipe(out, { end: false });
  child.on('error', (e: NodeJS.ErrnoException) =>
    out.destroy(e.code === 'ENOENT' ? new MissingProgramError(`unpacking ${c} needs the ${cmd} program (Debian package ${pkg})`) : new ArchiveError(`${cmd}: ${e.message}`)),
  );
  child.on('close', (code, signal) => {
    if (code === 0) out.end();
    else if (!out.destroyed) out.destroy(new ArchiveError(`${cmd}: ${stderr.trim().replace(/^\S+: \(stdin\): /, '') || (signal ? `killed by ${signal}` : `exit status ${code}`)}`));
  });
  out.on('close', () => {
    input.destroy();
    if (child.exitCode === null && child.signalCode === null) child.kill();
  });
  return out;
}

/** The decompressed content of `file`. */
export function decompressedStream(file: string, c: ArchiveCompression): Readable {
  const input = fs.createReadStream(file);
  if (c === 'none') return input;
  if (c === 'bzip2' || c === 'xz') return programStream(c, input);
  const dec = c === 'gzip' ? createGunzip() : new ZstdDecompressStream();
  input.on('error', (e) => dec.destroy(e));
  dec.on('close', () => input.destroy());
  return input.pipe(dec);
}

function readHead(file: string, n: number): Buffer {
  const fd = fs.openSync(file, 'r');
  try {
    const buf = Buffer.alloc(n);
    return buf.subarray(0, fs.readSync(fd, buf, 0, n, 0));
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * Whether ADD unpacks the regular file `file`: its compression when the first
 * tar header of its decompressed content reads (Go's tar.Reader.Next()),
 * undefined when it is copied as it is. A missing bzip2/xz program is an
 * error (docker would silently copy the file as it is).
 */
export async function probeArchive(file: string): Promise<ArchiveCompression | undefined> {
  let st: fs.Stats;
  try {
    st = fs.lstatSync(file);
  } catch {
    return undefined;
  }
  if (!st.isFile()) return undefined;
  const c = detectArchiveCompression(readHead(file, 10));
  const src = decompressedStream(file, c);
  const ex = tar.extract({ allowUnknownFormat: true });
  return new Promise((resolve, reject) => {
    let settled = false;
    const settle = (isArchive: boolean | Error) => {
      if (settled) return;
      settled = true;
      if (isArchive instanceof Error) reject(isArchive);
      else resolve(isArchive ? c : undefined);
      src.destroy();
      ex.destroy();
    };
    ex.on('entry', (_h, body) => {
      body.resume();
      settle(true);
    });
    ex.on('finish', () => settle(false));
    ex.on('error', () => settle(false));
    ex.on('close', () => settle(false));
    // what was decompressed before an error still counts: docker reads the
    // first header from a stream that fails only further on
    src.on('data', (chunk: Buffer) => ex.write(chunk));
    src.on('end', () => ex.end());
    src.on('error', (e) => (e instanceof MissingProgramError ? settle(e) : ex.end()));
  });
}

/** Unpack the archive `file` (compressed as `c`) into the empty directory `dir`, through the context extractor's safety rules. */
export async function extractArchive(file: string, c: ArchiveCompression, dir: string, shown: string): Promise<void> {
  try {
    await extractTar(decompressedStream(file, c), dir, { keepOwner: true, what: 'archive', allowUnknownFormat: true });
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e);
    throw new ArchiveError(`ADD failed: ${shown}: Error processing tar file: ${/Unexpected end of data|unexpected end of file|Unexpected end of input/i.test(msg) ? `unexpected EOF (${msg})` : msg}`);
  }
}
