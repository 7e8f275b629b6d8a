import { describe, it } from 'vitest';
import { startLab } from '../../src/lab/index.js';
import { Shell, execOnce } from './client.js';

describe('smoke', () => {
  it('runs', async () => {
    const lab = await startLab({ port: 0, scenario: 'mixed', device: { bfdDelayMs: 200 } });
    const r = lab.routers[0]!;
    console.log(await execOnce(r, 'show clock'));
    const sh = await Shell.open(r);
    for (const c of ['terminal length 0', 'show logging | include INV_SPI', 'show crypto ipsec sa peer 10.20.20.1', 'show platform hardware qfp active feature ipsec datapath drops', 'show sdwan bfd sessions', 'show sdwan control connections', 'show sdwan omp peers', 'show crypto session', 'show foo bar', 'show crypto', 'sh c', 'clear crypto sa peer 10.20.20.1', 'show crypto ipsec sa peer 10.20.20.1', 'show sdwan control local-properties'])
      console.log(await sh.run(c));
    sh.close();
    console.log(JSON.stringify(r.state(), null, 1));
    console.log(r.audit());
    await lab.close();
  });
});
