/**
 * Client authentication as OpenSSH orders it: ssh-agent keys, identity files (encrypted keys are
 * opened with the given passphrase or by asking), keyboard-interactive (password prompts answered
 * with the password), then password. Only methods the server lists are tried. What was tried is
 * recorded so a failure can say so (E_AUTH, exit 3). Secrets never enter the record.
 */
import { existsSync, readFileSync } from 'node:fs';
import ssh2 from 'ssh2';
import type { AnyAuthMethod, AuthHandlerMiddleware, AuthenticationType } from 'ssh2';
import { RunbookError } from '../errors.js';

const { utils } = ssh2;

export interface AuthConfig {
  user: string;
  /** The password (device only; jump hosts get `askPassword` instead). */
  password?: string;
  /** Asks a person (password, passphrase or keyboard-interactive prompt). */
  askPassword?: (prompt: string) => Promise<string>;
  /** Private key files, already expanded; missing default files are left out by the caller. */
  identityFiles: string[];
  passphrase?: string;
  /** ssh-agent socket path. */
  agent?: string;
  /** Called with true while a person is being asked (the auth timer pauses), false after. */
  onAsk?: (asking: boolean) => void;
}

export interface AuthRecord {
  /** Methods tried, in order (e.g. `publickey /home/u/.ssh/id_ed25519`). */
  tried: string[];
  /** Why a method was not tried (unreadable key, wrong passphrase, no password). */
  notes: string[];
  /** Methods the server said it accepts, once known. */
  serverMethods: string[];
  /** Secrets learnt while authenticating (typed passwords, passphrases), to redact. */
  secrets: string[];
}

type Attempt = { needs: AuthenticationType; make: () => Promise<AnyAuthMethod | undefined> };

export function newAuthRecord(): AuthRecord {
  return { tried: [], notes: [], serverMethods: [], secrets: [] };
}

/** An ssh2 authHandler trying each method in turn and recording what it did. */
export function makeAuthHandler(cfg: AuthConfig, rec: AuthRecord): AuthHandlerMiddleware {
  const username = cfg.user;
  let password = cfg.password;
  const ask = async (prompt: string): Promise<string | undefined> => {
    if (!cfg.askPassword) return undefined;
    cfg.onAsk?.(true);
    try {
      const answer = await cfg.askPassword(prompt);
      rec.secrets.push(answer);
      return answer;
    } finally {
      cfg.onAsk?.(false);
    }
  };
  const getPassword = async (): Promise<string | undefined> => {
    password ??= await ask(`${username}'s password: `);
    return password;
  };
  const canPassword = cfg.password !== undefined || cfg.askPassword !== undefined;

  const attempts: Attempt[] = [];
  if (cfg.agent) {
    const agent = cfg.agent;
    attempts.push({
      needs: 'publickey',
      make: async () => {
        rec.tried.push(`agent (${agent})`);
        return { type: 'agent', username, agent };
      },
    });
  }
  for (const file of cfg.identityFiles) {
    attempts.push({ needs: 'publickey', make: () => keyAttempt(file) });
  }
  if (canPassword) {
    attempts.push({
      needs: 'keyboard-interactive',
      make: async () => {
        rec.tried.push('keyboard-interactive');
        return {
          type: 'keyboard-interactive',
          username,
          prompt: (_name, _instr, _lang, prompts, finish) => {
            void (async () => {
              const answers: string[] = [];
              for (const p of prompts) {
                const isPassword = /pass(word|code|phrase)?|pin|token/i.test(p.prompt) || p.echo === false;
                answers.push((isPassword ? await getPassword() : await ask(p.prompt)) ?? '');
              }
              finish(answers);
            })();
          },
        };
      },
    });
    attempts.push({
      needs: 'password',
      make: async () => {
        const pw = await getPassword();
        if (pw === undefined) return undefined;
        rec.tried.push('password');
        return { type: 'password', username, password: pw };
      },
    });
  } else {
    rec.notes.push('no password given (--password-env VAR or --ask-pass)');
  }

  async function keyAttempt(file: string): Promise<AnyAuthMethod | undefined> {
    let data: Buffer;
    try {
      data = readFileSync(file);
    } catch (e) {
      rec.notes.push(`cannot read identity file ${file} (${(e as NodeJS.ErrnoException).code ?? 'error'})`);
      return undefined;
    }
    let parsed = utils.parseKey(data);
    let passphrase: string | undefined;
    if (parsed instanceof Error && /no passphrase given/i.test(parsed.message)) {
      passphrase = cfg.passphrase ?? (await ask(`Enter passphrase for key '${file}': `));
      if (passphrase === undefined) {
        rec.notes.push(`identity file ${file} is encrypted and no passphrase was given`);
        return undefined;
      }
      parsed = utils.parseKey(data, passphrase);
    }
    if (parsed instanceof Error) {
      rec.notes.push(
        `cannot use identity file ${file}: ${/passphrase/i.test(parsed.message) ? 'wrong passphrase' : parsed.message}`,
      );
      return undefined;
    }
    rec.tried.push(`publickey ${file}`);
    return { type: 'publickey', username, key: data, ...(passphrase !== undefined ? { passphrase } : {}) };
  }

  let started = false;
  let next = 0;
  return (methodsLeft, _partial, callback) => {
    if (!started) {
      started = true;
      callback({ type: 'none', username });
      return;
    }
    if (Array.isArray(methodsLeft)) rec.serverMethods = [...methodsLeft];
    void (async () => {
      while (next < attempts.length) {
        const a = attempts[next++]!;
        if (methodsLeft && !methodsLeft.includes(a.needs)) continue;
        const m = await a.make();
        if (m) return callback(m);
      }
      callback(false as unknown as AnyAuthMethod);
    })();
  };
}

/** E_AUTH naming the methods tried, the server's methods, and how to fix it. */
export function authError(label: string, user: string, rec: AuthRecord): RunbookError {
  const tried =
    rec.tried.length > 0 ? rec.tried.join(', ') : 'nothing (no key, agent or password was available)';
  const server = rec.serverMethods.length > 0 ? `; the server accepts: ${rec.serverMethods.join(', ')}` : '';
  const notes = rec.notes.length > 0 ? `; ${rec.notes.join('; ')}` : '';
  return new RunbookError(
    'E_AUTH',
    `authentication failed for ${user}@${label}: tried ${tried}${server}${notes}`,
    {
      hint: 'check the user (--user or ssh config User) and the credentials: --identity FILE for a key, --password-env VAR or --ask-pass for a password, or load a key into ssh-agent (ssh-add)',
    },
  );
}

/** Identity files to try: explicit ones, then ssh config ones, then OpenSSH's defaults that exist. */
export function identityCandidates(opts: {
  explicit: string[];
  fromConfig: string[];
  defaults: string[];
}): string[] {
  const list = [...opts.explicit, ...opts.fromConfig.filter((f) => existsSync(f))];
  if (list.length === 0) list.push(...opts.defaults.filter((f) => existsSync(f)));
  return [...new Set(list)];
}
