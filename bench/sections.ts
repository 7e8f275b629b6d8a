/**
 * bench/results.md is made of sections, each between `<!-- bench:NAME -->` and `<!-- /bench:NAME -->`
 * markers, so one benchmark (`npm run bench -- --only NAME`) rewrites its own section and leaves
 * the others as they were measured.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';

export function wrapSection(name: string, markdown: string): string {
  return `<!-- bench:${name} -->\n${markdown.trimEnd()}\n<!-- /bench:${name} -->\n`;
}

/** Replace section `name` of the results file (append it when absent). */
export function replaceSection(file: string, name: string, markdown: string): void {
  const block = wrapSection(name, markdown);
  const text = existsSync(file) ? readFileSync(file, 'utf8') : '# Benchmark results\n';
  const re = new RegExp(`<!-- bench:${name} -->[^]*?<!-- /bench:${name} -->\\n?`);
  writeFileSync(file, re.test(text) ? text.replace(re, block) : `${text.trimEnd()}\n\n${block}`);
}
