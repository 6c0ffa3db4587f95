// `servesim plugins FILE…`: load plugin files and list what they register — one `AXIS NAME` line per policy,
// followed by its parameters (flag, type, default, domain, help) — so a plugin can be checked before a run.

import { resolve } from 'node:path';
import { ServesimError } from '../errors.js';
import { catalogWithPlugins } from '../plugins/load.js';
import { paramFlag } from '../policies/catalog.js';
import { describeDomain } from '../policies/params.js';
import type { CliIO, Subcommand } from './io.js';

const HELP = `Usage: servesim plugins FILE...

Loads each policy plugin (.ts, .mts, .js or .mjs; TypeScript is compiled on load) and prints every policy it
registers as one "AXIS NAME" line (axes: admission, routing, scorer, priority, scheduler, preemption), followed by
its parameters: the run flag that sets it, type, default, domain and help. Exit status 1 names the file and the
problem when a plugin cannot be loaded. A plugin is code run with your rights, like a test file.
`;

async function listPlugins(argv: readonly string[], io: CliIO): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    io.writeStdout(HELP);
    return 0;
  }
  if (argv.length === 0) throw new ServesimError('plugins: expected at least one plugin file (servesim plugins FILE...)');
  const option = argv.find((arg) => arg.startsWith('-'));
  if (option !== undefined) throw new ServesimError(`plugins: unknown option ${JSON.stringify(option)}; it takes only files`);
  // These modules are part of every `run` already: static imports keep them in the start-up chunk.
  const paths = argv.map((file) => resolve(io.cwd, file));
  const catalog = catalogWithPlugins(paths, io.cwd); // all files load together: clashes between them are errors too
  const lines: string[] = [];
  for (const path of paths) {
    for (const entry of (['admission', 'routing', 'scorer', 'priority', 'scheduler', 'preemption'] as const).flatMap((axis) =>
      catalog.entries(axis).filter((e) => e.plugin === path),
    )) {
      const m = entry.module;
      lines.push(`${m.axis} ${m.name}${m.description ? `  — ${m.description}` : ''}`);
      for (const [key, spec] of Object.entries(m.params)) {
        lines.push(`  --${paramFlag(m, key)}  ${spec.type}, default ${String(spec.default)}, ${describeDomain(spec)}: ${spec.help}`);
      }
    }
  }
  io.writeStdout(lines.join('\n') + '\n');
  return 0;
}

export const pluginsSubcommand: Subcommand = {
  name: 'plugins',
  summary: 'load policy plugin files and list the policies and flags they register',
  help: async () => HELP,
  run: listPlugins,
};
