/**
 * External tools the integration suites need (sshd, ssh, script, python3-netmiko). Away from CI a
 * missing tool skips its suite; under CI=true (where .ci/run installs them) it fails the suite, so a
 * broken install can never turn into a silently green run.
 */

/** True when the suite may run; false (skip) outside CI when `present` is false; throws under CI. */
export function needTool(present: unknown, what: string): boolean {
  if (present) return true;
  if (process.env.CI === 'true' || process.env.CI === '1')
    throw new Error(
      `CI=true but ${what} is missing: .ci/run must install it (this suite may not skip in CI)`,
    );
  return false;
}
