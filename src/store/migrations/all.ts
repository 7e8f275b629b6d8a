/**
 * The PostgreSQL store's migrations, in order: version N is MIGRATIONS[N - 1]. Append only; a
 * released migration is never edited (a fix is a new migration).
 */
import { MIGRATION_001 } from './001-initial.js';
import { MIGRATION_002 } from './002-started-hosts.js';
import { MIGRATION_003 } from './003-one-stream.js';
import { MIGRATION_004 } from './004-journal-lines.js';

export const MIGRATIONS: readonly string[] = [MIGRATION_001, MIGRATION_002, MIGRATION_003, MIGRATION_004];

/** The schema version this build writes and reads. */
export const SCHEMA_VERSION = MIGRATIONS.length;
