/**
 * An IOS-style command parser: a keyword tree where every keyword may be abbreviated to a unique
 * prefix, with typed value slots. It reports IOS's three errors: invalid input (with the offset of
 * the offending token, for the `^` marker), incomplete command, and ambiguous command.
 */

export type ArgKind = 'ipv4' | 'uint' | 'enum';

export interface ArgSlot {
  name: string;
  kind: ArgKind;
  /** uint only: inclusive range. */
  min?: number;
  max?: number;
  /** enum only: accepted words (exact, case-insensitive). */
  values?: readonly string[];
}

export interface Node<C> {
  word?: string;
  arg?: ArgSlot;
  children: Node<C>[];
  /** The command is complete at this node. */
  command?: C;
}

export type ParseResult<C> =
  | { kind: 'ok'; command: C; args: Record<string, string> }
  | { kind: 'invalid'; offset: number }
  | { kind: 'incomplete' }
  | { kind: 'ambiguous' };

export function newTree<C>(): Node<C> {
  return { children: [] };
}

/**
 * Add a command by its syntax: keywords separated by spaces, value slots as `<name:kind>` where kind
 * is `ipv4`, `uint:MIN-MAX` or `enum` (values given in `enums[name]`).
 */
export function define<C>(
  root: Node<C>,
  syntax: string,
  command: C,
  enums: Record<string, readonly string[]> = {},
): void {
  let node = root;
  for (const part of syntax.split(' ')) {
    const slot = /^<(\w+):(ipv4|uint|enum)(?::(\d+)-(\d+))?>$/.exec(part);
    let next: Node<C> | undefined;
    if (slot) {
      const [, name, kind, min, max] = slot;
      next = node.children.find((c) => c.arg?.name === name);
      if (!next) {
        const arg: ArgSlot = { name: name!, kind: kind as ArgKind };
        if (min !== undefined) arg.min = Number(min);
        if (max !== undefined) arg.max = Number(max);
        if (kind === 'enum') arg.values = enums[name!] ?? [];
        next = { arg, children: [] };
        node.children.push(next);
      }
    } else {
      next = node.children.find((c) => c.word === part);
      if (!next) {
        next = { word: part, children: [] };
        node.children.push(next);
      }
    }
    node = next;
  }
  node.command = command;
}

export interface Token {
  text: string;
  offset: number;
}

export function tokenize(line: string): Token[] {
  const out: Token[] = [];
  for (const m of line.matchAll(/\S+/g)) out.push({ text: m[0], offset: m.index });
  return out;
}

function accepts(slot: ArgSlot, text: string): boolean {
  switch (slot.kind) {
    case 'ipv4': {
      const parts = text.split('.');
      return parts.length === 4 && parts.every((p) => /^\d{1,3}$/.test(p) && Number(p) <= 255);
    }
    case 'uint': {
      if (!/^\d{1,10}$/.test(text)) return false;
      const n = Number(text);
      return n >= (slot.min ?? 0) && n <= (slot.max ?? 4_294_967_295);
    }
    case 'enum':
      return (slot.values ?? []).some((v) => v.toLowerCase() === text.toLowerCase());
  }
}

export function parse<C>(root: Node<C>, tokens: Token[]): ParseResult<C> {
  let node = root;
  const args: Record<string, string> = {};
  for (const tok of tokens) {
    const lower = tok.text.toLowerCase();
    const keywords = node.children.filter((c) => c.word !== undefined && c.word.startsWith(lower));
    const exact = keywords.find((c) => c.word === lower);
    let next: Node<C> | undefined = exact ?? (keywords.length === 1 ? keywords[0] : undefined);
    if (!next) {
      const slot = node.children.find((c) => c.arg !== undefined && accepts(c.arg, tok.text));
      if (slot) {
        args[slot.arg!.name] = slot.arg!.kind === 'enum' ? lower : tok.text;
        next = slot;
      } else if (keywords.length > 1) {
        return { kind: 'ambiguous' };
      } else {
        return { kind: 'invalid', offset: tok.offset };
      }
    }
    node = next;
  }
  if (node.command === undefined)
    return node === root ? { kind: 'invalid', offset: 0 } : { kind: 'incomplete' };
  return { kind: 'ok', command: node.command, args };
}
