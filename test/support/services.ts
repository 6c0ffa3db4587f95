// Real services for the tests that need them (Redis for the BullMQ backend, Chromium for the report/dashboard).
// `.ci/run` starts a private Redis and names both in the environment, with SERVESIM_REQUIRE_SERVICES=1 so a
// missing service fails CI instead of silently skipping. On a developer machine without them the tests skip.
import { existsSync } from 'node:fs';

const required = process.env.SERVESIM_REQUIRE_SERVICES === '1';

function available(name: string, value: string | undefined, hint: string): string | undefined {
  if (value) return value;
  if (required) throw new Error(`${name} is required (SERVESIM_REQUIRE_SERVICES=1) but not set: ${hint}`);
  return undefined;
}

/** Redis URL of a throw-away server (`SERVESIM_TEST_REDIS_URL`), or undefined when the tests should skip. */
export function testRedisUrl(): string | undefined {
  return available('SERVESIM_TEST_REDIS_URL', process.env.SERVESIM_TEST_REDIS_URL, 'start redis-server on loopback and export its URL');
}

/** Path of a Chromium binary (`SERVESIM_TEST_CHROMIUM`, else /usr/bin/chromium when present). */
export function testChromium(): string | undefined {
  const fallback = existsSync('/usr/bin/chromium') ? '/usr/bin/chromium' : undefined;
  return available('SERVESIM_TEST_CHROMIUM', process.env.SERVESIM_TEST_CHROMIUM ?? fallback, 'apt-get install chromium');
}

/** Launch flags for headless Chromium in a closed network, as root. */
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
