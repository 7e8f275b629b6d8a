import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
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

describe('transcripts of many hosts', () => {
  it('hold no fd between writes: 2,000 hosts open at once under ulimit -n 64', () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'tr-many-')), 'out');
    const mod = resolve('dist/src/transport/transcript.js');
    const script = `
      const { openTranscript } = await import(${JSON.stringify(mod)});
      const ts = [];
      for (let i = 0; i < 2000; i++) ts.push(openTranscript(${JSON.stringify(dir)}, 'h' + i, []));
      for (const [i, t] of ts.entries()) { t.sent('show version', 's'); t.received('line ' + i + '\\r\\n', 's'); }
      for (const t of ts) t.note('done', 's');
      for (const t of ts) t.close();
      console.log('ok');
    `;
    const r = spawnSync('bash', ['-c', 'ulimit -n 64 && exec node --input-type=module -e "$0"', script], {
      encoding: 'utf8',
    });
    expect(r.stderr).toBe('');
    expect(r.stdout.trim()).toBe('ok');
    expect(readdirSync(dir)).toHaveLength(2000);
    const lines = readFileSync(join(dir, 'h1999.log'), 'utf8').trimEnd().split('\n');
    expect(lines.map((l) => l.replace(/^\S+Z /, ''))).toEqual([
      '[s] > show version',
      '[s] < line 1999',
      '[s] # done',
    ]);
  });

  it('a transcript that can no longer be written warns once and never fails the run', () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'tr-fail-')), 'out');
    const warn = vi.spyOn(process, 'emitWarning').mockImplementation(() => undefined);
    try {
      const t = openTranscript(dir, 'r1', []);
      t.sent('show version', 'a');
      // the file is replaced by a directory: every append now fails (EISDIR)
      rmSync(join(dir, 'r1.log'));
      mkdirSync(join(dir, 'r1.log'));
      expect(() => {
        t.sent('show clock', 'b');
        t.received('output\r\n', 'b');
        t.note('more', 'b');
        t.close();
      }).not.toThrow();
      expect(warn).toHaveBeenCalledTimes(1);
      expect(String(warn.mock.calls[0]![0])).toMatch(
        /^cannot write the transcript .*r1\.log: it is a directory \(EISDIR\); the rest of the transcript of r1 is not written$/,
      );
    } finally {
      warn.mockRestore();
    }
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
