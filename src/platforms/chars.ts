/**
 * Characters that never reach a CLI, in a command or in a value put into one: C0 controls (tab
 * aside, which classifiers treat as a space), DEL, C1 controls, the Unicode line and paragraph
 * separators, bidi controls and zero-width characters (text that reads differently than it runs).
 */
export const FORBIDDEN_CHARS =
  /[\x00-\x08\x0a-\x1f\x7f-\x9f\u061c\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]/;

/** Like FORBIDDEN_CHARS, tab included: what a value may never contain. */
export const FORBIDDEN_IN_VALUES = new RegExp(
  FORBIDDEN_CHARS.source.replace('\\x08\\x0a', '\\x08\\x09\\x0a'),
);

/** Anything outside printable ASCII (and tab): refused on ASCII-only CLIs. */
export const NON_ASCII = /[^\x09\x20-\x7e]/;

/** The first forbidden character of `text` as `U+XXXX`, or undefined. */
export function forbiddenCharIn(text: string, re: RegExp = FORBIDDEN_IN_VALUES): string | undefined {
  const m = re.exec(text);
  if (!m) return undefined;
  return `U+${m[0].codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}`;
}
