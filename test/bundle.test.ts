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
