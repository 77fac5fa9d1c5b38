/**
 * The mock cluster (elasticsearch-mock-cluster.ts) behind a real HTTP server on a free port, for
 * tests of processes that build their own client from a URL (`kintsugi serve`, `kintsugi query`).
 */
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { MockCluster } from './elasticsearch-mock-cluster.js';

async function readBody(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const text = Buffer.concat(chunks).toString('utf8');
  if (text.trim() === '') return null;
  if ((req.headers['content-type'] ?? '').includes('x-ndjson')) return text.split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as unknown);
  return JSON.parse(text) as unknown;
}

export async function serveCluster(cluster: MockCluster): Promise<{ readonly url: string; close(): Promise<void> }> {
  const server = createServer((req, res) => {
    readBody(req).then(
      (body) => {
        const url = new URL(req.url ?? '/', 'http://x');
        const { status, body: answer } = cluster.handle({ method: req.method ?? 'GET', path: url.pathname, querystring: Object.fromEntries(url.searchParams), body });
        res.writeHead(status, { 'content-type': 'application/json', 'x-elastic-product': 'Elasticsearch' });
        res.end(JSON.stringify(answer));
      },
      (err: unknown) => {
        res.writeHead(400, { 'content-type': 'application/json', 'x-elastic-product': 'Elasticsearch' });
        res.end(JSON.stringify({ error: { type: 'parse_exception', reason: String(err) }, status: 400 }));
      },
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
