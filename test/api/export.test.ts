/**
 * The SIEM export over a real socket: ECS NDJSON in write order, cut off mid-stream and resumed
 * from the last whole line's event.sequence, with nothing lost or doubled (late events included);
 * and the API over TLS with a certificate made here.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { get as httpsGet } from 'node:https';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RecoveryEvent } from '../../parsers/event.js';
import { toEvent } from '../rules/events.js';
import { openFixture, type Fixture } from './fixture.js';

type Line = RecoveryEvent & { event: { sequence: number } };

let f: Fixture;
let url: string;
beforeAll(async () => {
  f = await openFixture();
  const many = Array.from({ length: 3000 }, (_, i) => toEvent({ id: `bulk-${i}`, at: new Date(Date.parse('2026-04-01T00:00:00Z') + i * 1000).toISOString(), action: 'check.file', status: 'ok', host: `bulk-${i % 7}`, cid: `bulk-session-${i % 50}` }));
  const w = await f.store.writeBatch(many, []);
  if (!w.ok) throw w.error;
  url = await f.app.listen({ host: '127.0.0.1', port: 0 });
}, 60_000);
afterAll(async () => {
  await f?.close();
});

/** GET the export; stop (destroying the socket) once `stopAfter` whole lines came, if given. */
function exportLines(query: string, headers: Record<string, string>, stopAfter?: number): Promise<{ lines: Line[]; cut: boolean; status: number }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(`${url}/api/export?${query}`, { headers }, (res) => {
      let buffer = '';
      const lines: Line[] = [];
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        buffer += chunk;
        let nl: number;
        while ((nl = buffer.indexOf('\n')) >= 0) {
          lines.push(JSON.parse(buffer.slice(0, nl)) as Line);
          buffer = buffer.slice(nl + 1);
          if (stopAfter !== undefined && lines.length >= stopAfter) {
            // A disconnect in the middle: the partial line in the buffer is lost with the socket.
            req.destroy();
            resolve({ lines, cut: true, status: res.statusCode ?? 0 });
            return;
          }
        }
      });
      res.on('end', () => resolve({ lines, cut: false, status: res.statusCode ?? 0 }));
      res.on('error', () => undefined);
    });
    req.on('error', (err) => (req.destroyed ? undefined : reject(err)));
    req.end();
  });
}

describe('GET /api/export', () => {
  it('streams every stored event once, in write order, each with its sequence', async () => {
    const all = await exportLines('', f.access.headers('viewer'));
    expect(all.status).toBe(200);
    const stats = await f.store.stats();
    expect(all.lines.length).toBe(stats.events);
    const seqs = all.lines.map((l) => l.event.sequence);
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
    expect(new Set(all.lines.map((l) => l.event.id)).size).toBe(all.lines.length);
  });

  it('resumes after a disconnect from the last whole line, late events included, nothing doubled', async () => {
    const headers = f.access.headers('viewer');
    const first = await exportLines('', headers, 1234);
    expect(first.cut).toBe(true);
    const last = first.lines.at(-1)?.event.sequence ?? 0;
    // Written while the SIEM was away: an event of an old @timestamp, which a time cursor would miss.
    const late = toEvent({ id: 'late-1', at: '2026-01-01T00:00:00Z', action: 'check.file', status: 'corrupt', host: 'late-host', cid: 'late' });
    expect((await f.store.writeBatch([late], [])).ok).toBe(true);
    const rest = await exportLines(`cursor=${last}`, headers);
    expect(rest.cut).toBe(false);
    const ids = [...first.lines, ...rest.lines].map((l) => l.event.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids.length).toBe((await f.store.stats()).events);
    expect(rest.lines.at(-1)?.event.id).toBe('late-1');
  });

  it('keeps only events at or after since, and refuses a bad since or cursor with a 400', async () => {
    const headers = f.access.headers('viewer');
    const since = await exportLines('since=2026-04-01T00:40:00Z&limit=100', headers);
    expect(since.lines.length).toBe(100);
    expect(since.lines.every((l) => Date.parse(l['@timestamp']) >= Date.parse('2026-04-01T00:40:00Z'))).toBe(true);
    for (const q of ['since=yesterday', 'cursor=-1', 'cursor=abc', 'limit=1.5', 'nope=1']) {
      const r = await f.app.inject({ url: `/api/export?${q}`, headers });
      expect(r.statusCode, q).toBe(400);
      expect(r.json<{ message: string }>().message, q).toMatch(/querystring/);
    }
    expect((await f.app.inject({ url: '/api/export' })).statusCode).toBe(401);
  });
});

describe('TLS', () => {
  it('serves HTTPS with the configured certificate', async () => {
    const dir = f.dir;
    const key = join(dir, 'key.pem');
    const cert = join(dir, 'cert.pem');
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=localhost', '-addext', 'subjectAltName=IP:127.0.0.1'], { stdio: 'ignore' });
    const tls = await openFixture({ tls: { cert: readFileSync(cert, 'utf8'), key: readFileSync(key, 'utf8') } });
    try {
      const base = await tls.app.listen({ host: '127.0.0.1', port: 0 });
      expect(base).toMatch(/^https:/);
      const body = await new Promise<string>((resolve, reject) => {
        httpsGet(`${base}/api/events?limit=1`, { ca: readFileSync(cert), headers: tls.access.headers('viewer') }, (res) => {
          let text = '';
          res.setEncoding('utf8').on('data', (d: string) => (text += d)).on('end', () => resolve(text));
        }).on('error', reject);
      });
      expect(JSON.parse(body)).toMatchObject({ events: [expect.objectContaining({ '@timestamp': expect.any(String) })] });
      // Without the CA the certificate is not trusted; plain HTTP gets no answer.
      await expect(new Promise((resolve, reject) => httpsGet(`${base}/healthz`, resolve).on('error', reject))).rejects.toThrow(/self-signed|certificate/);
      await expect(fetch(`${base.replace('https', 'http')}/healthz`)).rejects.toThrow();
    } finally {
      await tls.close();
    }
  }, 60_000);
});
