/** Progress on a terminal (bytes, rate, time left), to stderr, only when stderr is a TTY. */
export interface Progress {
  update(bytes: number): void;
  done(): void;
}

export const SILENT_PROGRESS: Progress = { update: () => undefined, done: () => undefined };

export function formatBytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = n;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return `${u === 0 ? v : v.toFixed(1)} ${units[u] ?? 'B'}`;
}

export function createProgress(label: string, totalBytes: number | undefined, stream: NodeJS.WriteStream = process.stderr): Progress {
  if (!stream.isTTY) return SILENT_PROGRESS;
  const start = Date.now();
  let last = 0;
  let current = 0;
  const draw = (): void => {
    const secs = Math.max(0.001, (Date.now() - start) / 1000);
    const rate = current / secs;
    let line = `${label}: ${formatBytes(current)}`;
    if (totalBytes !== undefined && totalBytes > 0) {
      const left = rate > 0 ? Math.max(0, (totalBytes - current) / rate) : 0;
      line += ` of ${formatBytes(totalBytes)} (${Math.min(100, (100 * current) / totalBytes).toFixed(1)}%), ${formatBytes(rate)}/s, ${left.toFixed(0)} s left`;
    } else {
      line += `, ${formatBytes(rate)}/s`;
    }
    stream.write(`\r\x1b[K${line}`);
  };
  return {
    update(bytes: number): void {
      current = bytes;
      const now = Date.now();
      if (now - last >= 200) {
        last = now;
        draw();
      }
    },
    done(): void {
      draw();
      stream.write('\n');
    },
  };
}
