import { describe, expect, it } from 'vitest';
import { RunbookError } from '../../src/errors.js';
import { parseRows, splitLines } from '../../src/parse/fsm.js';
import { translatePyRegex } from '../../src/parse/pyregex.js';
import { compileTemplate } from '../../src/parse/template.js';

function rows(template: string, text: string) {
  return parseRows(compileTemplate(template, 't.textfsm'), text);
}

function templateError(template: string): RunbookError {
  try {
    compileTemplate(template, 't.textfsm');
  } catch (err) {
    if (err instanceof RunbookError) return err;
    throw err;
  }
  throw new Error('expected a template error');
}

describe('TextFSM values and actions', () => {
  it('Filldown carries a value into later records; Required drops records without it', () => {
    const t = `Value Filldown VRF (\\S+)
Value Required ROUTE (\\S+)

Start
  ^VRF \${VRF}
  ^route \${ROUTE} -> Record
`;
    expect(rows(t, 'VRF red\nroute 1\nroute 2\nVRF blue\nroute 3\n')).toEqual([
      ['red', '1'],
      ['red', '2'],
      ['blue', '3'],
    ]);
  });

  it('Fillup copies a value up into earlier records until one has it', () => {
    const t = `Value A (\\d)
Value Fillup B (\\w+)

Start
  ^a \${A} -> Record
  ^b \${B}
`;
    expect(rows(t, 'a 1\na 2\nb x\n')).toEqual([
      ['1', 'x'],
      ['2', 'x'],
      ['', 'x'],
    ]);
  });

  it('List collects values; a List regex with named groups yields records', () => {
    const t = `Value NAME (\\S+)
Value List MEMBERS ((?P<port>\\S+)\\((?P<flag>\\w)\\))

Start
  ^group \${NAME}
  ^\\s+\${MEMBERS}
  ^end -> Record
`;
    expect(rows(t, 'group g1\n  Gi1(P)\n  Gi2(D)\nend\n')).toEqual([
      [
        'g1',
        [
          { port: 'Gi1', flag: 'P' },
          { port: 'Gi2', flag: 'D' },
        ],
      ],
    ]);
  });

  it('Continue tries the next rules on the same line; Clearall forgets Filldown values', () => {
    const t = `Value Filldown H (\\w+)
Value X (\\d+)

Start
  ^\${H}: -> Continue
  ^\\w+: \${X} -> Record
  ^reset -> Clearall
`;
    expect(rows(t, 'a: 1\nreset\nb: 2\n')).toEqual([
      ['a', '1'],
      ['b', '2'],
      ['b', ''],
    ]);
  });

  it('an explicit EOF state suppresses the implicit last Record; End stops reading', () => {
    const base = `Value X (\\d+)

Start
  ^x \${X}
  ^stop -> End
`;
    expect(rows(base, 'x 1\n')).toEqual([['1']]);
    expect(rows(`${base}\nEOF\n`, 'x 1\n')).toEqual([]);
    expect(rows(base, 'x 1\nstop\nx 2\n')).toEqual([]);
  });

  it('Error stops the parse naming the template rule and the input line', () => {
    const t = `Value X (\\d+)

Start
  ^x \${X} -> Record
  ^.+ -> Error "unexpected line"
`;
    let err: unknown;
    try {
      rows(t, 'x 1\nbogus\n');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(RunbookError);
    expect((err as RunbookError).code).toBe('E_TEXTFSM_ERROR');
    expect((err as RunbookError).message).toContain('t.textfsm:5:3');
    expect((err as RunbookError).message).toContain('"unexpected line"');
    expect((err as RunbookError).message).toContain('input line 2: "bogus"');
  });

  it('state transitions change the rules that apply', () => {
    const t = `Value X (\\d+)

Start
  ^begin -> Body

Body
  ^\${X} -> Record
`;
    expect(rows(t, '1\nbegin\n2\n3\n')).toEqual([['2'], ['3']]);
  });
});

describe('template errors point at file:line:col and say how to fix', () => {
  it.each([
    ['Value X (\\d+\n\nStart\n  ^x\n', 't.textfsm:1:9', "must be contained within a '()' pair"],
    ['Value Bogus X (\\d)\n\nStart\n  ^x\n', 't.textfsm:1:7', 'unknown option "Bogus"'],
    ['Value X (\\d)\n\nStart\n  ^x -> Nowhere\n', 't.textfsm:4:3', "state 'Nowhere' not found"],
    ['Value X (\\d)\n\nStart\n^x\n', 't.textfsm:4:1', 'missing white space'],
    ['Value X (\\d)\n\nStart\n  ^x ${Y}\n', 't.textfsm:4:6', "unknown Value 'Y'"],
    ['Value X (\\d)\n\nStart\n  ^x$\n', 't.textfsm:4:5', 'lone `$`'],
    [
      'Value X (\\d)\n\nStart\n  ^x -> Continue Other\n\nOther\n',
      't.textfsm:4:9',
      "action 'Continue' with new state",
    ],
    ['Value X (\\d)\n\nStart\n  ^(?>x)\n', 't.textfsm:4:4', 'atomic group'],
    ['Value X (\\d)\n\nStart\n  ^x*+\n', 't.textfsm:4:6', 'possessive'],
    ['Value X (\\d)\n\nBegin\n  ^x\n', 't.textfsm:1:1', "missing state 'Start'"],
    ['Value X (\\d)\n\nStart\n  ^x\n\nEOF\n  ^y\n', 't.textfsm:6:1', "non-empty 'EOF' state"],
  ])('%j', (template, where, what) => {
    const err = templateError(template);
    expect(err.code).toBe('E_TEXTFSM_TEMPLATE');
    expect(err.message).toContain(`${where}: `);
    expect(err.message).toContain(what);
    expect(err.hint).toBeTruthy();
  });
});

describe('Python regex translation', () => {
  it('maps named groups to numbered ones, \\Z, (?P=name), {,n} and a leading ]', () => {
    const p = translatePyRegex('(?P<a>x)(?P=a)[]x]{,2}\\Z');
    expect(p.groups).toEqual(['a']);
    const re = new RegExp(p.source, p.flags);
    expect(re.exec('xx]x')?.[1]).toBe('x');
    expect(re.test('xx]x!')).toBe(false);
  });

  it('turns leading global flags into RegExp flags and refuses them elsewhere', () => {
    expect(translatePyRegex('(?i)abc').flags).toBe('i');
    expect(() => translatePyRegex('a(?i)b')).toThrow(/global flags not at the start/);
  });

  it('a quantified lookbehind means the assertion once, or the assertion or nothing when it may repeat zero times', () => {
    expect(translatePyRegex('a(?<=a)+b').source).toBe('a(?<=a)b');
    const p = translatePyRegex('x(?<=(x))*(y)');
    expect(p.source).toBe('x(?:(?<=(x))|)(y)');
    expect(new RegExp(p.source).exec('xy')?.slice(1)).toEqual(['x', 'y']);
  });
});

describe('splitLines', () => {
  it('splits as Python str.splitlines does', () => {
    expect(splitLines('a\r\nb\rc\n')).toEqual(['a', 'b', 'c']);
    expect(splitLines('a\fb\x1cc')).toEqual(['a', 'b', 'c']);
    expect(splitLines('')).toEqual([]);
    expect(splitLines('\n')).toEqual(['']);
  });
});
