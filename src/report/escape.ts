/**
 * Escaping for the renderers: HTML text and attributes, markdown code spans and text. Device output
 * and every recorded value are untrusted: nothing reaches a page or a ticket unescaped.
 */

/** Text safe inside HTML elements and double- or single-quoted attributes. */
export function htmlEscape(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function longestRun(s: string): number {
  return Math.max(0, ...[...s.matchAll(/`+/g)].map((m) => m[0].length));
}

/** Inline code that survives backticks, and `|` inside a table cell. Newlines become spaces. */
export function mdCode(s: string, inTable = false): string {
  const flat = s.replace(/\r?\n/g, ' ');
  const body = inTable ? flat.replace(/\|/g, '\\|') : flat;
  const longest = longestRun(body);
  const fence = '`'.repeat(longest + 1);
  return longest ? `${fence} ${body} ${fence}` : `${fence}${body}${fence}`;
}

/** Plain text with markdown punctuation and HTML escaped (placeholders like `<peer>` stay visible). */
export function mdText(s: string, inTable = false): string {
  const escaped = s.replace(/[\\`*_[\]<>#&]/g, '\\$&');
  return inTable ? escaped.replace(/\|/g, '\\|').replace(/\r?\n/g, ' ') : escaped;
}

/** A fenced code block for untrusted multi-line text (the fence outgrows any backtick run inside). */
export function mdFence(text: string, indent = ''): string[] {
  const fence = '`'.repeat(Math.max(3, longestRun(text) + 1));
  return [`${indent}${fence}text`, ...text.split(/\r?\n/).map((l) => `${indent}${l}`), `${indent}${fence}`];
}
