// Preloaded into a `logbatch` command the bench runs (`node --import ./bench/report-rss.mjs bin/logbatch.js ...`):
// prints the process's peak RSS and CPU time as one JSON line on stderr when it exits.
import { writeSync } from 'node:fs';

process.on('exit', () => {
  const usage = process.resourceUsage();
  writeSync(2, `\n${JSON.stringify({ peakRssMb: Math.round(usage.maxRSS / 1024), cpuSeconds: (usage.userCPUTime + usage.systemCPUTime) / 1e6 })}\n`);
});
