// Synchronous, on-demand loading of heavy dependencies: importing `yaml` costs ~30 ms and `zod` ~70 ms at
// start-up, and most runs need neither (the shipped defaults file is precompiled to JSON at build time).

import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

export function loadYamlModule(): typeof import('yaml') {
  return require('yaml') as typeof import('yaml');
}

export function loadZodModule(): typeof import('zod') {
  return require('zod') as typeof import('zod');
}
