import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openTranscript, transcriptFileName } from '../../src/transport/transcript.js';
import { quoteTail, redact } from '../../src/transport/redact.js';

describe('transcripts', () => {
  it('writes one 0600 file per host, line by line, secrets redacted as written', () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'tr-')), 'out');
    const t = openTranscript(dir, 'edge/1:22', ['hunter2']);
    t.note('connected');
    t.sent('show run | include hunter2', 'find');
    t.received('first line\r\nsecond hun', 'find');
    t.received('ter2 \x1b[1mbold\x1b[0m\x07\r\nR1#', 'find');
    t.addSecrets(['later-secret']);
    t.sent('echo later-secret', 'next');
    t.close();
    const file = join(dir, transcriptFileName('edge/1:22'));
    expect(file.endsWith('edge_1_22.log')).toBe(true);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const lines = readFileSync(file, 'utf8')
      .trimEnd()
      .split('\n')
      .map((l) => l.replace(/^\S+Z /, ''));
    expect(lines).toEqual([
      '[-] # connected',
      '[find] > show run | include ********',
      '[find] < first line',
      '[find] < second ******** bold\\x07',
      '[find] < R1#',
      '[next] > echo ********',
    ]);
    expect(readFileSync(file, 'utf8')).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z \[-\] # connected$/m);
  });
});

describe('redaction', () => {
  it('redacts longest secrets first and quotes tails with escapes', () => {
    expect(redact('pw=abc abcdef', ['abc', 'abcdef'])).toBe('pw=******** ********');
    expect(quoteTail('x\r\nabc', ['abc'])).toBe('"x\\r\\n********"');
    expect(quoteTail('', [])).toBe('(nothing)');
    expect(quoteTail('0123456789', [], 4)).toBe('..."6789"');
  });
});
