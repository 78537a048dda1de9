import { readFileSync } from 'node:fs';
import { constants as zlibConstants, gunzipSync, inflateRawSync } from 'node:zlib';

import { DataFileError, RESTORE_HINT } from './dataFileError';

/** zlib's message for a gzip member whose CRC-32 does not match its decompressed data. */
export const CHECKSUM_MISMATCH = 'incorrect data check';

/** Reads a file into memory, naming the path when it does not exist. */
export function readCompressedFile(file: string): Buffer {
  try {
    return readFileSync(file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new DataFileError(file, undefined, 'file not found. Check the data folder path.');
    }
    throw error;
  }
}

/**
 * Reads a gzip-compressed file and returns its decompressed UTF-8 text.
 *
 * Throws DataFileError when the file is missing or its gzip data is truncated, corrupt or fails its checksum.
 * For truncated or corrupt data the error gives the last complete line that could be decompressed.
 */
export function readGzipText(file: string): string {
  const compressed = readCompressedFile(file);
  try {
    return gunzipSync(compressed).toString('utf8');
  } catch (error) {
    throw describeGzipFailure(file, compressed, error as NodeJS.ErrnoException);
  }
}

/** Builds the error for gzip data that zlib rejects, locating the damage in lines of decompressed text when it can. */
export function describeGzipFailure(file: string, compressed: Buffer, error: NodeJS.ErrnoException): DataFileError {
  const reason = `zlib: ${error.message}`;

  if (error.code === 'Z_BUF_ERROR') {
    const partial = gunzipSync(compressed, { finishFlush: zlibConstants.Z_SYNC_FLUSH });
    const lines = countLineFeeds(partial);
    return new DataFileError(file, lines + 1, `the gzip data ends before the end of the file (${reason}), so the file is truncated after line ${lines}. ${RESTORE_HINT}`);
  }

  // The CRC-32 covers the whole output and is checked only at the end, so it cannot locate the damage.
  if (error.message === CHECKSUM_MISMATCH) {
    return new DataFileError(file, undefined, `the decompressed text fails its gzip checksum (${reason}), so the file is damaged. ${RESTORE_HINT}`);
  }

  const lines = countLineFeeds(longestReadablePrefix(compressed));
  if (lines === 0) {
    return new DataFileError(file, 1, `invalid gzip data (${reason}). No line could be decompressed. ${RESTORE_HINT}`);
  }
  return new DataFileError(file, lines + 1, `invalid gzip data (${reason}) after line ${lines}. ${RESTORE_HINT}`);
}

/**
 * Returns the decompressed output of the longest prefix of `compressed` that zlib accepts.
 * A prefix ending before the damaged byte decompresses cleanly and a longer one fails, so a binary search
 * over the prefix length finds the damage in about log2(bytes) passes. This runs only on the error path.
 */
function longestReadablePrefix(compressed: Buffer): Buffer {
  let good = Buffer.alloc(0);
  let low = 0;
  let high = compressed.length;

  while (low < high) {
    const middle = Math.ceil((low + high) / 2);
    try {
      good = gunzipSync(compressed.subarray(0, middle), { finishFlush: zlibConstants.Z_SYNC_FLUSH });
      low = middle;
    } catch {
      high = middle - 1;
    }
  }

  return good;
}

/**
 * Decompresses the first gzip member without checking its CRC-32, returning the damaged text of a file whose
 * checksum failed so that a parser can find the first malformed line. Returns undefined when even that fails.
 */
export function inflateWithoutChecksum(compressed: Buffer): string | undefined {
  const start = gzipHeaderLength(compressed);
  if (start === undefined) return undefined;

  try {
    return inflateRawSync(compressed.subarray(start), { finishFlush: zlibConstants.Z_SYNC_FLUSH }).toString('utf8');
  } catch {
    return undefined;
  }
}

/** Returns the length of a gzip member header (RFC 1952, section 2.3), or undefined when it is not one. */
function gzipHeaderLength(bytes: Buffer): number | undefined {
  const FHCRC = 2;
  const FEXTRA = 4;
  const FNAME = 8;
  const FCOMMENT = 16;

  if (bytes.length < 10 || bytes[0] !== 0x1f || bytes[1] !== 0x8b || bytes[2] !== 8) return undefined;
  const flags = bytes[3];
  let at = 10;

  if (flags & FEXTRA) at += 2 + bytes.readUInt16LE(at);
  for (const field of [FNAME, FCOMMENT]) {
    if ((flags & field) === 0) continue;
    const end = bytes.indexOf(0, at);
    if (end === -1) return undefined;
    at = end + 1;
  }
  if (flags & FHCRC) at += 2;

  return at < bytes.length ? at : undefined;
}

/** Counts line feeds in decompressed data, a string or the bytes of UTF-8 text. */
export function countLineFeeds(data: Buffer | string): number {
  let count = 0;

  if (typeof data === 'string') {
    for (let at = data.indexOf('\n'); at !== -1; at = data.indexOf('\n', at + 1)) count++;
  } else {
    for (let at = data.indexOf(10); at !== -1; at = data.indexOf(10, at + 1)) count++;
  }

  return count;
}
