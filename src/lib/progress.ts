/**
 * A progress bar for long imports, drawn on stderr only when it is a terminal (a CI log or a pipe gets
 * one summary line at the end instead). Redraws at most ten times a second.
 */
export interface Progress {
  tick(count?: number): void;
  done(summary?: string): void;
}

export function createProgress(
  label: string,
  total: number | undefined,
  stream: NodeJS.WriteStream = process.stderr,
): Progress {
  const interactive = Boolean(stream.isTTY);
  let current = 0;
  let lastDraw = 0;
  const started = Date.now();

  const draw = (force = false) => {
    if (!interactive) return;
    const now = Date.now();
    if (!force && now - lastDraw < 100) return;
    lastDraw = now;
    const rate = current / Math.max(0.001, (now - started) / 1000);
    let line: string;
    if (total && total > 0) {
      const fraction = Math.min(1, current / total);
      const width = 30;
      const filled = Math.round(fraction * width);
      line = `${label} [${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${current}/${total} (${Math.round(fraction * 100)}%)`;
    } else {
      line = `${label} ${current}`;
    }
    stream.write(`\r${line} ${Math.round(rate)}/s\x1b[K`);
  };

  return {
    tick(count = 1) {
      current += count;
      draw();
    },
    done(summary) {
      draw(true);
      if (interactive) stream.write('\n');
      const seconds = ((Date.now() - started) / 1000).toFixed(1);
      stream.write(`${summary ?? `${label}: ${current}`} (${seconds} s)\n`);
    },
  };
}
