/** The answer of a read-only classifier, with the reason when the command is not read-only. */
export type Verdict = { readOnly: true } | { readOnly: false; reason: string };

export const READ_ONLY: Verdict = { readOnly: true };

export function notReadOnly(reason: string): Verdict {
  return { readOnly: false, reason };
}

const cache = new Map<string, RegExp>();

/** A profile's regex source compiled once (profiles are validated at load, so sources compile). */
export function re(source: string, flags = ''): RegExp {
  const key = `${flags}/${source}`;
  let r = cache.get(key);
  if (!r) {
    r = new RegExp(source, flags);
    cache.set(key, r);
  }
  return r;
}
