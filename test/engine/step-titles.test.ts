/** A step name with `{{ }}` parts is rendered when the step starts (display only), secrets masked. */
import { describe, expect, it } from 'vitest';
import { compileRunbookSource } from '../../src/runbook/load.js';
import { run } from './harness.js';

const BOOK = `
runbook: titles
platform: cisco-iosxe
vars:
  token: {type: string, secret: true, default: s3cret-token}
steps:
  - id: per-peer
    for_each: '["10.40.40.1", "10.20.20.1"]'
    as: peer
    steps:
      - id: read
        name: Read the SA of {{ peer }}
        run: show crypto ipsec sa peer {{ peer }}
  - id: masked
    name: Token {{ token }} not shown
    run: show version
  - id: plain
    name: No template here
    run: show clock
`;

describe('step names with {{ }}', () => {
  it('are rendered in the step-start title with the scope of the step, a secret as the mask', async () => {
    const r = await run(compileRunbookSource(BOOK, 'titles.yaml'), () => '');
    expect(r.result.outcome).toBe('ok');
    const titles = r.of('step-start').map((e) => e.title);
    expect(titles).toContain('Read the SA of 10.40.40.1');
    expect(titles).toContain('Read the SA of 10.20.20.1');
    expect(titles).toContain('Token ******** not shown');
    expect(titles).toContain('No template here');
    expect(JSON.stringify(titles)).not.toContain('s3cret-token');
  });

  it('a name that reads an unknown name is a validation error at the name', () => {
    expect(() =>
      compileRunbookSource(
        'runbook: t\nplatform: cisco-iosxe\nsteps:\n  - id: a\n    name: Read {{ nope }}\n    run: show clock\n',
        't.yaml',
      ),
    ).toThrow(/t\.yaml:5:\d+: .*nope/);
  });
});
