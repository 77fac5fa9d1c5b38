/**
 * `kintsugi serve` on the embedded default: file followers → parser → DuckDB store, and the HTTP
 * API, in one process (the topology of DESIGN.md with the in-process transport). The source files
 * are the durable buffer: a file's checkpoint moves only after its records are stored.
 *
 * While it runs, `<data>/service.json` says where it answers, so that commands on the same data
 * folder go through it instead of opening the store (DuckDB lets one process hold a file).
 */
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { FastifyBaseLogger, FastifyInstance } from 'fastify';
import { CheckpointStore } from '../collectors/checkpoint.js';
import { FileFollower } from '../collectors/follower.js';
import type { Log } from '../collectors/source.js';
import { accessFromConfig } from './access/from-config.js';
import { removeServiceToken } from './access/service-token.js';
import type { AlertStore } from './alerts/alert-store.js';
import { DuckDbAlertStore } from './alerts/duckdb-store.js';
import { AlertEvaluator } from './alerts/evaluator.js';
import { sourceResolver } from './api/replay.js';
import { buildApi } from './api/server.js';
import { DEFAULT_API_HOST, DEFAULT_API_PORT, DEFAULT_STORE_MEMORY_LIMIT, type Config } from './config/schema.js';
import { PipelineError } from './errors.js';
import { loadDefaultRules } from './rules/defaults.js';
import { loadRules, mergeRules } from './rules/load.js';
import { StoreSink } from './store-sink.js';
import { DuckDbEventStore } from './store/duckdb-store.js';
import { isElasticsearch } from './store/elasticsearch/config-checks.js';
import type { EventStore } from './store/event-store.js';
import { SERVICE_FILE, runningService } from './service-file.js';
import { startTelemetry, type Telemetry } from './telemetry/telemetry.js';
import { attachRunner, runnerSource } from '../restore-runner/jobs/attach.js';
import type { RestoreRunner } from '../restore-runner/jobs/runner.js';
import { attachScheduler, type ScheduledSnapshots } from '../restore-runner/schedule/attach.js';
import { KafkaWorkers } from './transport/kafka-workers.js';
import type { KafkaSettings } from './transport/settings.js';
import { SiemPublisher, siemSettings } from './transport/siem-publisher.js';

export const CHECKPOINT_FILE = 'checkpoints.json';

function readTlsFile(path: string): Buffer {
  try {
    return readFileSync(path);
  } catch (err: unknown) {
    throw new PipelineError('PIP_ERR_CONFIG_READ', path, err instanceof Error ? err.message : String(err));
  }
}

export class Service {
  private store: EventStore | null = null;
  private alerts: AlertStore | null = null;
  private evaluator: AlertEvaluator | null = null;
  /** The restore runner (restore-runner/jobs/): alerts become verified restores. */
  runner: RestoreRunner | null = null;
  /** Scheduled snapshots (restore-runner/schedule/), when the recovery policy has a schedule. */
  private snapshots: ScheduledSnapshots | null = null;
  private telemetry: Telemetry | null = null;
  private api: FastifyInstance | null = null;
  private followers: FileFollower[] = [];
  private workers: KafkaWorkers | null = null;
  private siem: SiemPublisher | null = null;
  private stopping: Promise<void> | null = null;
  url = '';

  constructor(
    readonly config: Config,
    readonly dataDir: string,
    private readonly log: Log,
    private readonly requestLogger?: FastifyBaseLogger,
    /** Started by the caller before anything else (cli/serve.ts); else started here. */
    telemetry?: Telemetry,
    /** The Kafka transport: workers consume the topics instead of followers reading files. */
    private readonly kafka: KafkaSettings | null = null,
  ) {
    this.telemetry = telemetry ?? null;
  }

  async start(): Promise<string> {
    const data = resolve(this.dataDir);
    try {
      mkdirSync(data, { recursive: true });
    } catch (err: unknown) {
      throw new PipelineError('PIP_ERR_DATA_DIR', data, err instanceof Error ? err.message : String(err));
    }
    const other = runningService(data);
    if (other !== null && other.pid !== process.pid) throw new PipelineError('PIP_ERR_SERVICE_RUNNING', other.pid, other.url, data, 'stop it first, or give this one another --data folder');

    // The rules first: a bad rules file stops the start before any file is opened.
    const rules = mergeRules([...(this.config.rules?.defaults === false ? [] : [loadDefaultRules()]), ...(this.config.rules?.files ?? []).map((f) => loadRules(f))]);
    const otlp = this.config.telemetry?.otlp;
    this.telemetry ??= startTelemetry(otlp !== undefined ? { otlp } : {});
    const instruments = this.telemetry.instruments;
    // store.kind elasticsearch: events, dead letters and alerts in the cluster (pipeline/store/elasticsearch).
    // The Elasticsearch client is loaded only when the configuration chooses it.
    const es = isElasticsearch(this.config.store) ? await (await import('./store/elasticsearch/from-config.js')).openElasticsearchStores(this.config.store) : null;
    const store =
      es?.events ??
      (await DuckDbEventStore.open({
        dataDir: data,
        memoryLimit: this.config.store?.memoryLimit ?? DEFAULT_STORE_MEMORY_LIMIT,
        ...(this.config.store?.threads !== undefined ? { threads: this.config.store.threads } : {}),
      }));
    this.store = store;
    // Alerts: their own file (alerts.duckdb) or index; the evaluator follows the committed events.
    this.alerts = es?.alerts ?? (await DuckDbAlertStore.open({ dataDir: data }));
    const runner = attachRunner(this.config.restores, data, store, this.alerts, this.log, instruments);
    this.runner = runner;
    this.snapshots = attachScheduler(this.config.restores, data, this.log);
    this.evaluator = new AlertEvaluator(store, this.alerts, rules, {
      log: this.log,
      onChanges: (changes, evaluation) => {
        for (const c of changes) instruments.alertChanges.add(1, { rule: c.alert.rule.id, change: c.kind });
        void runner
          .onAlertChanges(changes, evaluation)
          .catch((err: unknown) => this.log.error({ err: String(err) }, 'restore runner could not take an alert'));
      },
      onLatency: (rule, seconds) => instruments.alertLatency.record(seconds, { rule }),
    });
    const checkpoints = await CheckpointStore.open(join(data, CHECKPOINT_FILE));
    const sink = new StoreSink(store, this.telemetry.instruments);
    const f = this.config.followers ?? {};
    // On the Kafka transport the files are the forwarders' (kintsugi forward): serve consumes.
    if (this.kafka !== null) this.workers = new KafkaWorkers(this.kafka, store, this.log, this.telemetry.instruments);
    // The runner's own events come back in like any 4.2 host's.
    this.followers = [...(this.kafka !== null ? [] : this.config.sources), runnerSource(data)].map(
      (source) =>
        new FileFollower(source, checkpoints, sink, {
          log: this.log,
          ...(f.pollIntervalMs !== undefined ? { pollIntervalMs: f.pollIntervalMs } : {}),
          ...(f.idleFlushMs !== undefined ? { idleFlushMs: f.idleFlushMs } : {}),
          ...(f.batchBytes !== undefined ? { batchBytes: f.batchBytes } : {}),
        }),
    );
    this.telemetry.instruments.followerLag.addCallback((result) => {
      for (const follower of this.followers) result.observe(follower.lagBytes(), { source: follower.config.name });
    });

    const access = accessFromConfig(this.config.access, data, store, (fields, message) => this.log.error(fields, message), (reason) => instruments.authDenied.add(1, { reason }));
    const tls = this.config.api?.tls;
    this.api = await buildApi({
      access,
      ...(tls !== undefined ? { tls: { cert: readTlsFile(tls.cert), key: readTlsFile(tls.key) } } : {}),
      store,
      sourceOf: sourceResolver(this.config.sources),
      alerts: this.alerts,
      restores: runner,
      telemetry: this.telemetry,
      lagBytes: () => this.followers.reduce((n, x) => n + x.lagBytes(), 0),
      ...(this.requestLogger !== undefined ? { logger: this.requestLogger } : {}),
    });
    const host = this.config.api?.host ?? DEFAULT_API_HOST;
    const port = this.config.api?.port ?? DEFAULT_API_PORT;
    try {
      await this.api.listen({ host, port });
    } catch (err: unknown) {
      await this.stop();
      throw new PipelineError('PIP_ERR_LISTEN', host, port, err instanceof Error ? err.message : String(err));
    }
    const address = this.api.server.address();
    const actualPort = typeof address === 'object' && address !== null ? address.port : port;
    this.url = `${tls !== undefined ? 'https' : 'http'}://${host.includes(':') ? `[${host}]` : host}:${actualPort}`;
    // Consuming before service.json says the service is up: a caller that sees it can rely on it.
    await this.workers?.start();
    // The SIEM topic (siem.kafka): every committed event, in write order, from its checkpoint.
    const siem = siemSettings(this.config);
    if (siem !== null) {
      this.siem = new SiemPublisher(store, siem, data, { log: this.log });
      try {
        await this.siem.connect();
      } catch (err: unknown) {
        await this.stop();
        throw err;
      }
      this.siem.start();
    }
    writeFileSync(join(data, SERVICE_FILE), `${JSON.stringify({ pid: process.pid, url: this.url, started: new Date().toISOString() })}\n`);
    this.log.info({ url: this.url, data, sources: this.config.sources.map((s) => s.name) }, 'kintsugi serving');
    const evaluator = this.evaluator;
    evaluator.start().catch((err: unknown) => this.log.error({ err: String(err) }, 'alert evaluator stopped'));
    runner.start().catch((err: unknown) => this.log.error({ err: String(err) }, 'restore runner stopped'));
    this.snapshots?.start();
    for (const follower of this.followers) {
      follower.start().catch((err: unknown) => this.log.error({ source: follower.config.name, err: String(err) }, 'follower stopped'));
    }
    return this.url;
  }

  /** Followers and workers first (checkpoints and offsets committed), then the API, then the store. Idempotent. */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      await Promise.all(this.followers.map((f) => f.stop()));
      await this.workers?.stop();
      await this.siem?.stop();
      await this.evaluator?.stop();
      await this.runner?.stop();
      await this.snapshots?.stop();
      await this.api?.close();
      await this.alerts?.close();
      await this.store?.close();
      await this.telemetry?.shutdown();
      const file = join(resolve(this.dataDir), SERVICE_FILE);
      const info = runningService(resolve(this.dataDir));
      if (info === null || info.pid === process.pid) {
        rmSync(file, { force: true });
        removeServiceToken(resolve(this.dataDir));
      }
      this.log.info({}, 'kintsugi stopped');
    })();
    return this.stopping;
  }
}
