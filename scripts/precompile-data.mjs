// Build step: precompiles data/defaults.yaml into dist/data/defaults.json. Parsing the YAML costs ~100 ms per
// process, a large share of a CLI run; the CLI uses the JSON only if the YAML text it records is the YAML's
// current text.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { parse } from 'yaml';

const source = new URL('../data/defaults.yaml', import.meta.url);
const target = new URL('../dist/data/defaults.json', import.meta.url);
const text = readFileSync(source, 'utf8');
mkdirSync(new URL('.', target), { recursive: true });
writeFileSync(target, JSON.stringify({ source: text, document: parse(text) }));
