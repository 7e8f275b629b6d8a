/**
 * A throwaway PostgreSQL cluster for integration tests: `initdb` in a temp dir, `pg_ctl start` on a
 * free loopback port (listen_addresses = 127.0.0.1, no Unix socket outside the temp dir), trust
 * auth for 127.0.0.1 only plus a password user (`runbook` / a random password) for the auth tests.
 * PostgreSQL refuses to run as root: when the tests run as root (CI), the cluster runs as Debian's
 * `postgres` user (through `runuser -u postgres --`), with its temp dir chowned to that user.
 *
 * `PG_BIN` is the first `/usr/lib/postgresql/<version>/bin` holding initdb (highest version first),
 * or undefined. Under CI=true a missing PostgreSQL fails the suite (`requirePostgres()` throws)
 * instead of skipping it.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { freePort } from './sshd.js';

export const PG_BIN: string | undefined = findPgBin();

function findPgBin(): string | undefined {
  const base = '/usr/lib/postgresql';
  if (!existsSync(base)) return undefined;
  const versions = readdirSync(base)
    .filter((v) => existsSync(join(base, v, 'bin', 'initdb')))
    .sort((a, b) => Number(b) - Number(a));
  return versions[0] === undefined ? undefined : join(base, versions[0], 'bin');
}

/** True when tests can run against PostgreSQL; under CI=true, throws when they cannot. */
export function requirePostgres(): boolean {
  if (PG_BIN) return true;
  if (process.env.CI === 'true')
    throw new Error(
      'PostgreSQL not found in /usr/lib/postgresql/*/bin (CI=true): apt-get install postgresql',
    );
  return false;
}

export interface PgCluster {
  host: '127.0.0.1';
  port: number;
  dir: string;
  /** A superuser URL with trust auth: `postgres://postgres@127.0.0.1:<port>/postgres`. */
  adminUrl: string;
  /** `runbook` user with password auth, owner of database `runbook`. */
  user: string;
  password: string;
  /** `postgres://runbook:<password>@127.0.0.1:<port>/runbook`. */
  url: string;
  /** A fresh database owned by `runbook` (for one test file's isolation); returns its URL. */
  createDatabase(name: string): string;
  /** The server log so far (for debugging a failing test). */
  log(): string;
  stop(): Promise<void>;
}

const asRoot = userInfo().uid === 0;

/** Runs a PostgreSQL binary, as `postgres` when we are root. */
function pgRun(bin: string, args: string[], opts: { env?: NodeJS.ProcessEnv } = {}): string {
  const file = join(PG_BIN!, bin);
  const [cmd, argv] = asRoot ? ['runuser', ['-u', 'postgres', '--', file, ...args]] : [file, args];
  return execFileSync(cmd, argv, {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, LC_ALL: 'C', ...opts.env },
    cwd: tmpdir(),
  });
}

export async function startPostgres(): Promise<PgCluster> {
  if (!PG_BIN) throw new Error('PostgreSQL not found: install postgresql');
  const dir = mkdtempSync(join(tmpdir(), 'runbook-pg-'));
  chmodSync(dir, 0o700);
  if (asRoot) chownSync(dir, ...postgresIds());
  const data = join(dir, 'data');
  const password = randomBytes(12).toString('hex');
  pgRun('initdb', ['-D', data, '-U', 'postgres', '-A', 'trust', '--no-sync', '-E', 'UTF8', '--locale', 'C']);
  // trust on 127.0.0.1 for the superuser only; everyone else needs a password
  writeFileSync(
    join(data, 'pg_hba.conf'),
    [
      'local all postgres trust',
      'host all postgres 127.0.0.1/32 trust',
      'host all all 127.0.0.1/32 scram-sha-256',
      '',
    ].join('\n'),
  );
  const port = await freePort();
  const logFile = join(dir, 'server.log');
  const opts = [
    `-p ${port}`,
    "-c listen_addresses='127.0.0.1'",
    `-c unix_socket_directories='${dir}'`,
    '-c fsync=off',
    '-c synchronous_commit=off',
    '-c full_page_writes=off',
    '-c max_connections=300',
  ].join(' ');
  pgRun('pg_ctl', ['-D', data, '-l', logFile, '-o', opts, '-w', '-t', '60', 'start']);
  const psql = (db: string, sql: string): string =>
    pgRun('psql', [
      '-h',
      '127.0.0.1',
      '-p',
      String(port),
      '-U',
      'postgres',
      '-d',
      db,
      '-v',
      'ON_ERROR_STOP=1',
      '-qAtc',
      sql,
    ]);
  psql('postgres', `CREATE USER runbook PASSWORD '${password}'`);
  psql('postgres', 'CREATE DATABASE runbook OWNER runbook');
  const user = 'runbook';
  const urlFor = (db: string) => `postgres://${user}:${password}@127.0.0.1:${port}/${db}`;
  return {
    host: '127.0.0.1',
    port,
    dir,
    adminUrl: `postgres://postgres@127.0.0.1:${port}/postgres`,
    user,
    password,
    url: urlFor('runbook'),
    createDatabase(name) {
      if (!/^[a-z_][a-z0-9_]*$/u.test(name)) throw new Error(`bad database name ${name}`);
      psql('postgres', `CREATE DATABASE ${name} OWNER runbook`);
      return urlFor(name);
    },
    log() {
      try {
        return execFileSync('cat', [logFile], { encoding: 'utf8' });
      } catch {
        return '';
      }
    },
    async stop() {
      try {
        pgRun('pg_ctl', ['-D', data, '-m', 'immediate', '-w', 'stop']);
      } catch {
        // already stopped
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

function postgresIds(): [number, number] {
  const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
  const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim());
  return [uid, gid];
}
