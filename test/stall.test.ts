// Where the reference loops forever, servesim stops with one clear line: a request that fits the KV cache
// but whose prompt plus output does not evicts itself on every step (docs/reference-quirks.md, quirk 19, and
// the stall detector in "Where servesim deliberately differs"), so nothing ever completes.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { runCli } from '../src/cli/program.js';

const dir = mkdtempSync(join(tmpdir(), 'servesim-stall-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

it('a self-evicting request with an unbounded horizon ends with an error instead of looping forever', async () => {
  const trace = join(dir, 'self-evicting.csv');
  const tokens = (from: number) => JSON.stringify(Array.from({ length: 100 }, (_, i) => from + i));
  // 100 prompt tokens need 7 of the 10 blocks; prompt + 100 output tokens would need 13.
  writeFileSync(trace, `arrival,a,b,input,output\n0,x,y,"${tokens(1)}","${tokens(200)}"\n`);
  const stdout: string[] = [];
  const stderr: string[] = [];
  const exitCode = await runCli(
    ['run', '--model', 'meta-llama/llama-3.1-8b-instruct', '--workload', 'traces', '--workload-traces-filepath', trace, '--total-kv-blocks', '10'],
    { cwd: dir, writeStdout: (t) => void stdout.push(t), writeStderr: (t) => void stderr.push(t), env: {} },
  );
  expect(exitCode).toBe(1);
  expect(stdout.join('')).toBe('');
  expect(stderr.join('').trim().split('\n')).toHaveLength(1);
  expect(stderr.join('')).toMatch(/^simulation cannot make progress: .* set --horizon/);

  // With a horizon the same run ends normally, as in the reference.
  const bounded = await runCli(
    ['run', '--model', 'meta-llama/llama-3.1-8b-instruct', '--workload', 'traces', '--workload-traces-filepath', trace, '--total-kv-blocks', '10', '--horizon', '1000000'],
    { cwd: dir, writeStdout: () => {}, writeStderr: () => {}, env: {} },
  );
  expect(bounded).toBe(0);
});
