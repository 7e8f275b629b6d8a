/**
 * Safe creation of the files runbook writes (run records, journals, retry files, locks, transcripts):
 * directories are 0700 and files 0600 whatever the umask; a path that is a symbolic link is never
 * followed (O_NOFOLLOW, or exclusive creation of a fresh name) and is refused with E_STATE; an
 * unwritable, read-only or full disk is E_STATE naming the path and what to do, never an internal
 * error.
 */
import { randomBytes } from 'node:crypto';
import {
  chmodSync,
  closeSync,
  constants,
  existsSync,
  fchmodSync,
  fsyncSync,
  mkdirSync,
  openSync,
  renameSync,
  rmdirSync,
  statfsSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import { dirname } from 'node:path';
import { RunbookError } from './errors.js';

const { O_APPEND, O_CREAT, O_EXCL, O_NOFOLLOW, O_WRONLY } = constants;

/** What the file is, for messages: `journal`, `run record`, `retry file`, `lock`, `transcript`. */
export type FileRole = string;

/**
 * Creates `dir` and its missing parents, each 0700 whatever the umask. A directory that existed
 * keeps its mode (a shared `--state-dir /tmp` is not chmod'ed).
 */
export function ensurePrivateDir(dir: string, role: FileRole = 'state directory'): void {
  try {
    const first = mkdirSync(dir, { recursive: true, mode: 0o700 });
    if (first === undefined) return;
    for (let d = dir; ; d = dirname(d)) {
      chmodSync(d, 0o700);
      if (d === first || dirname(d) === d) break;
    }
  } catch (err) {
    throw fileError(realMkdirError(err, dir), dir, role);
  }
}

/**
 * Recursive mkdir reports ENOENT where a plain one says why (EROFS on a read-only file system):
 * the error of creating the first missing directory under the deepest existing one.
 */
function realMkdirError(err: unknown, dir: string): unknown {
  if ((err as NodeJS.ErrnoException | undefined)?.code !== 'ENOENT') return err;
  let missing = dir;
  for (let d = dirname(dir); d !== missing; missing = d, d = dirname(d)) {
    if (existsSync(d)) {
      try {
        mkdirSync(missing, { mode: 0o700 });
        rmdirSync(missing);
      } catch (real) {
        return real;
      }
      break;
    }
  }
  return err;
}

/** Free space a run needs to start: its record and the first journal records (1 MiB). */
export const MIN_FREE_BYTES = 1024 * 1024;

/**
 * Refuses (E_STATE) a directory whose file system has less than MIN_FREE_BYTES free for us, so a
 * full disk is found before anything is sent rather than half-way through a change.
 */
export function checkFreeSpace(dir: string, role: FileRole = 'state directory'): void {
  let free: number;
  try {
    const st = statfsSync(dir);
    free = Number(st.bavail) * Number(st.bsize);
  } catch {
    return; // not supported here: the writes themselves will say
  }
  if (free < MIN_FREE_BYTES)
    throw new RunbookError(
      'E_STATE',
      `cannot write the ${role} ${dir}: only ${free} bytes are free on its file system (ENOSPC ahead); runbook needs at least ${MIN_FREE_BYTES} before it starts`,
      { hint: 'free some space, or point --state-dir elsewhere' },
    );
}

/**
 * Opens `path` for appending, creating it 0600 if needed (its directory too); a symbolic link is
 * refused. Returns the fd (the caller closes it).
 */
export function openPrivateAppend(path: string, role: FileRole): number {
  ensurePrivateDir(dirname(path));
  try {
    const fd = openSync(path, O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW, 0o600);
    try {
      fchmodSync(fd, 0o600);
    } catch (err) {
      closeSync(fd);
      throw err;
    }
    return fd;
  } catch (err) {
    throw fileError(err, path, role);
  }
}

/** Writes all of `data` at the fd's position (append fds: at the end), fsync'd when `sync`. */
export function writeAll(
  fd: number,
  data: Buffer,
  opts: { path: string; role: FileRole; sync: boolean },
): void {
  try {
    let off = 0;
    while (off < data.length) off += writeSync(fd, data, off);
    if (opts.sync) fsyncSync(fd);
  } catch (err) {
    throw fileError(err, opts.path, opts.role);
  }
}

/**
 * Replaces `path` with `text` atomically (a fresh temp file created exclusively, fsync'd, renamed
 * over it): readers see the old or the new content, never half, and a symlink at `path` is
 * replaced, not followed.
 */
export function writePrivateFileAtomic(path: string, text: string, role: FileRole): void {
  ensurePrivateDir(dirname(path));
  const tmp = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  try {
    const fd = openSync(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, 0o600);
    try {
      fchmodSync(fd, 0o600);
      writeAll(fd, Buffer.from(text, 'utf8'), { path, role, sync: true });
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, path);
  } catch (err) {
    try {
      unlinkSync(tmp);
    } catch {
      // never created, or already renamed
    }
    throw fileError(err, path, role);
  }
}

/** Creates `path` (0600) exclusively: fails with EEXIST (as a plain errno error) when it exists. */
export function createPrivateExclusive(path: string, text: string, role: FileRole): void {
  let fd: number;
  try {
    fd = openSync(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, 0o600);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') throw err;
    throw fileError(err, path, role);
  }
  try {
    fchmodSync(fd, 0o600);
    writeAll(fd, Buffer.from(text, 'utf8'), { path, role, sync: true });
  } finally {
    closeSync(fd);
  }
}

const REASONS: Record<string, { what: string; hint: string }> = {
  ENOSPC: {
    what: 'no space left on the device',
    hint: 'free some space (or point --state-dir elsewhere), then resume',
  },
  EDQUOT: {
    what: 'the disk quota is exceeded',
    hint: 'free some space (or point --state-dir elsewhere), then resume',
  },
  EROFS: { what: 'the file system is read-only', hint: 'point --state-dir at a writable directory' },
  EACCES: {
    what: 'permission denied',
    hint: 'check the owner and mode of the directory, or point --state-dir at a directory you can write',
  },
  EPERM: {
    what: 'operation not permitted',
    hint: 'check the owner and mode of the directory, or point --state-dir at a directory you can write',
  },
  ENOTDIR: { what: 'a part of the path is not a directory', hint: 'point --state-dir at a directory' },
  EISDIR: { what: 'it is a directory', hint: 'remove or rename that directory' },
  ELOOP: {
    what: 'it is a symbolic link, which runbook never follows',
    hint: 'remove the link (someone may be trying to make runbook overwrite another file)',
  },
  EMFILE: { what: 'too many open files', hint: 'raise the limit of open files (ulimit -n) or lower --forks' },
  ENFILE: { what: 'too many open files on the system', hint: 'lower --forks' },
};

/** An errno error on `path` as RunbookError E_STATE (RunbookErrors pass through). */
export function fileError(err: unknown, path: string, role: FileRole): unknown {
  if (err instanceof RunbookError) return err;
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  const r = code ? REASONS[code] : undefined;
  if (!r) return err;
  return new RunbookError('E_STATE', `cannot write the ${role} ${path}: ${r.what} (${code})`, {
    hint: r.hint,
    cause: err,
  });
}
