/**
 * The shipped recover-inv-spi runbook records one typed row per peer (peer, kind, wrong, did,
 * before, after), over the MemoryTransport against the lab's emulated edge.
 */
import { describe, expect, it } from 'vitest';
import type { EngineEvent } from '../../src/engine/events.js';
import { runHost } from '../../src/engine/executor.js';
import { getProfile } from '../../src/platforms/index.js';
import { loadRunbook } from '../../src/runbook/load.js';
import { resolveVars } from '../../src/runbook/vars.js';
import { MemoryTransport } from '../../src/transport/memory.js';
import { labDevice } from './lab-device.js';

const RUNBOOK = new URL('../../runbooks/recover-inv-spi.yaml', import.meta.url).pathname;

async function rows(mode: 'exec' | 'dry-run') {
  const runbook = await loadRunbook(RUNBOOK);
  const lab = labDevice({ scenario: 'mixed' });
  const events: EngineEvent[] = [];
  await runHost({
    runbook,
    host: { name: 'edge1', address: '127.0.0.1', port: 22, platform: runbook.platform },
    transport: new MemoryTransport({ profile: getProfile(runbook.platform), device: lab.device }),
    vars: resolveVars(runbook, []),
    mode,
    approve: async () => true,
    emit: (e) => events.push(e),
    sleep: lab.sleep,
    reconnectDelaysMs: [100],
  });
  return events.flatMap((e) => (e.kind === 'result' ? [e] : []));
}

describe('recover-inv-spi results', () => {
  it('one row per peer: what was wrong, what was done, the evidence before and after', async () => {
    const got = await rows('exec');
    expect(got.map((r) => r.fields)).toMatchObject([
      {
        peer: '10.20.20.1',
        kind: 'SD-WAN biz-internet Tunnel10001',
        wrong: 'invalid SPI now (decaps frozen while encaps grew, BFD down)',
        did: ['request platform software sdwan security ipsec-rekey'],
        before: expect.stringMatching(
          /^inbound SPI 0x[0-9A-F]+, encaps \d+->\d+, decaps (\d+)->\1, BFD down$/,
        ),
        after: expect.stringMatching(/^inbound SPI 0x[0-9A-F]+, encaps \d+->\d+, decaps \d+->\d+, BFD up$/),
      },
      {
        peer: '10.40.40.1',
        kind: 'classic IKE',
        did: ['clear crypto sa peer 10.40.40.1'],
        after: expect.stringMatching(/^inbound SPI 0x/),
      },
    ]);
  });

  it('a dry run records what would be done, and nothing after', async () => {
    const got = await rows('dry-run');
    expect(got.map((r) => [r.fields['peer'], r.fields['did'], r.fields['after']])).toEqual([
      [
        '10.20.20.1',
        [
          'request platform software sdwan security ipsec-rekey',
          'request platform software sdwan port_hop biz-internet',
          'clear sdwan omp all',
          'clear sdwan control connections',
        ],
        'nothing sent (dry run)',
      ],
      ['10.40.40.1', ['clear crypto sa peer 10.40.40.1'], 'nothing sent (dry run)'],
    ]);
  });
});
