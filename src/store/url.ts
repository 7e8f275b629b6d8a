/** Store URLs: which values name PostgreSQL, and how every message shows them (password masked). */

/** Whether a `--store` value names a PostgreSQL store (otherwise it is a state directory). */
export function isPostgresUrl(value: string): boolean {
  return /^postgres(ql)?:\/\//iu.test(value);
}

/** The URL with its password replaced by `****` (for every message and record). */
export function maskUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '****';
    return u.toString();
  } catch {
    // not parsable: mask whatever sits between `user:` and `@`
    return url.replace(/^([a-z]+:\/\/[^:/@]*:)[^@]*@/iu, '$1****@');
  }
}
