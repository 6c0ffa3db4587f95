// Files servesim writes: checked before any work, written to a temporary file in the same directory and renamed
// into place, so a failure (full disk, permissions) leaves the previous file untouched and no partial file behind.

import { accessSync, constants, existsSync, fsyncSync, closeSync, openSync, renameSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { ServesimError } from '../errors.js';

/** A system error in words a user can act on. */
export function describeFsError(error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code;
  switch (code) {
    case 'ENOSPC':
      return 'no space left on device';
    case 'EDQUOT':
      return 'disk quota exceeded';
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    case 'EROFS':
      return 'read-only file system';
    case 'ENOENT':
      return 'no such file or directory';
    case 'EISDIR':
      return 'is a directory';
    case 'ENOTDIR':
      return 'a parent is not a directory';
    default:
      return (error as Error).message ?? String(error);
  }
}

/**
 * Fails unless `path` can be written: not a directory, and its directory exists (or, with `createParents`, can be
 * created) and is writable.
 */
export function checkWritableFile(path: string, what: string, createParents = false): void {
  const dir = dirname(path);
  if (existsSync(path) && statSync(path).isDirectory()) throw new ServesimError(`${what} ${path}: is a directory, expected a file path`);
  if (!createParents && !existsSync(dir)) throw new ServesimError(`${what} ${path}: directory ${dir} does not exist`);
  checkWritableDirectory(dir, what, path);
}

/** Fails unless `dir` exists (or can be created under an existing writable parent) and is writable. */
export function checkWritableDirectory(dir: string, what: string, shown = dir): void {
  let probe = dir;
  while (!existsSync(probe)) {
    const parent = dirname(probe);
    if (parent === probe) break;
    probe = parent;
  }
  if (!statSync(probe).isDirectory()) throw new ServesimError(`${what} ${shown}: ${probe} is not a directory`);
  try {
    accessSync(probe, constants.W_OK);
  } catch (error) {
    throw new ServesimError(`${what} ${shown}: cannot write in ${probe} (${describeFsError(error)})`);
  }
}

/** Writes `data` to `path` atomically (temp file + fsync + rename). Errors name `what` and the path. */
export function writeFileAtomic(path: string, data: string | Uint8Array, what: string): void {
  const temp = join(dirname(path), `.${basename(path)}.${process.pid}.${Math.random().toString(36).slice(2, 10)}.tmp`);
  let fd: number | undefined;
  try {
    fd = openSync(temp, 'wx', 0o644);
    const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
    let written = 0;
    while (written < bytes.length) written += writeSync(fd, bytes, written, bytes.length - written);
    fsyncSync(fd);
    closeSync(fd);
    fd = undefined;
    renameSync(temp, path);
  } catch (error) {
    if (fd !== undefined) closeSync(fd);
    try {
      unlinkSync(temp);
    } catch {
      // The temporary file was never created.
    }
    throw new ServesimError(`cannot write ${what} ${path}: ${describeFsError(error)}; the previous file, if any, is unchanged`);
  }
}
