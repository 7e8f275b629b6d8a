/** File names derived from host names: any character outside [A-Za-z0-9._-] becomes %XX (UTF-8 bytes). */
export function fileSafeName(name: string): string {
  const safe = name.replace(/[^A-Za-z0-9._-]/gu, (c) =>
    [...Buffer.from(c, 'utf8')].map((b) => `%${b.toString(16).toUpperCase().padStart(2, '0')}`).join(''),
  );
  // never `.` or `..`, never hidden
  return safe.startsWith('.') ? `%2E${safe.slice(1)}` : safe;
}
