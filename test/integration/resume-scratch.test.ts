import { it } from 'vitest';
import { runCli, spawnCli, startRunLab, waitFor } from './resume-lab.js';
it('show', async () => {
  const l = await startRunLab({ device: { dropOnControlClear: true } });
  const rb = l.runbook('clear-control.yaml');
  const cli = spawnCli(l.execArgs(rb, ['--yes']), { RUNBOOK_RECONNECT_DELAYS_MS: '60000' });
  const id = await waitFor('id', () => l.runIds()[0], { cli });
  await waitFor('rc', () => /clear-control: reconnecting/.test(cli.stderr()), { cli });
  cli.child.kill('SIGKILL');
  const k = await cli.done;
  console.log('KILLED', k.stdout, k.stderr);
  const a = await runCli(l.resumeArgs(id));
  console.log('RESUME1', a.code, a.stdout, a.stderr);
  const b = await runCli(l.resumeArgs(id, ['--yes']), { RUNBOOK_RECONNECT_DELAYS_MS: '20,100' });
  console.log('RESUME2', b.code, b.stdout, b.stderr);
  const c = await runCli(['runs', id, '--state-dir', l.stateDir]);
  console.log('RUNS', c.stdout, c.stderr);
  await l.close();
});
