/**
 * A test case's expectations checked against a host's result: each unmet one is a failure line
 * saying what was expected and what the run did.
 */
import type { HostResult } from '../engine/executor.js';
import type { Expectations } from './suite.js';

export function checkExpectations(e: Expectations, r: HostResult, sent: string[]): string[] {
  const out: string[] = [];
  if (e.outcome !== undefined && r.outcome !== e.outcome) {
    out.push(`outcome: expected ${e.outcome}, got ${r.outcome} (${r.message.split('\n')[0]})`);
  }
  if (e.sent !== undefined) list(out, 'state-changing commands sent', e.sent, r.disruptive);
  if (e.wouldRun !== undefined)
    list(
      out,
      'commands that would run',
      e.wouldRun,
      r.wouldRun.map((w) => w.command),
    );
  if (e.commands !== undefined) list(out, 'commands sent', e.commands, sent);
  if (e.message !== undefined && !r.message.includes(e.message)) {
    out.push(
      `message: expected it to contain ${JSON.stringify(e.message)}, got ${JSON.stringify(r.message)}`,
    );
  }
  if (e.messageRegex !== undefined && !new RegExp(e.messageRegex, 'm').test(r.message)) {
    out.push(`message: expected it to match /${e.messageRegex}/, got ${JSON.stringify(r.message)}`);
  }
  if (e.notMessage !== undefined && r.message.includes(e.notMessage)) {
    out.push(
      `message: expected it not to contain ${JSON.stringify(e.notMessage)}, got ${JSON.stringify(r.message)}`,
    );
  }
  if (e.stoppedAt !== undefined && r.stoppedAt !== e.stoppedAt) {
    out.push(`stopped at: expected ${e.stoppedAt}, got ${r.stoppedAt ?? '(it did not stop early)'}`);
  }
  for (const [id, want] of Object.entries(e.steps ?? {})) {
    const runs = r.steps.filter((s) => s.stepId === id || s.key === id);
    if (runs.length === 0) out.push(`step ${id}: expected ${want}, but it has no record (never reached)`);
    else if (runs.some((s) => s.outcome !== want)) {
      out.push(`step ${id}: expected ${want}, got ${runs.map((s) => s.outcome).join(', ')}`);
    }
  }
  for (const [id, want] of Object.entries(e.captures ?? {})) {
    const last = r.steps.filter((s) => s.stepId === id || s.key === id).at(-1);
    if (!last) {
      out.push(`captures of ${id}: the step has no record (never reached)`);
      continue;
    }
    for (const [name, value] of Object.entries(want)) {
      const got = last.captures[name];
      if (!subset(value, got)) {
        out.push(
          `capture ${id}.${name}: expected ${JSON.stringify(value)}, got ${JSON.stringify(got) ?? '(none)'}`,
        );
      }
    }
  }
  if (e.results !== undefined) {
    const got = r.results.map((x) => x.fields);
    if (!subset(e.results, got))
      out.push(`results: expected rows ${JSON.stringify(e.results)}, got ${JSON.stringify(got)}`);
  }
  return out;
}

function list(out: string[], what: string, want: string[], got: string[]): void {
  if (want.length === got.length && want.every((w, i) => w === got[i])) return;
  const i = want.findIndex((w, k) => w !== got[k]);
  const at = i < 0 ? want.length : i;
  out.push(
    `${what}: expected ${JSON.stringify(want)}, got ${JSON.stringify(got)} (first difference at #${at + 1}: expected ${JSON.stringify(want[at]) ?? 'nothing'}, got ${JSON.stringify(got[at]) ?? 'nothing'})`,
  );
}

/** `want` holds in `got`: objects by the keys of want, lists item by item, scalars by value. */
export function subset(want: unknown, got: unknown): boolean {
  if (Array.isArray(want)) {
    return Array.isArray(got) && got.length === want.length && want.every((w, i) => subset(w, got[i]));
  }
  if (want !== null && typeof want === 'object') {
    if (got === null || typeof got !== 'object') return false;
    return Object.entries(want).every(([k, v]) => subset(v, (got as Record<string, unknown>)[k]));
  }
  if (typeof want === 'number' || typeof got === 'number') return Number(want) === Number(got);
  return want === got;
}
