/**
 * The enable phase against a scripted session (no SSH): the IOS profiles' privilege data read on
 * captured prompts and messages, and each way `enable` can end.
 */
import { describe, expect, it } from 'vitest';
import { RunbookError } from '../../src/errors.js';
import { getProfile } from '../../src/platforms/index.js';
import { raisePrivilege, type PromptSession } from '../../src/transport/privilege.js';
import type { RunOptions } from '../../src/transport/types.js';
import { caught } from '../helpers/errors.js';

const ios = getProfile('cisco-iosxe');

/** A session that starts at `prompt` and answers `enable` with `reply` (output, next prompt or an error). */
function session(
  prompt: string,
  reply: (opts: RunOptions) => { output: string; prompt: string } | RunbookError,
): PromptSession & { sent: string[]; opts: RunOptions[] } {
  const s = {
    prompt,
    sent: [] as string[],
    opts: [] as RunOptions[],
    async run(command: string, opts: RunOptions = {}) {
      s.sent.push(command);
      s.opts.push(opts);
      const r = reply(opts);
      if (r instanceof RunbookError) throw r;
      s.prompt = r.prompt;
      return { output: r.output, disconnected: false, durationMs: 1 };
    },
  };
  return s;
}

const base = { profile: ios, label: 'edge1 (127.0.0.1:22)', secrets: ['S3cret-x'] };

describe('IOS privilege data on captured prompts', () => {
  it('tells user EXEC from privileged and config prompts; knows the password question and refusals', () => {
    const p = ios.privilege!;
    const user = new RegExp(p.unprivilegedPrompt);
    for (const s of ['edge1>', 'Router>', 'rtr-01.dc1>', '\r\nSW1>']) expect(user.test(s), s).toBe(true);
    for (const s of ['edge1#', 'edge1(config)#', '#pkts encaps: 0', 'show ip route > x'])
      expect(user.test(s), s).toBe(false);
    expect(new RegExp(p.passwordPrompt).test('Password: ')).toBe(true);
    const refused = (l: string): boolean => p.failurePatterns.some((f) => new RegExp(f).test(l));
    for (const l of ['% Bad secrets', '% Access denied', '% No password set', '% Error in authentication.'])
      expect(refused(l), l).toBe(true);
    expect(getProfile('cisco-iosxe-sdwan').privilege).toEqual(p);
    expect(getProfile('linux').privilege).toBeUndefined();
  });
});

describe('raisePrivilege', () => {
  it('does nothing at # or when told not to escalate', async () => {
    const at = session('edge1#', () => ({ output: '', prompt: 'edge1#' }));
    await raisePrivilege(at, { ...base, privilege: { secret: 'S3cret-x' } });
    const off = session('edge1>', () => ({ output: '', prompt: 'edge1#' }));
    await raisePrivilege(off, { ...base, privilege: { escalate: false, secret: 'S3cret-x' } });
    expect([...at.sent, ...off.sent]).toEqual([]);
  });

  it('sends enable with the secret as a one-time answer to Password:, and checks the new prompt', async () => {
    const s = session('edge1>', () => ({ output: '', prompt: 'edge1#' }));
    await raisePrivilege(s, { ...base, privilege: { secret: 'S3cret-x' } });
    expect(s.sent).toEqual(['enable']);
    expect(s.opts[0]!.dialogs).toEqual([
      { prompt: ios.privilege!.passwordPrompt, answer: 'S3cret-x', newline: true, maxAnswers: 1 },
    ]);
  });

  it('a prompt still at > without a refusal message is E_PRIVILEGE naming the prompt', async () => {
    const s = session('edge1>', () => ({ output: 'S3cret-x is not accepted here', prompt: 'edge1>' }));
    const e = await caught(raisePrivilege(s, { ...base, privilege: { secret: 'S3cret-x' } }));
    expect(e.code).toBe('E_PRIVILEGE');
    expect(e.message).toContain('did not reach privileged EXEC: the prompt is still "edge1>"');
    expect(e.message).not.toContain('S3cret-x');
  });

  it('errors other than the unanswered password question pass through unchanged', async () => {
    const drop = new RunbookError('E_DISCONNECTED', 'the session to edge1 closed');
    const s = session('edge1>', () => drop);
    expect(await caught(raisePrivilege(s, { ...base }))).toBe(drop);
  });
});
