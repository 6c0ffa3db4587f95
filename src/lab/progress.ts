// Progress on stderr: a cli-progress bar on a terminal, one plain line per step otherwise (logs, CI, pipes).
import cliProgress from 'cli-progress';

export interface ProgressReporter {
  /** `done` of `total` steps finished; `detail` values are shown after the count. */
  update(done: number, detail?: Record<string, string>): void;
  stop(): void;
}

export interface ProgressOptions {
  label: string;
  unit: string;
  total: number;
  /** Live bar on process.stderr (needs a terminal); otherwise plain lines through `write`. */
  bar: boolean;
  write: (text: string) => void;
  /** Plain lines are printed at most this often (ms), plus the last step; default 0 = every step. */
  plainIntervalMs?: number;
}

export function createProgress(options: ProgressOptions): ProgressReporter {
  return options.bar ? barProgress(options) : plainProgress(options);
}

function barProgress(options: ProgressOptions): ProgressReporter {
  const bar = new cliProgress.SingleBar(
    {
      stream: process.stderr,
      format: `${options.label} [{bar}] {value}/{total} ${options.unit} | {detail} | ETA {eta_formatted}`,
      hideCursor: true,
      clearOnComplete: false,
      etaBuffer: 8,
    },
    cliProgress.Presets.shades_classic,
  );
  bar.start(options.total, 0, { detail: '' });
  return {
    update(done, detail) {
      bar.update(done, { detail: formatDetail(detail) });
    },
    stop() {
      bar.stop();
    },
  };
}

function plainProgress(options: ProgressOptions): ProgressReporter {
  const started = performance.now();
  let lastPrinted = -Infinity;
  let firstDone: { done: number; at: number } | undefined;
  return {
    update(done, detail) {
      const now = performance.now();
      firstDone ??= { done, at: now };
      const last = done >= options.total;
      if (!last && now - lastPrinted < (options.plainIntervalMs ?? 0)) return;
      lastPrinted = now;
      const elapsed = (now - started) / 1000;
      // ETA from the rate since the first update, so steps replayed from a store do not look instant.
      const rate = done > firstDone.done ? (done - firstDone.done) / ((now - firstDone.at) / 1000) : 0;
      const eta = rate > 0 ? ` ETA ${formatSeconds((options.total - done) / rate)}` : '';
      const extra = formatDetail(detail);
      options.write(
        `${options.label}: ${done}/${options.total} ${options.unit}${extra ? ` | ${extra}` : ''} | ${formatSeconds(elapsed)} elapsed${last ? '' : eta}\n`,
      );
    },
    stop() {},
  };
}

function formatDetail(detail: Record<string, string> | undefined): string {
  return detail ? Object.entries(detail).map(([k, v]) => `${k} ${v}`).join(' | ') : '';
}

function formatSeconds(seconds: number): string {
  if (seconds < 60) return `${seconds.toFixed(1)} s`;
  const m = Math.floor(seconds / 60);
  return `${m} min ${Math.round(seconds - 60 * m)} s`;
}
