/**
 * OTLP export when configured: a collector stand-in (an HTTP server on a free loopback port)
 * receives Kintsugi's spans at /v1/traces and its metrics at /v1/metrics.
 */
import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inSpan, SPANS } from '../../pipeline/telemetry/spans.js';
import { startTelemetry, type Telemetry } from '../../pipeline/telemetry/telemetry.js';

const received: { path: string; type: string; body: string }[] = [];
let server: Server;
let telemetry: Telemetry;

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = '';
    req.setEncoding('latin1').on('data', (d: string) => (body += d));
    req.on('end', () => {
      received.push({ path: req.url ?? '', type: req.headers['content-type'] ?? '', body });
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  telemetry = startTelemetry({ otlp: { endpoint: `http://127.0.0.1:${port}/`, intervalMs: 60_000, headers: { 'x-api-key': 'k' } } });
});
afterAll(async () => {
  await telemetry?.shutdown();
  await new Promise((r) => server.close(r));
});

describe('OTLP export', () => {
  it('sends spans and metrics to the configured collector', async () => {
    await inSpan('rulesEvaluate', { 'kintsugi.correlation_ids': ['cid-otlp-1'] }, async () => undefined);
    telemetry.instruments.alertChanges.add(1, { rule: 'r1', change: 'new' });
    await telemetry.flush();
    const traces = received.filter((r) => r.path === '/v1/traces');
    const metrics = received.filter((r) => r.path === '/v1/metrics');
    expect(traces.length).toBeGreaterThan(0);
    expect(metrics.length).toBeGreaterThan(0);
    expect(traces.map((t) => t.body).join('')).toContain(SPANS.rulesEvaluate.name);
    expect(traces.map((t) => t.body).join('')).toContain('cid-otlp-1');
    expect(metrics.map((m) => m.body).join('')).toContain('kintsugi_alert_changes');
  });
});
