/**
 * A real Kafka-protocol broker for tests and the benchmark: the librdkafka mock cluster that
 * Debian's `kcat` carries (`kcat -b x:1 -P -t warmup -X test.mock.num.brokers=3 -d mock`). It
 * lives as long as kcat's stdin is open; its bootstrap servers are in its debug log.
 *
 * The mock creates a topic (4 partitions) on first use, has no controller (admin calls fail) and
 * keeps about 5 MB per partition: callers keep their volumes small, or use fresh topics.
 */
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';

export interface MockBroker {
  /** Bootstrap servers, `127.0.0.1:PORT` each. */
  readonly brokers: readonly string[];
  stop(): Promise<void>;
}

function hasKcat(): boolean {
  return spawnSync('kcat', ['-V'], { stdio: 'ignore' }).status === 0;
}

/** Installs Debian's kcat when it is missing (CI runs Debian as root). */
export function ensureKcat(): void {
  if (hasKcat()) return;
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const install = (): boolean => spawnSync('apt-get', ['install', '-y', 'kcat'], { env, stdio: 'ignore' }).status === 0;
  if (!install()) {
    execFileSync('apt-get', ['update'], { env, stdio: 'ignore' });
    if (!install()) throw new Error('cannot install kcat with apt-get (needed for the Kafka mock cluster): install it by hand');
  }
  if (!hasKcat()) throw new Error('kcat was installed but does not run');
}

/** Starts a mock cluster of `brokers` brokers and resolves once its bootstrap servers are known. */
export async function startMockBroker(brokers = 3): Promise<MockBroker> {
  ensureKcat();
  const child: ChildProcess = spawn('kcat', ['-b', 'x:1', '-P', '-t', 'kintsugi.warmup', '-X', `test.mock.num.brokers=${brokers}`, '-d', 'mock'], {
    stdio: ['pipe', 'ignore', 'pipe'],
  });
  const servers = await new Promise<string[]>((resolve, reject) => {
    let log = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`the kcat mock cluster did not report its bootstrap servers within 20 s:\n${log.slice(0, 2000)}`));
    }, 20_000);
    child.stderr?.on('data', (chunk: Buffer) => {
      log += chunk.toString('utf8');
      const m = /bootstrap\.servers=(\S+)/.exec(log);
      if (m?.[1] !== undefined) {
        clearTimeout(timer);
        // Keep draining the debug log so that kcat never blocks on a full pipe.
        child.stderr?.removeAllListeners('data');
        child.stderr?.resume();
        resolve(m[1].split(','));
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`kcat exited (${code}) before reporting its bootstrap servers:\n${log.slice(0, 2000)}`));
    });
  });
  return {
    brokers: servers,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.stdin?.end();
        // Closing stdin ends kcat; a kill makes sure.
        setTimeout(() => child.kill('SIGKILL'), 2000).unref();
      }),
  };
}
