/**
 * Loaded with `node --import <this file>` into a measured child process: when the process exits, it
 * writes its own CPU time and peak RSS (getrusage) to $BENCH_USAGE_FILE as
 * `{"userUs":..,"systemUs":..,"maxRssKb":..}`. Does nothing without that variable.
 */
import { writeFileSync } from 'node:fs';

const file = process.env.BENCH_USAGE_FILE;
if (file) {
  process.on('exit', () => {
    const u = process.resourceUsage();
    writeFileSync(
      file,
      JSON.stringify({ userUs: u.userCPUTime, systemUs: u.systemCPUTime, maxRssKb: u.maxRSS }),
    );
  });
}
