/**
 * What the operator sees: live progress (listr2) under a pseudo-terminal (util-linux `script`),
 * approvals answered on that terminal, the line-per-event log without a terminal, `--json`,
 * `--quiet`, `--verbose`, and the final summary (outcome, duration, disruptive actions, the command
 * to retry a failure).
 */
import { spawn } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import type { ResultDocument } from '../../src/report/json.js';
import { needTool } from '../helpers/tools.js';
import {
  CLI,
  REKEY,
  VERIFY,
  cliEnv,
  count,
  hasScript,
  ptyCli,
  runCli,
  shq,
  startRunLab,
  waitFor,
  type RunLab,
  type RunLabOptions,
} from './resume-lab.js';

const labs: RunLab[] = [];
afterEach(async () => {
  for (const l of labs.splice(0)) await l.close();
});

async function lab(o: RunLabOptions = { device: { bfdDelayMs: 300 } }): Promise<RunLab> {
  const l = await startRunLab(o);
  labs.push(l);
  return l;
}

describe.runIf(needTool(hasScript, 'script(1) (apt-get install util-linux)'))(
  'live progress on a terminal',
  () => {
    it('shows the host line, each step with its state and what it waits for, then the summary', async () => {
      const l = await lab({ device: { bfdDelayMs: 600 } });
      const cli = ptyCli(l.execArgs(l.runbook('rekey-verify.yaml'), ['--yes']));
      const r = await cli.done;
      expect(r.code, cli.screen()).toBe(0);
      const screen = cli.screen();
      const [id] = l.runIds();
      expect(screen).toContain(`run ${id}: resume-rekey on 1 host, record in `);
      // while the verification polls: the host line names the running step, the step says what it waits for
      expect(screen).toMatch(new RegExp(`. ${l.host.replace(/\./g, '\\.')}  verify  \\S+\\n`));
      expect(screen).toMatch(/✔ show-version {2}ok {2}\S+/);
      expect(screen).toMatch(/✔ rekey {2}ok {2}\S+/);
      expect(screen).toMatch(/▸ verify {2}\S+ {2}(retry \d+\/200 in 50ms|show sdwan bfd sessions)/);
      expect(screen).toMatch(/✔ verify {2}ok {2}\S+/);
      // the last frame: the host's outcome, duration and disruptive actions
      expect(screen).toMatch(
        new RegExp(
          `✔ ${l.host.replace(/\./g, '\\.')}  ok  \\d+(\\.\\d)?m?s\\n\\s+completed \\(4 command steps run\\)\\n\\s+disruptive: ${REKEY}`,
        ),
      );
      // then the summary
      expect(screen).toMatch(
        new RegExp(
          `Run ${id}: resume-rekey, 1 host: 1 ok\\n  ${l.host.replace(/\./g, '\\.')}  ok  \\S+  completed \\(4 command steps run\\)\\n      disruptive: ${REKEY}`,
        ),
      );
      // drawing uses the terminal (cursor movement), which the line log never does
      expect(cli.raw()).toMatch(/\x1b\[1A/);
    });

    it('asks before a disruptive step on the terminal: y sends it, n refuses it and the host fails', async () => {
      const l = await lab();
      const yes = ptyCli(l.execArgs(l.runbook('rekey-verify.yaml')));
      await waitFor('the approval question', () => /Run it\? \[y\]es/.test(yes.screen()));
      expect(yes.screen()).toMatch(
        new RegExp(
          `${l.host.replace(/\./g, '\\.')}: step rekey wants to run\\n\\s+${REKEY}\\n\\s+impact: Generates new keys for ALL SD-WAN tunnels of the device`,
        ),
      );
      expect(count(l.commands(), REKEY)).toBe(0);
      yes.type('y\r');
      const ok = await yes.done;
      expect(ok.code, yes.screen()).toBe(0);
      expect(count(l.commands(), REKEY)).toBe(1);

      const no = ptyCli(l.execArgs(l.runbook('rekey-verify.yaml')));
      await waitFor('the approval question', () => /Run it\? \[y\]es/.test(no.screen()));
      no.type('n\r');
      const refused = await no.done;
      expect(refused.code, no.screen()).toBe(1);
      expect(count(l.commands(), REKEY)).toBe(1);
      expect(no.screen()).toMatch(
        /failed .*at rekey: step rekey: approval refused; `request platform software sdwan security ipsec-rekey` was not sent/,
      );
    });
  },
);

describe('output without a terminal', () => {
  it('writes one line per event to stderr, no escape sequences, and the summary to stdout', async () => {
    const l = await lab();
    const r = await runCli(l.execArgs(l.runbook('rekey-verify.yaml'), ['--yes']));
    expect(r.code, r.stderr).toBe(0);
    const h = l.host.replace(/\./g, '\\.');
    const lines = r.stderr.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^run \S+: resume-rekey on 1 host, record in /);
    for (const line of lines.slice(1)) expect(line).toMatch(new RegExp(`^\\d\\d:\\d\\d:\\d\\d ${h} `));
    expect(r.stderr).toMatch(new RegExp(`^\\d\\d:\\d\\d:\\d\\d ${h} connected$`, 'm'));
    expect(r.stderr).toMatch(
      new RegExp(`^\\d\\d:\\d\\d:\\d\\d ${h} rekey: awaiting approval: ${REKEY} \\[Generates new keys`, 'm'),
    );
    expect(r.stderr).toMatch(
      new RegExp(`^\\d\\d:\\d\\d:\\d\\d ${h} rekey: sent \\[disruptive\\]: ${REKEY}$`, 'm'),
    );
    expect(r.stderr).toMatch(
      new RegExp(`^\\d\\d:\\d\\d:\\d\\d ${h} verify: ok after \\d+ polls, \\S+$`, 'm'),
    );
    expect(r.stderr).toMatch(
      new RegExp(`^\\d\\d:\\d\\d:\\d\\d ${h} ok: completed \\(4 command steps run\\) \\(\\S+\\)$`, 'm'),
    );
    expect(r.stderr + r.stdout).not.toMatch(/\x1b/);
    expect(r.stdout).toMatch(/^\nRun \S+: resume-rekey, 1 host: 1 ok\n/);
  });

  it('--json prints one JSON document on stdout and nothing else', async () => {
    const l = await lab();
    const r = await runCli(l.execArgs(l.runbook('rekey-verify.yaml'), ['--yes', '--json']));
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toBe('');
    const doc = JSON.parse(r.stdout) as ResultDocument;
    expect(doc).toMatchObject({ version: 1, runId: l.runIds()[0], outcome: 'ok', mode: 'exec' });
    const host = doc.hosts[0]!;
    expect(host).toMatchObject({ host: l.host, outcome: 'ok', disruptive: [REKEY] });
    expect(host.steps.map((s) => [s.key, s.outcome])).toEqual([
      ['show-version', 'ok'],
      ['show-sa', 'ok'],
      ['rekey', 'ok'],
      ['verify', 'ok'],
      ['sa-was-up', 'ok'],
    ]);
    expect(host.steps.find((s) => s.key === 'verify')!.commands.every((c) => c === VERIFY)).toBe(true);
    expect(host.approvals).toEqual([expect.objectContaining({ stepId: 'rekey', approved: true })]);
  });

  it('--quiet prints only the summary; --verbose streams device output', async () => {
    const l = await lab();
    const quiet = await runCli(l.execArgs(l.runbook('rekey-verify.yaml'), ['--yes', '--quiet']));
    expect(quiet.code, quiet.stderr).toBe(0);
    expect(quiet.stderr).toBe('');
    expect(quiet.stdout.trim().split('\n')).toEqual([
      expect.stringMatching(/^Run \S+: resume-rekey, 1 host: 1 ok$/),
      expect.stringMatching(
        new RegExp(`^  ${l.host.replace(/\./g, '\\.')}  ok  \\S+  completed \\(4 command steps run\\)$`),
      ),
      `      disruptive: ${REKEY}`,
    ]);

    const verbose = await runCli(l.execArgs(l.runbook('rekey-verify.yaml'), ['--yes', '--verbose']));
    expect(verbose.code, verbose.stderr).toBe(0);
    expect(verbose.stderr).toMatch(/^ {4}SYSTEM IP +SITE ID +STATE /m); // the BFD table, indented under its step
  });

  it('the summary of a failed host gives the outcome, the disruptive action taken and a retry command that works', async () => {
    const l = await lab({ scenario: 'sdwan-cleared', device: { bfdDelayMs: 50 } });
    const fleetRunbook = 'test/fixtures/fleet/rekey.yaml';
    const r = await runCli(l.execArgs(fleetRunbook, ['--yes', '--var', 'check_sa=false']));
    expect(r.code, r.stderr).toBe(1);
    const h = l.host.replace(/\./g, '\\.');
    expect(r.stdout).toMatch(
      new RegExp(
        `^  ${h}  failed  \\S+  at verify: step verify failed: until .* did not hold after 20 attempts`,
        'm',
      ),
    );
    expect(r.stdout).toContain(`      disruptive: ${REKEY}`);
    const retry = /^To retry \S+: (runbook exec .*)$/m.exec(r.stdout)?.[1];
    expect(retry).toBeDefined();
    expect(retry).toContain(`--host ${l.host}`);
    expect(retry).toContain('--var check_sa=false');
    expect(r.stdout).not.toMatch(/To continue/);

    // the retry command, as printed, runs the same runbook on the same host again
    const before = l.router.audit().length;
    // (async: the lab serves from this process)
    const sh = spawn('sh', ['-c', retry!.replace(/^runbook /, `${shq(process.execPath)} ${shq(CLI)} `)], {
      env: cliEnv(),
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    sh.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const status = await new Promise((resolve) => sh.on('close', resolve));
    expect(status, stderr).toBe(1);
    expect(l.commands(before)).toContain(REKEY);
  });
});
