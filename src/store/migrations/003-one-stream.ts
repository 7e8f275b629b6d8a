/**
 * Schema version 3: the workers' progress events become rows of the journal table (`live`: shown
 * to the operator's exec, never part of a host's journal), so every event is written once, in the
 * same ordered batches as the journal, instead of once per table. The exec reads the run's rows in
 * commit order: `xid` (the writing transaction) then `seq`, and only rows of transactions older than
 * every running one, so a row committed late is never skipped. The journal's foreign key goes (the
 * run's rows are deleted with it by the store), which removes a lookup per inserted row.
 */
export const MIGRATION_003 = `
ALTER TABLE runbook.journal ADD COLUMN live boolean NOT NULL DEFAULT false;
ALTER TABLE runbook.journal ADD COLUMN xid xid8 NOT NULL DEFAULT pg_current_xact_id();
ALTER TABLE runbook.journal DROP CONSTRAINT IF EXISTS journal_run_id_fkey;
ALTER TABLE runbook.journal DROP CONSTRAINT IF EXISTS journal_pkey;
CREATE INDEX journal_run_xid ON runbook.journal (run_id, xid, seq);
DROP TABLE runbook.events;
`;
