/**
 * Schema version 4: journal rows hold text (`line`), the same signed line a journal file holds
 * (journal-record.ts `signedLine`: the record's JSON with its `sum` last), instead of jsonb. The server
 * no longer parses and rebuilds every record, the writer no longer sorts every record's keys for
 * its checksum, and both stores check a record the same way. Rows written before (`record`, jsonb,
 * with a sum over the sorted keys) stay readable: a row has one or the other. Where the server has
 * lz4 (PostgreSQL 14 and later, built with it, as Debian's is), long lines are compressed with it
 * rather than pglz, which costs several times the CPU.
 */
export const MIGRATION_004 = `
ALTER TABLE runbook.journal ADD COLUMN line text;
ALTER TABLE runbook.journal ALTER COLUMN record DROP NOT NULL;
ALTER TABLE runbook.journal ADD CONSTRAINT journal_line_or_record CHECK ((line IS NULL) <> (record IS NULL));
DO $$
BEGIN
  IF current_setting('server_version_num')::int >= 140000 AND EXISTS (
    SELECT 1 FROM pg_settings WHERE name = 'default_toast_compression' AND 'lz4' = ANY (enumvals)
  ) THEN
    EXECUTE 'ALTER TABLE runbook.journal ALTER COLUMN line SET COMPRESSION lz4';
  END IF;
END
$$;
`;
