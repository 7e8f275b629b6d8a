/**
 * Vault flags as ansible-playbook reads them: --vault-id label@source (file, executable, client
 * script told its label), --vault-password-file, $ANSIBLE_VAULT_PASSWORD_FILE; the run record keeps
 * labels and absolute paths only.
 */
import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { keyringFromFlags, vaultArgv } from '../../src/cli/vault-flags.js';
import { caught } from '../helpers/errors.js';

const dir = mkdtempSync(join(tmpdir(), 'runbook-vault-flags-'));
function file(name: string, text: string, mode = 0o600): string {
  const p = join(dir, name);
  writeFileSync(p, text);
  chmodSync(p, mode);
  return p;
}
const env = process.env.ANSIBLE_VAULT_PASSWORD_FILE;
afterEach(() => {
  if (env === undefined) delete process.env.ANSIBLE_VAULT_PASSWORD_FILE;
  else process.env.ANSIBLE_VAULT_PASSWORD_FILE = env;
});

describe('vault flags', () => {
  it('reads password files (whitespace stripped) and runs executables (stdout, line ends stripped)', async () => {
    const plain = file('plain.pw', '  pw one \n');
    const script = file('pass.sh', "#!/bin/sh\nprintf 'pw two\\r\\n'\n", 0o700);
    const client = file('vault-client.sh', '#!/bin/sh\necho "for-$2"\n', 0o700);
    const k = await keyringFromFlags({
      vaultPasswordFile: [plain],
      vaultId: [`prod@${script}`, `dev@${client}`],
    });
    expect(k.secrets.map((s) => [s.label, s.password])).toEqual([
      ['prod', 'pw two'],
      ['dev', 'for-dev'],
      ['default', 'pw one'],
    ]);
    expect(k.passwords).toEqual(['pw two', 'for-dev', 'pw one']);
  });

  it('a failing script, an empty password and a missing file are clear errors', async () => {
    const failing = file('fail.sh', '#!/bin/sh\necho "no vault for you" >&2\nexit 3\n', 0o700);
    const e1 = await caught(keyringFromFlags({ vaultId: [`x@${failing}`] }));
    expect(e1.code).toBe('E_VAULT');
    expect(e1.message).toBe(`vault password script ${failing} exited with status 3: no vault for you`);
    const e2 = await caught(keyringFromFlags({ vaultPasswordFile: [file('empty.pw', '\n')] }));
    expect(e2.message).toContain('is empty');
    const e3 = await caught(keyringFromFlags({ vaultPasswordFile: [join(dir, 'nope')] }));
    expect(e3.code).toBe('E_USAGE');
    expect(e3.message).toContain('ENOENT');
  });

  it('prompt without a terminal is a usage error; $ANSIBLE_VAULT_PASSWORD_FILE applies when no flag does', async () => {
    const e = await caught(keyringFromFlags({ askVaultPass: true }));
    expect(e.code).toBe('E_USAGE');
    expect(e.message).toContain('needs a terminal');
    process.env.ANSIBLE_VAULT_PASSWORD_FILE = file('env.pw', 'from-env\n');
    expect((await keyringFromFlags({})).passwords).toEqual(['from-env']);
    expect((await keyringFromFlags({ vaultPasswordFile: [file('flag.pw', 'flag')] })).passwords).toEqual([
      'flag',
    ]);
  });

  it('the run record keeps labels and absolute paths, never a password', () => {
    delete process.env.ANSIBLE_VAULT_PASSWORD_FILE;
    expect(
      vaultArgv({ vaultId: ['dev@prompt', 'prod@rel/pw'], vaultPasswordFile: ['p'], askVaultPass: true }),
    ).toEqual([
      '--vault-id',
      'dev@prompt',
      '--vault-id',
      `prod@${join(process.cwd(), 'rel/pw')}`,
      '--vault-id',
      `default@${join(process.cwd(), 'p')}`,
      '--ask-vault-pass',
    ]);
  });
});
