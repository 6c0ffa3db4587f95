// `servesim run --help`: the flag table rendered by commander's help formatter, grouped by the flag table's help groups
// (RUN_FLAG_GROUPS in src/config/run-flags.ts).

import { Command, Option } from 'commander';
import type { FlagSpec } from '../config/flags.js';
import { EXIT_STATUS_HELP } from './io.js';
import { runFlagTable } from '../config/run-flags.js';
import type { PolicyCatalog } from '../policies/catalog.js';

const TYPE_PLACEHOLDER: Record<FlagSpec['type'], string> = {
  string: '<string>',
  bool: '',
  int: '<int>',
  int64: '<int64>',
  float: '<float>',
  floatList: '<floats>',
  stringList: '<file>',
};

function defaultDescription(spec: FlagSpec): string | undefined {
  const value = spec.default;
  if (value === '' || value === false || value === 0n) return undefined;
  if (spec.name === 'horizon') return '9223372036854775807 (no horizon)';
  if (Array.isArray(value)) return value.join(',');
  return String(value);
}

export function renderRunHelp(catalog?: PolicyCatalog): string {
  const command = new Command('servesim run')
    .usage('--model <name> [flags]')
    .description(
      'Simulate an LLM inference cluster and print its metrics (byte-compatible with the BLIS reference).\n' +
        'Flags take `--name value` or `--name=value`; booleans take no value or `=true|false`.',
    )
    .helpOption('-h, --help', 'show this help');
  for (const spec of runFlagTable(catalog)) {
    const placeholder = spec.valueHint ?? TYPE_PLACEHOLDER[spec.type];
    const option = new Option(placeholder ? `--${spec.name} ${placeholder}` : `--${spec.name}`, spec.description).helpGroup(spec.group);
    const shown = defaultDescription(spec);
    if (shown !== undefined) option.default(spec.default, shown);
    command.addOption(option);
  }
  // helpInformation() leaves out addHelpText() blocks (commander prints those itself), so the epilogue is appended.
  return (
    command.helpInformation() +
    '\nPrecedence: --seed, --horizon and --num-requests override a workload spec only when given explicitly;\n' +
    '--total-kv-blocks overrides the defaults-file value only when given; a --policy-config bundle applies only\n' +
    'to policy flags that were not given. Relative paths are resolved against the working directory.\n\n' +
    `${EXIT_STATUS_HELP}\n`
  );
}
