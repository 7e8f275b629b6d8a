/**
 * Inline `!vault |` values in a YAML document (inventories, group_vars, host_vars, `-e @file`):
 * each is decrypted in place, before the document is read, so the rest of the parser sees plain
 * strings. Errors name file:line:col of the `!vault` tag.
 */
import { isScalar, visit, type Document, type LineCounter } from 'yaml';
import type { VaultKeyring } from './vault.js';

/**
 * Replaces every `!vault`-tagged scalar of `doc` by its plaintext (untagged) and reveals it to the
 * keyring as a secret. Throws E_VAULT (see VaultKeyring.decrypt).
 */
export function decryptVaultTags(
  doc: Document,
  o: { file: string; text: string; lc: LineCounter; vault: VaultKeyring },
): void {
  visit(doc, {
    Scalar(_key, node) {
      if (node.tag !== '!vault' || !isScalar(node)) return;
      const start = node.range?.[0] ?? 0;
      const tagAt = o.text.lastIndexOf('!vault', start);
      const lp = o.lc.linePos(tagAt >= 0 ? tagAt : start);
      const plain = o.vault.decrypt(String(node.value ?? ''), `${o.file}:${lp.line}:${lp.col}`);
      o.vault.reveal(plain);
      node.value = plain;
      node.tag = undefined;
    },
  });
}
