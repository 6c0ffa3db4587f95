// Runs `servesim <args>` inside this process exactly as bin/servesim does, and on exit records this
// whole process's peak RSS and CPU time (node start-up + module loading + simulation) to the file named by
// SERVESIM_BENCH_RSS_FILE. Kept out of the product code so the CLI carries no benchmark hooks.
import { writeFileSync } from 'node:fs';

const rssFile = process.env.SERVESIM_BENCH_RSS_FILE;
process.on('exit', () => {
  const usage = process.resourceUsage();
  // Peak RSS in KiB, then user + system CPU time in µs.
  if (rssFile) writeFileSync(rssFile, `${usage.maxRSS} ${usage.userCPUTime + usage.systemCPUTime}`);
});
process.argv = [process.argv[0], 'servesim', ...process.argv.slice(2)];
await import('../bin/servesim');
