/**
 * A worker's secret vars: `runbook worker -e NAME=VALUE -e @FILE` (vaulted files and `!vault`
 * values decrypted with the worker's own vault flags), as ansible-playbook reads them. They serve
 * every runbook the worker runs: for each, the names it declares are taken (others are skipped),
 * and only the secret ones (declared `secret: true`, or from the vault) are used; the run's own
 * values come from the operator's exec through the store, which never holds a secret.
 */
import { RunbookError } from '../errors.js';
import type { Value } from '../expr/types.js';
import type { VaultKeyring } from '../fleet/vault.js';
import type { SecretVars } from '../queue/job.js';
import type { Runbook } from '../runbook/model.js';
import { resolveExtraVars } from './extra-vars.js';

export function workerSecretVars(args: readonly string[], vault: VaultKeyring): SecretVars {
  return (runbook: Runbook) => {
    if (args.length === 0) return { runbook, vars: {} };
    // values only: required vars and defaults are the run's business (worker.ts recordedVars)
    const open: Runbook = {
      ...runbook,
      vars: runbook.vars.map((d) => {
        const { default: _d, ...rest } = d;
        return { ...rest, required: false };
      }),
    };
    const got = resolveExtraVars(open, [...args], vault, { ignoreUnknown: true });
    const secretNames = new Set(got.runbook.vars.filter((d) => d.secret).map((d) => d.name));
    const vars: Record<string, Value> = {};
    for (const [k, v] of Object.entries(got.vars)) if (secretNames.has(k)) vars[k] = v;
    return {
      runbook: {
        ...runbook,
        vars: runbook.vars.map((d) => (secretNames.has(d.name) ? { ...d, secret: true } : d)),
      },
      vars,
    };
  };
}

/**
 * `exec --workers` / `resume --workers`: the runbook with its secret vars not required here (each
 * worker gives them, `workerSecretVars`), since a value given here would have to travel through
 * the store.
 */
export function secretsFromWorkers(runbook: Runbook): Runbook {
  return { ...runbook, vars: runbook.vars.map((d) => (d.secret ? { ...d, required: false } : d)) };
}

/** Throws E_USAGE when a secret var (declared, or from the vault) was given a value for a run on workers. */
export function refuseSecretsForWorkers(runbook: Runbook, vars: Record<string, Value>): void {
  const given = runbook.vars.filter(
    (d) => d.secret && vars[d.name] !== undefined && vars[d.name] !== d.default,
  );
  if (given.length === 0) return;
  const names = given.map((d) => d.name);
  throw new RunbookError(
    'E_USAGE',
    `--workers: the secret ${names.length === 1 ? 'var' : 'vars'} ${names.map((n) => `'${n}'`).join(', ')} cannot be sent to the workers (it would be stored in the database)`,
    {
      hint: `drop it here and give it to each worker instead: runbook worker -e @secrets.yml --vault-password-file FILE (a vaulted file), or -e ${names[0]}=... (see docs/workers.md)`,
    },
  );
}
