/**
 * Schema version 1 of the PostgreSQL store, in schema `runbook`: runs (meta as JSON), journals (one
 * row per record, ordered by `seq`), host locks with a lease, approvals, and the events workers
 * publish for the operator's live progress.
 */
export const MIGRATION_001 = `
CREATE TABLE runbook.runs (
  id text PRIMARY KEY,
  created_at timestamptz NOT NULL,
  meta jsonb NOT NULL,
  -- set by the operator's exec on Ctrl-C: workers stop this run's hosts between steps
  stop_requested_at timestamptz,
  -- set by the operator's exec when a disruptive step failed (fleet rule): no more are approved
  disruptive_failed_on text
);
CREATE TABLE runbook.journal (
  seq bigserial PRIMARY KEY,
  run_id text NOT NULL REFERENCES runbook.runs (id) ON DELETE CASCADE,
  host text NOT NULL,
  record jsonb NOT NULL
);
CREATE INDEX journal_run_host ON runbook.journal (run_id, host, seq);
CREATE TABLE runbook.locks (
  host text PRIMARY KEY,
  run_id text NOT NULL,
  token text NOT NULL,
  pid integer NOT NULL,
  hostname text NOT NULL,
  started_at timestamptz NOT NULL,
  heartbeat_at timestamptz NOT NULL,
  lease_ms integer NOT NULL
);
CREATE TABLE runbook.approvals (
  run_id text NOT NULL REFERENCES runbook.runs (id) ON DELETE CASCADE,
  id text NOT NULL,
  ask jsonb NOT NULL,
  requested_at timestamptz NOT NULL DEFAULT now(),
  approved boolean,
  decided_by text,
  decided_at timestamptz,
  PRIMARY KEY (run_id, id)
);
CREATE TABLE runbook.events (
  seq bigserial PRIMARY KEY,
  run_id text NOT NULL REFERENCES runbook.runs (id) ON DELETE CASCADE,
  event jsonb NOT NULL
);
CREATE INDEX events_run ON runbook.events (run_id, seq);
`;
