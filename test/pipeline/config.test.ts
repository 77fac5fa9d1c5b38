/** The configuration is validated at start; every error names the file, the key and what is expected. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../pipeline/config/load.js';
import { runCli } from '../cli/run-cli.js';

const dir = mkdtempSync(join(tmpdir(), 'kintsugi-config-'));
function file(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

describe('configuration', () => {
  it('loads the shipped example, frozen', () => {
    const config = loadConfig(fileURLToPath(new URL('../../examples/kintsugi.yaml', import.meta.url)));
    expect(config.sources.map((s) => s.name)).toEqual(['hosts-3.2', 'hosts-4.2']);
    expect(Object.isFrozen(config.sources[0])).toBe(true);
  });

  it.each([
    ['unknown key', 'sources: []\nbogus: 1\n', /bad\.yaml: key "bogus" is not a known key/],
    ['unknown nested key', 'sources:\n  - { name: a, format: rlog, paths: [x], hots: y }\n', /key "sources\[0\]\.hots" is not a known key/],
    ['wrong type', 'sources: []\napi: { port: "eighty" }\n', /key "api\.port" must be integer/],
    ['out of range', 'sources: []\napi: { port: 70000 }\n', /key "api\.port" must be <= 65535/],
    ['missing key', 'api: {}\n', /key "sources" is required/],
    ['bad format', 'sources:\n  - { name: a, format: xml, paths: [x] }\n', /key "sources\[0\]\.format"/],
    ['bad zone', 'sources:\n  - { name: a, format: rlog, paths: [x], timeZone: Mars/Base }\n', /key "sources\[0\]\.timeZone" must be an IANA time zone name/],
    ['repeated name', 'sources:\n  - { name: a, format: rlog, paths: [x] }\n  - { name: a, format: ops, paths: [y] }\n', /key "sources\[1\]\.name" repeats "a"/],
    ['YAML syntax', 'sources: [\n', /bad\.yaml is not valid YAML/],
    ['elasticsearch without a node', 'sources: []\nstore: { kind: elasticsearch }\n', /key "store\.node" is required with kind elasticsearch/],
    ['an Elasticsearch key on DuckDB', 'sources: []\nstore: { node: "http://es:9200" }\n', /key "store\.node" is for kind elasticsearch/],
    ['a password without a user', 'sources: []\nstore: { kind: elasticsearch, node: x, auth: { passwordEnv: P } }\n', /key "store\.auth" needs username with password/],
    ['two ways to authenticate', 'sources: []\nstore: { kind: elasticsearch, node: x, auth: { username: u, password: p, apiKey: k } }\n', /mixes an API key with a username/],
    ['an upper-case index prefix', 'sources: []\nstore: { kind: elasticsearch, node: x, indexPrefix: Kintsugi }\n', /key "store\.indexPrefix" must match pattern/],
    ['a retention under 8 days', 'sources: []\nstore: { kind: elasticsearch, node: x, retentionDays: { events: 3 } }\n', /key "store\.retentionDays\.events" must be >= 8/],
  ])('refuses %s', (_name, text, message) => {
    const path = file('bad.yaml', text);
    expect(() => loadConfig(path)).toThrow(message);
  });

  it('loads an Elasticsearch store section', () => {
    const path = file('es.yaml', 'sources: []\nstore: { kind: elasticsearch, node: [https://es1:9200, https://es2:9200], auth: { apiKeyEnv: ES_KEY }, indexPrefix: acme, retentionDays: { events: 30 } }\n');
    expect(loadConfig(path).store).toEqual({ kind: 'elasticsearch', node: ['https://es1:9200', 'https://es2:9200'], auth: { apiKeyEnv: 'ES_KEY' }, indexPrefix: 'acme', retentionDays: { events: 30 } });
  });

  it('names a file it cannot read', () => {
    expect(() => loadConfig(join(dir, 'missing.yaml'))).toThrow(/PIP_ERR_CONFIG_READ: cannot read configuration file .*missing\.yaml/);
  });

  it('makes kintsugi serve exit 2 with the message, before touching the data folder', async () => {
    const path = file('serve-bad.yaml', 'sources: []\nport: 1\n');
    const r = await runCli(['serve', '--config', path, '--data', join(dir, 'data')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/serve-bad\.yaml: key "port" is not a known key/);
  });
});
