/** resolveVars: `--var k=v` pairs checked against the runbook's typed vars. */
import { describe, expect, it } from 'vitest';
import { RunbookError } from '../../src/errors.js';
import { compileRunbookSource } from '../../src/runbook/load.js';
import { resolveVars } from '../../src/runbook/vars.js';

const rb = compileRunbookSource(
  `runbook: vars-test
platform: cisco-iosxe
vars:
  peer: {type: ipv4, required: true, description: Peer to recover}
  count: {type: int, default: 3}
  color: {type: enum, values: [mpls, lte]}
  peers: {type: list, items: {type: ipv4}}
  force: {type: bool, default: false}
  iface: {type: string, pattern: 'Tunnel[0-9]+'}
  secret: {type: string, secret: true, pattern: '[a-z]+'}
steps:
  - id: a
    run: show version
`,
  'vars-test.yaml',
);

function errorOf(pairs: string[]): RunbookError {
  try {
    resolveVars(rb, pairs);
  } catch (err) {
    if (err instanceof RunbookError) return err;
    throw err;
  }
  throw new Error('no error');
}

describe('resolveVars', () => {
  it('parses typed values and applies defaults; optional vars without default are absent', () => {
    expect(resolveVars(rb, ['peer=10.0.0.1', 'peers=10.0.0.1,10.0.0.2', 'force=yes', 'color=lte'])).toEqual({
      peer: '10.0.0.1',
      count: 3n,
      color: 'lte',
      peers: ['10.0.0.1', '10.0.0.2'],
      force: true,
    });
  });

  it('lets the last pair for a name win and keeps "=" inside values', () => {
    const out = resolveVars(rb, ['peer=10.0.0.1', 'peer=10.0.0.2', 'iface=Tunnel1']);
    expect(out.peer).toBe('10.0.0.2');
    expect(out.iface).toBe('Tunnel1');
  });

  it('refuses a missing required var, naming it with its type and a hint', () => {
    const e = errorOf([]);
    expect(e.code).toBe('E_VAR_INVALID');
    expect(e.message).toBe("runbook 'vars-test' needs variable 'peer' (ipv4: Peer to recover)");
    expect(e.hint).toBe('give --var peer=<ipv4>');
  });

  it('refuses an unknown var with a suggestion and the list of vars', () => {
    const e = errorOf(['peer=10.0.0.1', 'colour=lte']);
    expect(e.message).toBe(
      "--var colour: runbook 'vars-test' has no variable 'colour' (did you mean 'color'?)",
    );
    expect(e.hint).toContain('color (enum of mpls|lte)');
  });

  it('refuses a value that fails its type, naming the type', () => {
    const e = errorOf(['peer=10.0.0.999']);
    expect(e.code).toBe('E_VAR_INVALID');
    expect(e.message).toBe("--var peer: '10.0.0.999' is not an IPv4 address (variable 'peer' is ipv4)");
    expect(errorOf(['peer=10.0.0.1', 'count=x']).message).toBe(
      "--var count: 'x' is not an integer (variable 'count' is int)",
    );
    expect(errorOf(['peer=10.0.0.1', 'iface=Gi1; reload']).message).toContain(
      "(variable 'iface' is string matching /Tunnel[0-9]+/)",
    );
  });

  it('refuses a pair without "="', () => {
    expect(errorOf(['peer']).message).toBe("--var 'peer' is not of the form name=value");
  });

  it('never shows a secret value in its error', () => {
    const e = errorOf(['peer=10.0.0.1', 'secret=Hunter2']);
    expect(e.message).not.toContain('Hunter2');
    expect(e.message).toContain('(secret value)');
  });
});
