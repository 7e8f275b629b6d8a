/**
 * Schema version 2: the hosts that started in a run, written in the same statement as their
 * `host-start` record, so a journal whose rows were deleted although its host started is found
 * (resume refuses it with E_RUN_CORRUPT, as the directory store does with its `.started` list).
 */
export const MIGRATION_002 = `
CREATE TABLE runbook.started_hosts (
  run_id text NOT NULL REFERENCES runbook.runs (id) ON DELETE CASCADE,
  host text NOT NULL,
  PRIMARY KEY (run_id, host)
);
`;
