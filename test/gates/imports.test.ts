/**
 * Import-cycle gate (madge): no file-level cycle anywhere in src/, and no cycle between the
 * folders of src/ (value and type imports alike), so each layer can be read and tested on its own.
 */
import madge from 'madge';
import { beforeAll, describe, expect, it } from 'vitest';

const src = new URL('../../src/', import.meta.url).pathname;
const tsConfig = new URL('../../tsconfig.json', import.meta.url).pathname;

async function graph(): Promise<Record<string, string[]>> {
  const res = await madge(src, {
    fileExtensions: ['ts'],
    tsConfig,
    detectiveOptions: { ts: { skipTypeImports: false }, tsx: { skipTypeImports: false } },
  });
  return res.obj();
}

/** The folder of a file relative to src/ (`engine/executor.ts` -> `engine`; top-level files are `.`). */
const folderOf = (file: string): string => (file.includes('/') ? file.slice(0, file.indexOf('/')) : '.');

/** Every elementary cycle's nodes, found by DFS (small graphs: folders). */
function cycles(edges: Map<string, Set<string>>): string[][] {
  const out: string[][] = [];
  const seen = new Set<string>();
  for (const start of [...edges.keys()].sort()) {
    const stack: string[] = [];
    const walk = (n: string): void => {
      stack.push(n);
      for (const m of edges.get(n) ?? []) {
        if (m === start) out.push([...stack, start]);
        else if (!stack.includes(m) && !seen.has(m) && m > start) walk(m);
      }
      stack.pop();
    };
    walk(start);
    seen.add(start);
  }
  return out;
}

describe('import cycles', () => {
  let g: Record<string, string[]>;
  beforeAll(async () => {
    g = await graph();
  }, 60_000);

  it('no file imports itself through others', () => {
    const edges = new Map(Object.entries(g).map(([k, v]) => [k, new Set(v)]));
    expect(cycles(edges).map((c) => c.join(' -> '))).toEqual([]);
  });

  it('no cycle between the folders of src/ (top-level files like errors.ts sit below every folder)', () => {
    const edges = new Map<string, Set<string>>();
    const why = new Map<string, string>();
    for (const [file, deps] of Object.entries(g)) {
      const from = folderOf(file);
      for (const dep of deps) {
        const to = folderOf(dep);
        if (to === from) continue;
        if (!edges.has(from)) edges.set(from, new Set());
        edges.get(from)!.add(to);
        if (!why.has(`${from}>${to}`)) why.set(`${from}>${to}`, `${file} imports ${dep}`);
      }
    }
    const found = cycles(edges).map((c) =>
      c
        .slice(0, -1)
        .map((f, i) => why.get(`${f}>${c[i + 1]}`))
        .join('; '),
    );
    expect(found).toEqual([]);
  });
});
