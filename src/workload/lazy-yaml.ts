// The full `yaml` package, loaded synchronously on first use: importing it costs ~50 ms of CPU, which most
// runs (plain block-style specs, see yaml-lite.ts) never need to pay.
import { createRequire } from 'node:module';

export type YamlModule = typeof import('yaml');

let loaded: YamlModule | undefined;

export function fullYaml(): YamlModule {
  loaded ??= createRequire(import.meta.url)('yaml') as YamlModule;
  return loaded;
}
