// The CLI bundle (scripts/bundle.mjs) that bin/servesim loads: what it inlines at build time and what it resolves
// relative to its own location must match the package. Needs `npm run build`.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { PACKAGE_VERSION } from '../src/version.js';

const REPO_ROOT = fileURLToPath(new URL('../', import.meta.url));
const BIN = join(REPO_ROOT, 'bin', 'servesim');
const BUNDLE_DIR = join(REPO_ROOT, 'dist', 'bundle');
const packageVersion = (JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string }).version;

describe('CLI bundle', () => {
  it('is built, with the lab worker next to it (the pool resolves ./worker.js from the bundle)', () => {
    expect(existsSync(join(BUNDLE_DIR, 'servesim.js')), 'dist/bundle is missing: run `npm run build` first').toBe(true);
    expect(existsSync(join(BUNDLE_DIR, 'worker.js'))).toBe(true);
  });

  it('reports the package.json version (inlined at build time; read at run time from the sources)', () => {
    expect(PACKAGE_VERSION).toBe(packageVersion);
    const child = spawnSync(BIN, ['--version'], { encoding: 'utf8' });
    expect(child.status).toBe(0);
    expect(child.stdout.trim()).toBe(packageVersion);
  });
});

describe('run fast path (dist/bundle/run.cjs with its V8 code cache)', () => {
  it('has a code cache that V8 accepts under the flags bin/servesim sets (a rejected cache silently loses the speed-up)', () => {
    const probe = `
      const { setFlagsFromString } = require('node:v8');
      setFlagsFromString('--max-inlined-bytecode-size-cumulative=150');
      const { Script } = require('node:vm');
      const { readFileSync } = require('node:fs');
      const file = ${JSON.stringify(join(BUNDLE_DIR, 'run.cjs'))};
      const wrapped = '(function (exports, require, module, __filename, __dirname, __servesimModuleUrl) {' + readFileSync(file, 'utf8') + '\\n})';
      const script = new Script(wrapped, { filename: file, cachedData: readFileSync(file + '.cache') });
      process.stdout.write(String(script.cachedDataRejected));`;
    const child = spawnSync(process.execPath, ['-e', probe], { encoding: 'utf8' });
    expect(child.stderr).toBe('');
    expect(child.stdout).toBe('false');
  });

  it('prints what the full CLI prints, for a run, for --help and for an error', () => {
    const main = join(REPO_ROOT, 'dist', 'cli', 'main.js');
    const cases = [
      ['run', '--model', 'meta-llama/llama-3.1-8b-instruct', '--num-requests', '20', '--seed', '7'],
      ['run', '--help'],
      ['run', '--num-requests', '-5'],
    ];
    for (const args of cases) {
      const fast = spawnSync(BIN, args, { encoding: 'utf8' });
      const full = spawnSync(process.execPath, [main, ...args], { encoding: 'utf8' });
      expect({ status: fast.status, stdout: fast.stdout, stderr: fast.stderr }).toEqual({ status: full.status, stdout: full.stdout, stderr: full.stderr });
    }
  });
});
