// `servesim dashboard`: a small node:http server over a trial store, opened read-only for every request (so it sees
// what an `optimize`, `ledger` or `sweep` in another process commits). The server polls the store's files and pushes
// a server-sent event when its content changed; the page then fetches its new main part.
//
// Security (a local tool, but a browser can be tricked into talking to it): it binds to 127.0.0.1 by default,
// answers only requests whose Host header names that address (or localhost) with its port — a DNS-rebinding page
// gets 403 —, serves only the routes below and its two in-memory assets (nothing is read from disk but the store),
// and never writes: every page is built from a read-only open of the store.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { statSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { ServesimError } from '../errors.js';
import { formatArgv, buildRunArgv } from '../lab/runargs.js';
import { formatSeeds } from '../lab/seeds.js';
import { TrialStore } from '../lab/store.js';
import { exportTrial, listEvaluations, listRun, runSettingsOf, summarizeRun, KEY_METRICS } from '../lab/trials.js';
import { SIMULATOR_VERSION } from '../version.js';
import type { ReportContext } from '../report/context.js';
import { escapeHtml, formatFigure, REPORT_CSS, renderSection, renderTable } from '../report/html.js';
import { resimulate } from '../report/distributions.js';
import { runSections } from '../report/run-report.js';

export interface DashboardOptions {
  /** Absolute path of the store. */
  storePath: string;
  /** The store as the user named it. */
  storeLabel: string;
  host: string;
  /** 0: any free port. */
  port: number;
  /** How often the store's files are checked for changes (ms). */
  pollMs?: number;
}

export interface Dashboard {
  url: string;
  port: number;
  close(): Promise<void>;
}

const DASHBOARD_CSS = `${REPORT_CSS}
.live { font-size: 12px; color: #2a7; margin-left: 8px; }
.live.stale { color: #c60; }
button.copy { font-size: 11px; padding: 1px 6px; margin-left: 4px; cursor: pointer; }
td pre { margin: 0; max-width: 520px; }
details summary { cursor: pointer; color: #357; }
`;

/** Live updates: on each `change` event, fetch this page's main part again and swap it in. */
const DASHBOARD_JS = `
(() => {
  const live = document.getElementById('live');
  const refresh = async () => {
    const response = await fetch(location.pathname + '?fragment=1', { cache: 'no-store' });
    if (!response.ok) return;
    const main = document.querySelector('main');
    main.innerHTML = await response.text();
    document.body.dataset.version = main.firstElementChild?.dataset.version ?? '';
    live.textContent = 'live · updated ' + new Date().toLocaleTimeString();
  };
  const events = new EventSource('/events');
  events.addEventListener('change', () => { refresh().catch(() => {}); });
  events.onerror = () => { live.textContent = 'disconnected: retrying…'; live.classList.add('stale'); };
  events.onopen = () => { live.classList.remove('stale'); live.textContent = 'live'; };
  document.addEventListener('click', async (event) => {
    const load = event.target.closest('button#load-distributions');
    if (load) {
      load.disabled = true;
      load.textContent = 're-simulating…';
      const response = await fetch(load.dataset.url, { cache: 'no-store' });
      const section = document.getElementById('per-seed');
      if (response.ok && section) section.outerHTML = await response.text();
      else load.textContent = 'failed: ' + (await response.text());
      return;
    }
    const button = event.target.closest('button[data-copy]');
    if (!button) return;
    const text = document.getElementById(button.dataset.copy).textContent;
    const done = () => { button.textContent = 'copied'; setTimeout(() => { button.textContent = 'copy'; }, 1200); };
    if (navigator.clipboard) navigator.clipboard.writeText(text).then(done, () => {});
  });
})();
`;

const ASSETS = new Map<string, { type: string; body: string }>([
  ['/assets/dashboard.css', { type: 'text/css; charset=utf-8', body: DASHBOARD_CSS }],
  ['/assets/dashboard.js', { type: 'text/javascript; charset=utf-8', body: DASHBOARD_JS }],
]);

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

function withStore<T>(options: DashboardOptions, body: (store: TrialStore) => T): T {
  const store = TrialStore.openReadOnly(options.storePath, options.storeLabel);
  try {
    return body(store);
  } finally {
    store.close();
  }
}

/** What the pages show changed: evaluations added, calls added, a run's status. */
function contentVersion(options: DashboardOptions): string {
  return withStore(options, (store) => {
    const runs = store.runs().map((r) => `${r.id}:${r.status}:${store.observations(r.id).length}`);
    return `${store.countEvaluations()}|${runs.join(',')}`;
  });
}

/** Cheap change detector: the store's and its WAL's size and modification time. */
function fileStamp(path: string): string {
  return [path, `${path}-wal`]
    .map((p) => {
      try {
        const s = statSync(p);
        return `${s.size}:${s.mtimeMs}`;
      } catch {
        return '-';
      }
    })
    .join('/');
}

const NO_DISTRIBUTIONS: ReportContext = {
  distributions: false,
  simulatorVersion: SIMULATOR_VERSION,
  resimulate: () => Promise.reject(new Error('the dashboard does not re-simulate')),
  warn: () => {},
  footer: '',
};

let copyIds = 0;

function copyable(text: string): string {
  const id = `copy-${++copyIds}`;
  return `<pre id="${id}">${escapeHtml(text)}</pre><button class="copy" data-copy="${id}">copy</button>`;
}

function indexMain(options: DashboardOptions, version: string): string {
  return withStore(options, (store) => {
    const runs = store.runs().map((run) => summarizeRun(store, run));
    const evaluations = listEvaluations(store);
    const byStrategy = new Map<string, { configs: Set<string>; seeds: Set<number>; n: number; latest: string }>();
    for (const e of evaluations) {
      const entry = byStrategy.get(e.strategy) ?? { configs: new Set(), seeds: new Set(), n: 0, latest: '' };
      entry.configs.add(e.config_hash);
      entry.seeds.add(e.seed);
      entry.n++;
      entry.latest = e.created_at > entry.latest ? e.created_at : entry.latest;
      byStrategy.set(e.strategy, entry);
    }
    const runsTable = renderTable({
      id: 'runs',
      title: `Optimisation runs (${runs.length})`,
      header: ['run', 'strategy', 'status', 'calls', 'seeds', 'best score', 'best call', 'updated'],
      numeric: [0, 3, 5, 6],
      rows: runs.map((r) => [String(r.id), r.strategy, r.status, r.n_calls === null ? String(r.calls) : `${r.calls}/${r.n_calls}`, formatSeeds(r.seeds), r.best_score, r.best_call, r.updated_at]),
    }).replace(/<tr><td class="num">(\d+)<\/td>/g, (_, id: string) => `<tr><td class="num"><a href="/run/${id}">${id}</a></td>`);
    const strategiesTable = renderTable({
      id: 'strategies',
      title: `Strategies (${byStrategy.size}) with stored evaluations`,
      header: ['strategy', 'configurations', 'evaluations', 'seeds', 'latest'],
      numeric: [1, 2],
      rows: [...byStrategy].map(([name, e]) => [name, e.configs.size, e.n, formatSeeds([...e.seeds].sort((a, b) => a - b)), e.latest]),
    });
    const recent = evaluations.slice(-40).reverse();
    const evalRows = recent
      .map(
        (e) =>
          `<tr><td>${escapeHtml(e.strategy)}</td><td class="num">${e.seed}</td><td><code>${e.config_hash.slice(0, 12)}</code></td>` +
          KEY_METRICS.map((m) => `<td class="num">${escapeHtml(e.metrics[m] === null || e.metrics[m] === undefined ? 'n/a' : formatFigure(e.metrics[m]!))}</td>`).join('') +
          `<td><details><summary>flags</summary>${copyable(`servesim run ${formatArgv(e.argv)}`)}</details></td><td>${escapeHtml(e.created_at)}</td></tr>`,
      )
      .join('\n');
    const evalTable =
      `<div class="table"><h4>Latest evaluations (${recent.length} of ${evaluations.length}, newest first)</h4><table id="evaluations"><thead><tr>` +
      ['strategy', 'seed', 'config', ...KEY_METRICS, 'run command', 'created'].map((h) => `<th>${escapeHtml(h)}</th>`).join('') +
      `</tr></thead><tbody>\n${evalRows}\n</tbody></table></div>`;
    return (
      `<div data-version="${escapeHtml(version)}"><section id="overview"><h2>Trial store ${escapeHtml(options.storeLabel)}</h2>` +
      `<p class="intro" id="counts">${evaluations.length} evaluations, ${runs.length} optimisation runs, ${byStrategy.size} strategies.</p>` +
      `<div class="pair"><div class="tables">${runsTable}${strategiesTable}</div></div>${evalTable}</section></div>`
    );
  });
}

/**
 * Latency distributions cost simulations, so the run page offers them on request (a button); once made they are
 * kept per run while its calls stay the same (live updates keep showing them).
 */
type DistributionCache = Map<number, { key: string; html: string }>;

function callsKey(store: TrialStore, runId: number): string {
  const observations = store.observations(runId);
  return `${observations.length}:${observations.map((o) => o.score).join(',')}`;
}

const RESIMULATING: ReportContext = {
  ...NO_DISTRIBUTIONS,
  distributions: true,
  // In this thread, one simulation at a time: the dashboard shares the machine with the lab that feeds it.
  resimulate: (refs) => resimulate(refs, { jobs: 1, write: () => {}, bar: false }),
};

async function distributionsSection(options: DashboardOptions, id: number, cache: DistributionCache): Promise<string> {
  const store = TrialStore.openReadOnly(options.storePath, options.storeLabel);
  try {
    const run = store.getRun(id);
    if (!run) throw new HttpError(404, `trial store ${options.storeLabel} has no optimisation run ${id}`);
    const key = callsKey(store, id);
    const cached = cache.get(id);
    if (cached?.key === key) return cached.html;
    const sections = await runSections(store, run, RESIMULATING, { storeLabel: options.storeLabel, simVersion: SIMULATOR_VERSION });
    const section = sections.find((s) => s.id === 'per-seed');
    if (!section) throw new HttpError(404, `run ${id} has no calls to re-simulate`);
    const html = renderSection(section);
    cache.set(id, { key, html });
    return html;
  } finally {
    store.close();
  }
}

async function runMain(options: DashboardOptions, id: number, version: string, cache: DistributionCache): Promise<string> {
  const store = TrialStore.openReadOnly(options.storePath, options.storeLabel);
  try {
    const run = store.getRun(id);
    if (!run) throw new HttpError(404, `trial store ${options.storeLabel} has no optimisation run ${id}`);
    const listing = listRun(store, run);
    const strategy = runSettingsOf(run).strategy;
    const seed = listing.run.seeds[0];
    const sections = await runSections(store, run, NO_DISTRIBUTIONS, { storeLabel: options.storeLabel, simVersion: SIMULATOR_VERSION });
    const cached = cache.get(id);
    const distributions = cached?.key === callsKey(store, id) ? cached.html : undefined;
    const button =
      strategy && listing.calls.length > 0
        ? `<p><button id="load-distributions" data-url="/run/${id}/distributions">Re-simulate the first and best call: TTFT and E2E distributions per SLO class</button></p>`
        : '';
    const rendered = sections.map((section) =>
      section.id !== 'per-seed' ? renderSection(section) : (distributions ?? renderSection({ ...section, extraHtml: button })),
    );
    const callRows = listing.calls
      .map((c) => {
        const flags = strategy && seed !== undefined ? `servesim run ${formatArgv(buildRunArgv(strategy, c.params, seed))}` : '(the store does not hold this run\'s strategy)';
        const exportLink = strategy ? `<a href="/run/${id}/call/${c.call}/strategy.yaml" download>strategy YAML</a>` : '';
        return `<tr><td class="num">${c.call}</td><td class="num">${formatFigure(c.score)}</td><td><details><summary>flags (seed ${seed ?? '?'})</summary>${copyable(flags)}</details></td><td>${exportLink}</td></tr>`;
      })
      .join('\n');
    const trials =
      `<section id="trials"><h2>Trials: flags and export</h2><p class="intro">Each call's \`servesim run\` flags (copy), and the call as a standalone strategy file (the same export as \`servesim export ${escapeHtml(options.storeLabel)} --run ${id} --call K\`).</p>` +
      `<table id="trial-flags"><thead><tr><th>call</th><th>score</th><th>flags</th><th>export</th></tr></thead><tbody>\n${callRows}\n</tbody></table></section>`;
    return (
      `<div data-version="${escapeHtml(version)}"><p><a href="/">← all runs</a></p>` +
      `<h2 id="run-title">Run ${run.id}: ${escapeHtml(run.strategy)} (${escapeHtml(run.status)}), ${listing.calls.length}${listing.run.n_calls ? `/${listing.run.n_calls}` : ''} calls</h2>` +
      `${rendered.join('\n')}\n${trials}</div>`
    );
  } finally {
    store.close();
  }
}

function page(title: string, main: string, options: DashboardOptions): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="/assets/dashboard.css">
</head>
<body>
<header><h1>servesim dashboard<span id="live" class="live">connecting…</span></h1>
<p class="subtitle">Trial store ${escapeHtml(options.storeLabel)} (read-only), simulator ${escapeHtml(SIMULATOR_VERSION)}. Updates live while the lab writes to it.</p></header>
<main>${main}</main>
<footer>servesim dashboard: read-only view; charts rendered on the server (Vega-Lite → SVG).</footer>
<script src="/assets/dashboard.js"></script>
</body>
</html>
`;
}

function send(res: ServerResponse, status: number, type: string, body: string, extra: Record<string, string> = {}): void {
  res.writeHead(status, {
    'content-type': type,
    'content-length': Buffer.byteLength(body),
    'cache-control': 'no-store',
    'x-content-type-options': 'nosniff',
    'content-security-policy': "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'",
    ...extra,
  });
  res.end(res.req.method === 'HEAD' ? undefined : body);
}

export async function startDashboard(options: DashboardOptions): Promise<Dashboard> {
  // Fails now (one-line error) when the store is missing or not a trial store.
  let version = contentVersion(options);
  let stamp = fileStamp(options.storePath);
  const listeners = new Set<ServerResponse>();
  const distributionCache: DistributionCache = new Map();
  let allowedHosts = new Set<string>();

  const poll = setInterval(() => {
    const now = fileStamp(options.storePath);
    if (now === stamp) return;
    stamp = now;
    let next: string;
    try {
      next = contentVersion(options);
    } catch {
      return; // mid-write or briefly locked: the next poll sees it
    }
    if (next === version) return;
    version = next;
    for (const res of listeners) res.write(`event: change\ndata: ${JSON.stringify(version)}\n\n`);
  }, options.pollMs ?? 500);
  const heartbeat = setInterval(() => {
    for (const res of listeners) res.write(': keep-alive\n\n');
  }, 15_000);

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    if (!allowedHosts.has((req.headers.host ?? '').toLowerCase())) throw new HttpError(403, 'forbidden: unexpected Host header');
    if (req.method !== 'GET' && req.method !== 'HEAD') throw new HttpError(405, 'method not allowed');
    const url = new URL(req.url ?? '/', 'http://dashboard.invalid');
    const path = url.pathname;
    const fragment = url.searchParams.get('fragment') === '1';
    const asset = ASSETS.get(path);
    if (asset) return send(res, 200, asset.type, asset.body);
    if (path === '/') {
      const main = indexMain(options, version);
      return send(res, 200, 'text/html; charset=utf-8', fragment ? main : page(`servesim dashboard: ${options.storeLabel}`, main, options));
    }
    if (path === '/api/state') {
      return send(res, 200, 'application/json', JSON.stringify(withStore(options, (store) => ({ version, evaluations: store.countEvaluations(), runs: store.runs().map((r) => summarizeRun(store, r)) }))));
    }
    if (path === '/events') {
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store', connection: 'keep-alive' });
      res.write(`event: hello\ndata: ${JSON.stringify(version)}\n\n`);
      listeners.add(res);
      req.on('close', () => listeners.delete(res));
      return;
    }
    const runMatch = /^\/run\/(\d{1,9})$/.exec(path);
    if (runMatch) {
      const main = await runMain(options, Number(runMatch[1]), version, distributionCache);
      return send(res, 200, 'text/html; charset=utf-8', fragment ? main : page(`servesim dashboard: run ${runMatch[1]}`, main, options));
    }
    const distributionsMatch = /^\/run\/(\d{1,9})\/distributions$/.exec(path);
    if (distributionsMatch) return send(res, 200, 'text/html; charset=utf-8', await distributionsSection(options, Number(distributionsMatch[1]), distributionCache));
    const exportMatch = /^\/run\/(\d{1,9})\/call\/(\d{1,9})\/strategy\.yaml$/.exec(path);
    if (exportMatch) {
      const [runId, call] = [Number(exportMatch[1]), Number(exportMatch[2])];
      const exported = withStore(options, (store) => exportTrial(store, runId, call, { storeLabel: options.storeLabel }));
      return send(res, 200, 'application/yaml; charset=utf-8', exported.yaml, { 'content-disposition': `attachment; filename="${exported.name}.yaml"` });
    }
    throw new HttpError(404, 'not found');
  };

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      const status = error instanceof HttpError ? error.status : error instanceof ServesimError ? 404 : 500;
      const message = error instanceof Error ? error.message : String(error);
      if (!res.headersSent) send(res, status, 'text/plain; charset=utf-8', `${status}: ${message}\n`);
      else res.end();
    });
  });

  await new Promise<void>((resolvePromise, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) => {
      clearInterval(poll);
      clearInterval(heartbeat);
      if (error.code === 'EADDRINUSE') reject(new ServesimError(`--port ${options.port}: already in use on ${options.host} (choose another, or --port 0 for a free one)`));
      else if (error.code === 'EACCES') reject(new ServesimError(`--port ${options.port}: permission denied on ${options.host} (ports below 1024 need privileges)`));
      else reject(new ServesimError(`--host ${options.host}: cannot listen there (${error.code ?? error.message})`));
    });
    server.listen(options.port, options.host, () => resolvePromise());
  });
  const port = (server.address() as AddressInfo).port;
  const hostPart = options.host.includes(':') ? `[${options.host}]` : options.host;
  const names = new Set([hostPart, 'localhost', '127.0.0.1', '[::1]']);
  names.delete('0.0.0.0');
  names.delete('[::]');
  allowedHosts = new Set([...names].map((h) => `${h.toLowerCase()}:${port}`));
  const shownHost = options.host === '0.0.0.0' || options.host === '::' ? '127.0.0.1' : hostPart;
  return {
    url: `http://${shownHost}:${port}/`,
    port,
    close: async () => {
      clearInterval(poll);
      clearInterval(heartbeat);
      for (const res of listeners) res.end();
      const closed = new Promise<void>((resolvePromise) => server.close(() => resolvePromise()));
      server.closeAllConnections(); // keep-alive browser connections would hold the close for seconds
      await closed;
    },
  };
}
