/** Build runbook YAML for test corpora: one step per command, every command escaped as YAML. */

/** A YAML double-quoted scalar of `s`, control and non-ASCII characters as `\uXXXX` escapes. */
export function yamlString(s: string): string {
  let out = '"';
  for (const ch of s) {
    const cp = ch.codePointAt(0)!;
    if (ch === '"' || ch === '\\') out += `\\${ch}`;
    else if (cp < 0x20 || cp > 0x7e) out += `\\u${cp.toString(16).padStart(4, '0')}`;
    else out += ch;
  }
  return `${out}"`;
}

/** A runbook of `platform` with one step `s<i>` per command; `extra` is added to each step. */
export function corpusRunbook(platform: string, commands: readonly string[], extra = ''): string {
  return [
    `runbook: corpus-${platform}`,
    `platform: ${platform}`,
    'steps:',
    ...commands.flatMap((c, i) => [
      `  - id: s${i}`,
      `    run: ${yamlString(c)}`,
      ...(extra ? [`    ${extra}`] : []),
    ]),
    '',
  ].join('\n');
}
