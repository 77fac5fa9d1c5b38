/**
 * A small Elasticsearch for tests, behind `@elastic/elasticsearch-mock` (the real client, the HTTP
 * layer replaced). It answers as Elasticsearch answers for the requests the Kintsugi stores send,
 * and refuses, with Elasticsearch's error types and statuses, anything else:
 *
 * - ILM policies and composable index templates (stored; a new index takes the mappings and
 *   aliases of the highest-priority template whose pattern matches it);
 * - `_bulk` with `create` / `index` / `update` (`if_seq_no`, `if_primary_term`): 409 on a stored
 *   `_id`, 400 `mapper_parsing_exception` for a value the mapping cannot take, indices created on
 *   first write; documents are searchable only after a refresh (near-real-time), GET is real-time;
 * - `_search` with the query DSL subset `bool` (filter / must / should / must_not /
 *   minimum_should_match), `term`, `terms`, `range`, `wildcard` (`case_insensitive`), `exists`,
 *   `match_all`; `sort` on keyword, long and date fields (keywords in UTF-8 byte order),
 *   `search_after`, `size` (at most 10,000), `_source` includes/excludes, `seq_no_primary_term`;
 *   aggregations: `composite` with `terms` (`missing_bucket`) and `date_histogram`
 *   (`fixed_interval`) sources, paged by `after`;
 * - `_count`, `_refresh`, `_mget`, `GET`/`PUT` `_doc/<id>` (with `version_type=external`).
 *
 * Strict: an unknown query, an unknown key, a field the index does not map, a term query on a text
 * field or a sort on one, a search on a missing index without `ignore_unavailable` all fail as
 * they would on a cluster. Fault injection: whole requests (`failRequests`) and single bulk items
 * (`failItems`) answer with a status for a number of times.
 */
import { createRequire } from 'node:module';
import type { Client } from '@elastic/elasticsearch';
import MockModule from '@elastic/elasticsearch-mock';
import { createClient } from '../../pipeline/store/elasticsearch/cluster.js';

// A CommonJS package whose types declare a default export: at run time the import is the class
// itself, while TypeScript (nodenext) types it as the module.
const Mock = MockModule as unknown as typeof MockModule.default;
type Mock = InstanceType<typeof Mock>;
type MockConnection = NonNullable<NonNullable<Parameters<typeof createClient>[1]>['Connection']>;

// The mock is CommonJS and recognises only the CommonJS build's ResponseError (the package is dual).
const { errors } = createRequire(import.meta.url)('@elastic/elasticsearch') as typeof import('@elastic/elasticsearch');

type Json = unknown;
type Doc = Record<string, unknown>;

interface StoredDoc {
  source: Doc;
  seqNo: number;
  primaryTerm: number;
  version: number;
  /** Visible to search (a refresh happened since the last write). */
  searchable: boolean;
}

interface MappingLeaf {
  readonly type: string;
  readonly index?: boolean;
  readonly fields?: Readonly<Record<string, { readonly type: string }>>;
}

interface MockIndex {
  readonly name: string;
  /** Dotted path → mapping leaf; null: a dynamic index (no template), mapped loosely. */
  readonly mapping: Map<string, MappingLeaf> | null;
  readonly aliases: Set<string>;
  readonly docs: Map<string, StoredDoc>;
  seqNo: number;
}

interface Template {
  readonly patterns: readonly string[];
  readonly priority: number;
  readonly mappings: Doc;
  readonly aliases: readonly string[];
}

export interface RecordedRequest {
  readonly method: string;
  readonly path: string;
  readonly querystring: Record<string, string>;
  readonly body: Json;
}

/** A 404 whose body is an answer, not an error (GET of a missing document). */
class NotFound {
  constructor(readonly body: Json) {}
}

export interface Params {
  readonly method: string;
  readonly path: string;
  readonly querystring: Record<string, string>;
  readonly body: Json;
}

class EsError extends Error {
  constructor(
    readonly status: number,
    readonly type: string,
    readonly reason: string,
  ) {
    super(`${type}: ${reason}`);
  }
}

const MAX_RESULT_WINDOW = 10_000;

function isObj(v: unknown): v is Doc {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function onlyKeys(where: string, obj: Doc, allowed: readonly string[]): void {
  for (const k of Object.keys(obj)) if (!allowed.includes(k)) throw new EsError(400, 'parsing_exception', `[${where}] unknown field [${k}]`);
}

function single(where: string, obj: unknown): [string, unknown] {
  if (!isObj(obj)) throw new EsError(400, 'parsing_exception', `[${where}] expected an object`);
  const entries = Object.entries(obj);
  if (entries.length !== 1) throw new EsError(400, 'parsing_exception', `[${where}] query malformed, expected exactly one field, found ${entries.length}`);
  return entries[0] as [string, unknown];
}

function globToRegExp(glob: string): RegExp {
  return new RegExp(`^${glob.split('*').map((p) => p.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`);
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** A Lucene wildcard pattern as a RegExp: `*` any sequence, `?` one character, `\` escapes. */
function wildcardToRegExp(pattern: string, caseInsensitive: boolean): RegExp {
  let out = '';
  const chars = [...pattern];
  for (let i = 0; i < chars.length; i++) {
    const c = chars[i] as string;
    const literal = c === '\\' && i + 1 < chars.length ? (chars[++i] as string) : null;
    if (literal !== null) out += escapeRegExp(literal);
    else if (c === '*') out += '[\\s\\S]*';
    else if (c === '?') out += '[\\s\\S]';
    else out += escapeRegExp(c);
  }
  return new RegExp(`^${out}$`, caseInsensitive ? 'iu' : 'u');
}

/** Values at a dotted path of a source document (arrays flattened); [] when absent. */
function valuesAt(source: Doc, path: string): unknown[] {
  let current: unknown[] = [source];
  for (const part of path === '@timestamp' ? ['@timestamp'] : path.split('.')) {
    const next: unknown[] = [];
    for (const c of current) {
      if (!isObj(c)) continue;
      const v = c[part];
      if (v === undefined || v === null) continue;
      if (Array.isArray(v)) next.push(...(v as unknown[]).filter((x) => x !== null));
      else next.push(v);
    }
    current = next;
  }
  return current;
}

function compareUtf8(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

function dateMs(v: unknown): number | null {
  if (typeof v === 'number') return v;
  if (typeof v === 'string') {
    if (/^-?\d+$/.test(v)) return Number(v);
    const ms = Date.parse(v);
    return Number.isNaN(ms) ? null : ms;
  }
  return null;
}

function flattenMapping(properties: unknown, prefix: string, out: Map<string, MappingLeaf>): void {
  if (!isObj(properties)) return;
  for (const [name, def] of Object.entries(properties)) {
    if (!isObj(def)) throw new EsError(400, 'mapper_parsing_exception', `mapping of [${prefix}${name}] is not an object`);
    const path = `${prefix}${name}`;
    if ('properties' in def) flattenMapping(def['properties'], `${path}.`, out);
    else if (typeof def['type'] === 'string') out.set(path, def as unknown as MappingLeaf);
    else throw new EsError(400, 'mapper_parsing_exception', `no type specified for field [${path}]`);
  }
}

const KNOWN_TYPES = ['keyword', 'date', 'long', 'boolean', 'match_only_text', 'flattened', 'wildcard'];

export class MockCluster {
  readonly mock = new Mock();
  readonly requests: RecordedRequest[] = [];
  readonly policies = new Map<string, Json>();
  readonly templates = new Map<string, Template>();
  readonly indices = new Map<string, MockIndex>();
  private readonly requestFaults: { path: RegExp; status: number; remaining: number }[] = [];
  private readonly itemFaults = new Map<string, { status: number; remaining: number }>();

  constructor() {
    this.mock.add({ method: ['GET', 'POST', 'PUT', 'DELETE', 'HEAD'], path: '*' }, (params) => this.answer(params as unknown as Params) as Record<string, unknown> | string);
  }

  /** A client of this cluster, built as the stores build theirs (createClient). */
  client(connection?: ReturnType<Mock['getConnection']>): Client {
    const Base = connection ?? this.mock.getConnection();
    // The mock's connection has no close(); Client.close() calls it.
    class Closable extends Base {
      override async close(): Promise<void> {}
    }
    // The mock is typed against the CommonJS build of @elastic/transport, the client against its ESM build: the same class.
    return createClient({ node: 'http://mock-es:9200' }, { Connection: Closable as unknown as MockConnection });
  }

  /** The next `times` requests whose path matches answer `status` (429, 503, ...). */
  failRequests(path: RegExp, status: number, times: number): void {
    this.requestFaults.push({ path, status, remaining: times });
  }

  /** The bulk item of this `_id` answers `status` the next `times` times. */
  failItems(id: string, status: number, times: number): void {
    this.itemFaults.set(id, { status, remaining: times });
  }

  /** Every document of the indices behind `target`, searchable or not. */
  docs(target: string): Doc[] {
    return this.resolve(target, true).flatMap((i) => [...i.docs.values()].map((d) => d.source));
  }

  private answer(params: Params): Json {
    const { status, body } = this.handle(params);
    // The mock passes a ResponseError through as that status and body.
    return status >= 400 ? new errors.ResponseError({ body, statusCode: status, headers: {}, warnings: null, meta: {} as never }) : body;
  }

  /** One request, answered as Elasticsearch would: the status and the JSON body. */
  handle(params: Params): { readonly status: number; readonly body: Json } {
    this.requests.push({ method: params.method, path: params.path, querystring: params.querystring, body: params.body });
    try {
      for (const fault of this.requestFaults) {
        if (fault.remaining > 0 && fault.path.test(params.path)) {
          fault.remaining--;
          throw new EsError(fault.status, fault.status === 429 ? 'es_rejected_execution_exception' : 'unavailable_shards_exception', 'injected fault');
        }
      }
      const answer = this.route(params);
      return answer instanceof NotFound ? { status: 404, body: answer.body } : { status: 200, body: answer };
    } catch (err: unknown) {
      if (err instanceof EsError) return { status: err.status, body: { error: { type: err.type, reason: err.reason }, status: err.status } };
      throw err;
    }
  }

  private route(p: Params): Json {
    const parts = p.path.split('/').filter((x) => x !== '').map((x) => decodeURIComponent(x));
    const [a, b, c] = parts;
    if (p.method === 'PUT' && a === '_ilm' && b === 'policy' && c !== undefined && parts.length === 3) return this.putPolicy(c, p.body);
    if (p.method === 'PUT' && a === '_index_template' && b !== undefined && parts.length === 2) return this.putTemplate(b, p.body);
    if ((p.method === 'POST' || p.method === 'PUT') && a === '_bulk' && parts.length === 1) return this.bulk(p.body);
    if ((p.method === 'POST' || p.method === 'GET') && a === '_mget' && parts.length === 1) return this.mget(p.body);
    if (a !== undefined && parts.length === 2 && (p.method === 'POST' || p.method === 'GET')) {
      if (b === '_search') return this.search(a, p.querystring, p.body);
      if (b === '_count') return this.count(a, p.querystring, p.body);
      if (b === '_refresh') return this.refresh(a, p.querystring);
    }
    if (a !== undefined && b === '_doc' && c !== undefined && parts.length === 3) {
      if (p.method === 'GET') return this.getDoc(a, c);
      if (p.method === 'PUT' || p.method === 'POST') return this.putDoc(a, c, p.querystring, p.body);
    }
    throw new EsError(400, 'illegal_argument_exception', `request [${p.method} ${p.path}] is not supported by the mock cluster (the store sent something unexpected)`);
  }

  // -- setup ----------------------------------------------------------------------------------

  private putPolicy(name: string, body: Json): Json {
    if (!isObj(body) || !isObj(body['policy'])) throw new EsError(400, 'x_content_parse_exception', 'required [policy]');
    onlyKeys('policy', body['policy'], ['phases', '_meta']);
    const phases = body['policy']['phases'];
    if (!isObj(phases)) throw new EsError(400, 'x_content_parse_exception', 'required [phases]');
    for (const [phase, def] of Object.entries(phases)) {
      if (!['hot', 'warm', 'cold', 'frozen', 'delete'].includes(phase)) throw new EsError(400, 'illegal_argument_exception', `unknown phase [${phase}]`);
      if (!isObj(def) || !isObj(def['actions'])) throw new EsError(400, 'x_content_parse_exception', `phase [${phase}] has no actions`);
    }
    this.policies.set(name, body);
    return { acknowledged: true };
  }

  private putTemplate(name: string, body: Json): Json {
    if (!isObj(body)) throw new EsError(400, 'x_content_parse_exception', 'no body');
    onlyKeys('index_template', body, ['index_patterns', 'priority', 'version', 'composed_of', 'ignore_missing_component_templates', '_meta', 'template']);
    const patterns = body['index_patterns'];
    if (!Array.isArray(patterns) || patterns.some((x) => typeof x !== 'string')) throw new EsError(400, 'x_content_parse_exception', 'index_patterns must be strings');
    const template = body['template'];
    if (!isObj(template)) throw new EsError(400, 'x_content_parse_exception', 'template is required');
    onlyKeys('template', template, ['settings', 'mappings', 'aliases']);
    const mappings = template['mappings'];
    if (!isObj(mappings)) throw new EsError(400, 'x_content_parse_exception', 'mappings are required');
    const leaves = new Map<string, MappingLeaf>();
    flattenMapping(mappings['properties'], '', leaves);
    for (const [path, leaf] of leaves) {
      if (!KNOWN_TYPES.includes(leaf.type)) throw new EsError(400, 'mapper_parsing_exception', `No handler for type [${leaf.type}] declared on field [${path}]`);
    }
    const settings = template['settings'];
    const policy = isObj(settings) ? settings['index.lifecycle.name'] : undefined;
    if (typeof policy === 'string' && !this.policies.has(policy)) {
      // Elasticsearch accepts it but every index would fail its lifecycle: the stores must put policies first.
      throw new EsError(400, 'illegal_argument_exception', `policy [${policy}] does not exist (mock: policies must come first)`);
    }
    const aliases = isObj(template['aliases']) ? Object.keys(template['aliases']) : [];
    this.templates.set(name, { patterns: patterns as string[], priority: typeof body['priority'] === 'number' ? body['priority'] : 0, mappings, aliases });
    return { acknowledged: true };
  }

  // -- indices --------------------------------------------------------------------------------

  private indexFor(name: string): MockIndex {
    const existing = this.indices.get(name);
    if (existing !== undefined) return existing;
    if (name !== name.toLowerCase() || name.startsWith('_') || name.includes('*')) throw new EsError(400, 'invalid_index_name_exception', `Invalid index name [${name}]`);
    const template = [...this.templates.values()]
      .filter((t) => t.patterns.some((p) => globToRegExp(p).test(name)))
      .sort((x, y) => y.priority - x.priority)[0];
    let mapping: Map<string, MappingLeaf> | null = null;
    if (template !== undefined) {
      mapping = new Map();
      flattenMapping(template.mappings['properties'], '', mapping);
    }
    const index: MockIndex = { name, mapping, aliases: new Set(template?.aliases ?? []), docs: new Map(), seqNo: 0 };
    this.indices.set(name, index);
    return index;
  }

  /** Indices behind a comma-separated list of names, aliases and patterns. */
  private resolve(target: string, ignoreUnavailable: boolean): MockIndex[] {
    const out = new Set<MockIndex>();
    for (const name of target.split(',')) {
      if (name.includes('*')) {
        const re = globToRegExp(name);
        for (const i of this.indices.values()) if (re.test(i.name)) out.add(i);
        continue;
      }
      const direct = this.indices.get(name);
      const viaAlias = [...this.indices.values()].filter((i) => i.aliases.has(name));
      if (direct !== undefined) out.add(direct);
      for (const i of viaAlias) out.add(i);
      if (direct === undefined && viaAlias.length === 0 && !ignoreUnavailable) throw new EsError(404, 'index_not_found_exception', `no such index [${name}]`);
    }
    return [...out];
  }

  // -- documents ------------------------------------------------------------------------------

  /** Checks a document against the index mapping as Elasticsearch's mappers would. */
  private checkDoc(index: MockIndex, id: string, source: Doc): void {
    if (index.mapping === null) return;
    const objects = new Set<string>();
    for (const path of index.mapping.keys()) {
      const parts = path === '@timestamp' ? [path] : path.split('.');
      for (let i = 1; i < parts.length; i++) objects.add(parts.slice(0, i).join('.'));
    }
    const visit = (value: unknown, path: string): void => {
      if (value === null) return;
      if (Array.isArray(value)) {
        for (const v of value) visit(v, path);
        return;
      }
      const leaf = index.mapping?.get(path);
      const fail = (type: string): never => {
        throw new EsError(400, 'mapper_parsing_exception', `failed to parse field [${path}] of type [${type}] in document with id '${id}'`);
      };
      if (leaf === undefined) {
        if (objects.has(path) || path === '') {
          if (!isObj(value)) throw new EsError(400, 'mapper_parsing_exception', `object mapping for [${path}] tried to parse field [${path}] as object, but found a concrete value`);
          for (const [k, v] of Object.entries(value)) visit(v, path === '' ? k : `${path}.${k}`);
        }
        return; // dynamic: false — an unmapped field stays in _source only
      }
      switch (leaf.type) {
        case 'keyword':
        case 'wildcard':
        case 'match_only_text':
          if (typeof value === 'object') fail(leaf.type);
          return;
        case 'long':
          if (!(typeof value === 'number' && Number.isInteger(value)) && !(typeof value === 'string' && /^-?\d+$/.test(value))) fail('long');
          return;
        case 'date':
          if (dateMs(value) === null) fail('date');
          return;
        case 'boolean':
          if (typeof value !== 'boolean' && value !== 'true' && value !== 'false') fail('boolean');
          return;
        case 'flattened':
          return;
        default:
          fail(leaf.type);
      }
    };
    visit(source, '');
  }

  private bulk(body: Json): Json {
    if (!Array.isArray(body)) throw new EsError(400, 'illegal_argument_exception', 'the bulk request must be NDJSON');
    const items: Json[] = [];
    let failed = false;
    for (let i = 0; i < body.length; i += 2) {
      const [op, meta] = single('bulk action', body[i]);
      const source: unknown = body[i + 1];
      if (!['create', 'index', 'update'].includes(op) || !isObj(meta)) throw new EsError(400, 'illegal_argument_exception', `Malformed action/metadata line [${i + 1}], unsupported action [${op}]`);
      onlyKeys(op, meta, ['_index', '_id', 'if_seq_no', 'if_primary_term']);
      const indexName = meta['_index'];
      const id = meta['_id'];
      if (typeof indexName !== 'string' || typeof id !== 'string' || id === '') throw new EsError(400, 'action_request_validation_exception', 'index and id are required');
      if (!isObj(source)) throw new EsError(400, 'illegal_argument_exception', `no source for action line [${i + 1}]`);
      let item: Doc;
      try {
        const fault = this.itemFaults.get(id);
        if (fault !== undefined && fault.remaining > 0) {
          fault.remaining--;
          throw new EsError(fault.status, fault.status === 429 ? 'es_rejected_execution_exception' : 'unavailable_shards_exception', 'injected item fault');
        }
        item = this.applyAction(op, indexName, id, meta, source);
      } catch (err: unknown) {
        if (!(err instanceof EsError)) throw err;
        failed = true;
        item = { _index: indexName, _id: id, status: err.status, error: { type: err.type, reason: err.reason } };
      }
      items.push({ [op]: item });
    }
    return { took: 1, errors: failed, items };
  }

  private applyAction(op: string, indexName: string, id: string, meta: Doc, source: Doc): Doc {
    const index = this.indexFor(indexName);
    const existing = index.docs.get(id);
    if (op === 'create' || op === 'index') {
      if (op === 'create' && existing !== undefined) throw new EsError(409, 'version_conflict_engine_exception', `[${id}]: version conflict, document already exists (current version [${existing.version}])`);
      this.checkDoc(index, id, source);
      const doc: StoredDoc = { source: structuredClone(source), seqNo: index.seqNo++, primaryTerm: 1, version: (existing?.version ?? 0) + 1, searchable: false };
      index.docs.set(id, doc);
      return { _index: index.name, _id: id, _version: doc.version, result: existing === undefined ? 'created' : 'updated', status: existing === undefined ? 201 : 200, _seq_no: doc.seqNo, _primary_term: 1 };
    }
    onlyKeys('update', source, ['doc']);
    if (existing === undefined) throw new EsError(404, 'document_missing_exception', `[${id}]: document missing`);
    if (meta['if_seq_no'] !== undefined && (meta['if_seq_no'] !== existing.seqNo || meta['if_primary_term'] !== existing.primaryTerm)) {
      throw new EsError(409, 'version_conflict_engine_exception', `[${id}]: version conflict, required seqNo [${String(meta['if_seq_no'])}], current [${existing.seqNo}]`);
    }
    const merged = deepMerge(existing.source, source['doc']);
    this.checkDoc(index, id, merged);
    const doc: StoredDoc = { source: merged, seqNo: index.seqNo++, primaryTerm: 1, version: existing.version + 1, searchable: false };
    index.docs.set(id, doc);
    return { _index: index.name, _id: id, _version: doc.version, result: 'updated', status: 200, _seq_no: doc.seqNo, _primary_term: 1 };
  }

  private getDoc(indexName: string, id: string): Json {
    const doc = this.indices.get(indexName)?.docs.get(id);
    if (doc === undefined) {
      if (!this.indices.has(indexName)) throw new EsError(404, 'index_not_found_exception', `no such index [${indexName}]`);
      return new NotFound({ _index: indexName, _id: id, found: false });
    }
    return { _index: indexName, _id: id, _version: doc.version, _seq_no: doc.seqNo, _primary_term: doc.primaryTerm, found: true, _source: doc.source };
  }

  private putDoc(indexName: string, id: string, qs: Record<string, string>, body: Json): Json {
    if (!isObj(body)) throw new EsError(400, 'parse_exception', 'request body is required');
    onlyKeys('querystring', qs, ['version', 'version_type', 'refresh']);
    const index = this.indexFor(indexName);
    const existing = index.docs.get(id);
    let version = (existing?.version ?? 0) + 1;
    if (qs['version_type'] === 'external') {
      version = Number(qs['version']);
      if (!Number.isSafeInteger(version) || version < 0) throw new EsError(400, 'action_request_validation_exception', 'illegal version value');
      if (existing !== undefined && existing.version >= version) {
        throw new EsError(409, 'version_conflict_engine_exception', `[${id}]: version conflict, current version [${existing.version}] is higher or equal to the one provided [${version}]`);
      }
    } else if (qs['version_type'] !== undefined) throw new EsError(400, 'illegal_argument_exception', `version_type [${qs['version_type']}] not supported by the mock`);
    this.checkDoc(index, id, body);
    index.docs.set(id, { source: structuredClone(body), seqNo: index.seqNo++, primaryTerm: 1, version, searchable: false });
    return { _index: indexName, _id: id, _version: version, result: existing === undefined ? 'created' : 'updated' };
  }

  private mget(body: Json): Json {
    if (!isObj(body) || !Array.isArray(body['docs'])) throw new EsError(400, 'action_request_validation_exception', 'no documents to get');
    onlyKeys('mget', body, ['docs']);
    return {
      docs: body['docs'].map((d: unknown) => {
        if (!isObj(d)) throw new EsError(400, 'parsing_exception', 'a doc of mget is not an object');
        onlyKeys('mget doc', d, ['_index', '_id']);
        const indexName = String(d['_index']);
        const id = String(d['_id']);
        const index = this.indices.get(indexName);
        if (index === undefined) return { _index: indexName, _id: id, error: { type: 'index_not_found_exception', reason: `no such index [${indexName}]` } };
        const doc = index.docs.get(id);
        return doc === undefined ? { _index: indexName, _id: id, found: false } : { _index: indexName, _id: id, _version: doc.version, found: true, _source: doc.source };
      }),
    };
  }

  private refresh(target: string, qs: Record<string, string>): Json {
    onlyKeys('querystring', qs, ['ignore_unavailable', 'allow_no_indices']);
    const indices = this.resolve(target, qs['ignore_unavailable'] === 'true');
    for (const i of indices) for (const d of i.docs.values()) d.searchable = true;
    return { _shards: { total: indices.length, successful: indices.length, failed: 0 } };
  }

  private count(target: string, qs: Record<string, string>, body: Json): Json {
    onlyKeys('querystring', qs, ['ignore_unavailable', 'allow_no_indices']);
    if (body !== null && body !== undefined && isObj(body)) onlyKeys('count', body, ['query']);
    const query = isObj(body) ? body['query'] : undefined;
    let n = 0;
    for (const index of this.resolve(target, qs['ignore_unavailable'] === 'true')) {
      for (const d of index.docs.values()) if (d.searchable && (query === undefined || this.matches(index, d.source, query))) n++;
    }
    return { count: n, _shards: { total: 1, successful: 1, skipped: 0, failed: 0 } };
  }

  // -- search ---------------------------------------------------------------------------------

  private search(target: string, qs: Record<string, string>, body: Json): Json {
    onlyKeys('querystring', qs, ['ignore_unavailable', 'allow_no_indices']);
    const req = isObj(body) ? body : {};
    onlyKeys('search', req, ['query', 'sort', 'size', 'search_after', 'track_total_hits', '_source', 'seq_no_primary_term', 'aggs']);
    const size = req['size'] === undefined ? 10 : req['size'];
    if (typeof size !== 'number' || !Number.isInteger(size) || size < 0) throw new EsError(400, 'illegal_argument_exception', `[size] parameter cannot be ${String(size)}`);
    if (size > MAX_RESULT_WINDOW) throw new EsError(400, 'illegal_argument_exception', `Result window is too large, from + size must be less than or equal to: [${MAX_RESULT_WINDOW}] but was [${size}]`);
    const indices = this.resolve(target, qs['ignore_unavailable'] === 'true');
    if (indices.length === 0) return { took: 1, timed_out: false, _shards: { total: 0, successful: 0, skipped: 0, failed: 0 }, hits: { max_score: null, hits: [] } };
    const query = req['query'] ?? { match_all: {} };
    const matching: { index: MockIndex; id: string; doc: StoredDoc }[] = [];
    for (const index of indices) {
      // Parse against every index, even an empty one: a bad query fails whatever the data.
      this.matches(index, {}, query);
      for (const [id, doc] of index.docs) if (doc.searchable && this.matches(index, doc.source, query)) matching.push({ index, id, doc });
    }
    const sort = this.parseSort(indices, req['sort']);
    const keyed = matching.map((m) => ({ ...m, key: sort.map((s) => sortValue(m.doc.source, s)) }));
    keyed.sort((x, y) => compareKeys(x.key, y.key, sort));
    let after = keyed;
    if (req['search_after'] !== undefined) {
      const sa = req['search_after'];
      if (!Array.isArray(sa) || sa.length !== sort.length) throw new EsError(400, 'illegal_argument_exception', `search_after has ${Array.isArray(sa) ? sa.length : 0} value(s) but sort has ${sort.length}`);
      const afterKey = sort.map((s, i) => normalizeSortValue(s, sa[i]));
      after = keyed.filter((k) => compareKeys(k.key, afterKey, sort) > 0);
    }
    const hits = after.slice(0, size).map((m) => ({
      _index: m.index.name,
      _id: m.id,
      _score: null,
      ...(req['_source'] === false ? {} : { _source: filterSource(m.doc.source, req['_source']) }),
      ...(req['seq_no_primary_term'] === true ? { _seq_no: m.doc.seqNo, _primary_term: m.doc.primaryTerm } : {}),
      ...(sort.length > 0 ? { sort: m.key.map((v, i) => (v === null ? missingSortValue(sort[i] as SortSpec) : v)) } : {}),
    }));
    const response: Doc = { took: 1, timed_out: false, _shards: { total: indices.length, successful: indices.length, skipped: 0, failed: 0 }, hits: { max_score: null, hits } };
    if (req['aggs'] !== undefined) response['aggregations'] = this.aggregate(indices, matching, req['aggs']);
    return response;
  }

  private leafOf(indices: readonly MockIndex[], field: string): { leaf: MappingLeaf; sourcePath: string } | null {
    for (const index of indices) {
      if (index.mapping === null) continue;
      const direct = index.mapping.get(field);
      if (direct !== undefined) return { leaf: direct, sourcePath: field };
      const dot = field.lastIndexOf('.');
      if (dot > 0) {
        const parent = index.mapping.get(field.slice(0, dot));
        const sub = parent?.fields?.[field.slice(dot + 1)];
        if (sub !== undefined) return { leaf: { type: sub.type }, sourcePath: field.slice(0, dot) };
      }
    }
    return null;
  }

  /** The mapping of a queried field; an index that does not map it matches nothing (as in ES). */
  private queriedField(index: MockIndex, field: string, allowed: readonly string[], query: string): { sourcePath: string; type: string } | null {
    if (index.mapping === null) return { sourcePath: field, type: 'keyword' };
    const found = this.leafOf([index], field);
    if (found === null) {
      // A store only queries fields it maps: an unmapped one is a typo that would silently match nothing.
      throw new EsError(400, 'query_shard_exception', `[${query}] field [${field}] is not mapped in [${index.name}] (mock: strict)`);
    }
    if (found.leaf.index === false) throw new EsError(400, 'query_shard_exception', `Cannot search on field [${field}] since it is not indexed.`);
    if (!allowed.includes(found.leaf.type)) throw new EsError(400, 'query_shard_exception', `[${query}] query on field [${field}] of type [${found.leaf.type}] is not supported by the mock (strict)`);
    return { sourcePath: found.sourcePath, type: found.leaf.type };
  }

  private matches(index: MockIndex, source: Doc, query: unknown): boolean {
    const [kind, body] = single('query', query);
    switch (kind) {
      case 'match_all':
        if (!isObj(body) || Object.keys(body).length > 0) throw new EsError(400, 'parsing_exception', '[match_all] takes no arguments here');
        return true;
      case 'bool': {
        if (!isObj(body)) throw new EsError(400, 'parsing_exception', '[bool] must be an object');
        onlyKeys('bool', body, ['filter', 'must', 'should', 'must_not', 'minimum_should_match']);
        const list = (k: string): unknown[] => (body[k] === undefined ? [] : Array.isArray(body[k]) ? (body[k] as unknown[]) : [body[k]]);
        const results = (k: string): boolean[] => list(k).map((q) => this.matches(index, source, q));
        const must = [...results('filter'), ...results('must')];
        const mustNot = results('must_not');
        const should = results('should');
        const msm = body['minimum_should_match'];
        if (msm !== undefined && typeof msm !== 'number') throw new EsError(400, 'parsing_exception', '[minimum_should_match] must be a number here');
        const needed = msm ?? (must.length === 0 && mustNot.length === 0 && should.length > 0 ? 1 : 0);
        return must.every(Boolean) && !mustNot.some(Boolean) && should.filter(Boolean).length >= needed;
      }
      case 'term': {
        const [field, spec] = single('term', body);
        const value = isObj(spec) ? (onlyKeys('term', spec, ['value', 'case_insensitive']), spec['value']) : spec;
        if (typeof value !== 'string' && typeof value !== 'number' && typeof value !== 'boolean') throw new EsError(400, 'parsing_exception', '[term] value must be a scalar');
        const f = this.queriedField(index, field, ['keyword', 'long', 'boolean', 'date'], 'term');
        return f !== null && valuesAt(source, f.sourcePath).some((v) => equalsTyped(v, value, f.type));
      }
      case 'terms': {
        if (!isObj(body)) throw new EsError(400, 'parsing_exception', '[terms] must be an object');
        const fields = Object.keys(body).filter((k) => k !== 'boost');
        if (fields.length !== 1) throw new EsError(400, 'parsing_exception', '[terms] query requires exactly one field');
        const field = fields[0] as string;
        const values = body[field];
        if (!Array.isArray(values) || values.some((v) => typeof v !== 'string' && typeof v !== 'number')) throw new EsError(400, 'parsing_exception', '[terms] values must be an array of scalars');
        if (values.length > 65_536) throw new EsError(400, 'illegal_argument_exception', 'too many terms');
        const f = this.queriedField(index, field, ['keyword', 'long', 'date'], 'terms');
        return f !== null && valuesAt(source, f.sourcePath).some((v) => values.some((x: unknown) => equalsTyped(v, x, f.type)));
      }
      case 'range': {
        const [field, spec] = single('range', body);
        if (!isObj(spec)) throw new EsError(400, 'parsing_exception', '[range] must be an object');
        onlyKeys('range', spec, ['gte', 'gt', 'lte', 'lt', 'format']);
        if (spec['format'] !== undefined && spec['format'] !== 'epoch_millis') throw new EsError(400, 'parsing_exception', `[range] format [${String(spec['format'])}] not supported by the mock`);
        const f = this.queriedField(index, field, ['long', 'date'], 'range');
        if (f === null) return false;
        const num = (v: unknown): number | null => (v === undefined ? null : f.type === 'date' ? dateMs(v) : typeof v === 'number' ? v : Number.NaN);
        const [gte, gt, lte, lt] = ['gte', 'gt', 'lte', 'lt'].map((k) => num(spec[k]));
        if ([gte, gt, lte, lt].some((x) => x !== null && Number.isNaN(x))) throw new EsError(400, 'parse_exception', '[range] bound is not a number or date');
        return valuesAt(source, f.sourcePath).some((raw) => {
          const v = f.type === 'date' ? dateMs(raw) : Number(raw);
          if (v === null) return false;
          return (gte == null || v >= gte) && (gt == null || v > gt) && (lte == null || v <= lte) && (lt == null || v < lt);
        });
      }
      case 'wildcard': {
        const [field, spec] = single('wildcard', body);
        if (!isObj(spec)) throw new EsError(400, 'parsing_exception', '[wildcard] must be an object');
        onlyKeys('wildcard', spec, ['value', 'case_insensitive']);
        if (typeof spec['value'] !== 'string') throw new EsError(400, 'parsing_exception', '[wildcard] value must be a string');
        if (spec['case_insensitive'] !== undefined && typeof spec['case_insensitive'] !== 'boolean') throw new EsError(400, 'parsing_exception', '[wildcard] case_insensitive must be a boolean');
        const f = this.queriedField(index, field, ['wildcard', 'keyword'], 'wildcard');
        if (f === null) return false;
        const re = wildcardToRegExp(spec['value'], spec['case_insensitive'] === true);
        return valuesAt(source, f.sourcePath).some((v) => typeof v === 'string' && re.test(v));
      }
      case 'exists': {
        if (!isObj(body)) throw new EsError(400, 'parsing_exception', '[exists] must be an object');
        onlyKeys('exists', body, ['field']);
        if (typeof body['field'] !== 'string') throw new EsError(400, 'parsing_exception', '[exists] field must be a string');
        const f = this.queriedField(index, body['field'], ['keyword', 'long', 'date', 'boolean', 'wildcard', 'match_only_text'], 'exists');
        return f !== null && valuesAt(source, f.sourcePath).length > 0;
      }
      default:
        throw new EsError(400, 'parsing_exception', `unknown query [${kind}]`);
    }
  }

  private parseSort(indices: readonly MockIndex[], sort: unknown): SortSpec[] {
    if (sort === undefined) return [];
    if (!Array.isArray(sort)) throw new EsError(400, 'parsing_exception', '[sort] must be an array here');
    return sort.map((entry: unknown) => {
      const [field, spec] = single('sort', entry);
      const order = typeof spec === 'string' ? spec : isObj(spec) ? (onlyKeys('sort', spec, ['order']), spec['order']) : undefined;
      if (order !== 'asc' && order !== 'desc') throw new EsError(400, 'parsing_exception', `[sort] order of [${field}] must be asc or desc`);
      const found = this.leafOf(indices, field);
      const type = found?.leaf.type ?? (indices.length === 0 ? 'keyword' : null);
      if (type === null) throw new EsError(400, 'query_shard_exception', `No mapping found for [${field}] in order to sort on`);
      if (!['keyword', 'long', 'date', 'boolean'].includes(type) || found?.leaf.index === false) {
        throw new EsError(400, 'illegal_argument_exception', `Text fields are not optimised for operations that require per-document field data: [${field}]`);
      }
      return { path: found?.sourcePath ?? field, type, order };
    });
  }

  private aggregate(indices: readonly MockIndex[], matching: readonly { doc: StoredDoc }[], aggs: unknown): Json {
    if (!isObj(aggs)) throw new EsError(400, 'parsing_exception', '[aggs] must be an object');
    const out: Doc = {};
    for (const [name, def] of Object.entries(aggs)) {
      const [kind, spec] = single(`aggregation ${name}`, def);
      if (kind !== 'composite' || !isObj(spec)) throw new EsError(400, 'parsing_exception', `unknown aggregation type [${kind}] (mock: only composite)`);
      onlyKeys('composite', spec, ['size', 'sources', 'after']);
      const size = spec['size'] ?? 10;
      if (typeof size !== 'number' || size < 1 || size > 65_536) throw new EsError(400, 'illegal_argument_exception', '[size] must be between 1 and 65536');
      if (!Array.isArray(spec['sources']) || spec['sources'].length === 0) throw new EsError(400, 'illegal_argument_exception', 'Composite [sources] cannot be null or empty');
      const sources = spec['sources'].map((s: unknown) => {
        const [sname, sdef] = single('composite source', s);
        const [skind, sbody] = single(`source ${sname}`, sdef);
        if (!isObj(sbody)) throw new EsError(400, 'parsing_exception', `source ${sname} must be an object`);
        if (skind === 'terms') {
          onlyKeys('terms source', sbody, ['field', 'missing_bucket']);
          const field = String(sbody['field']);
          const found = this.leafOf(indices, field);
          if (indices.length > 0 && (found === null || !['keyword', 'long', 'date'].includes(found.leaf.type))) throw new EsError(400, 'illegal_argument_exception', `cannot aggregate on [${field}]`);
          return { name: sname, kind: 'terms' as const, path: found?.sourcePath ?? field, missing: sbody['missing_bucket'] === true, interval: 0 };
        }
        if (skind === 'date_histogram') {
          onlyKeys('date_histogram source', sbody, ['field', 'fixed_interval']);
          const m = /^(\d+)(ms|s|m|h|d)$/.exec(String(sbody['fixed_interval']));
          if (m === null) throw new EsError(400, 'illegal_argument_exception', `failed to parse [fixed_interval] ${String(sbody['fixed_interval'])}`);
          const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[m[2] as 'ms' | 's' | 'm' | 'h' | 'd'];
          const field = String(sbody['field']);
          const found = this.leafOf(indices, field);
          if (indices.length > 0 && found?.leaf.type !== 'date') throw new EsError(400, 'illegal_argument_exception', `date_histogram on [${field}] which is not a date`);
          return { name: sname, kind: 'date' as const, path: field, missing: false, interval: Number(m[1]) * unit };
        }
        throw new EsError(400, 'parsing_exception', `unknown composite source [${skind}]`);
      });
      const groups = new Map<string, { key: (string | number | null)[]; count: number }>();
      for (const { doc } of matching) {
        // One value per field here (the stores group by single-valued fields).
        const key: (string | number | null)[] = [];
        let skip = false;
        for (const s of sources) {
          const v = valuesAt(doc.source, s.path)[0];
          if (s.kind === 'date') {
            const ms = dateMs(v);
            if (ms === null) skip = true;
            else key.push(ms - (((ms % s.interval) + s.interval) % s.interval));
          } else if (v === undefined) {
            if (!s.missing) skip = true;
            key.push(null);
          } else key.push(typeof v === 'number' ? v : String(v));
        }
        if (skip) continue;
        const k = JSON.stringify(key);
        const g = groups.get(k);
        if (g === undefined) groups.set(k, { key, count: 1 });
        else g.count++;
      }
      const cmp = (a: (string | number | null)[], b: (string | number | null)[]): number => {
        for (let i = 0; i < a.length; i++) {
          const x = a[i] ?? null;
          const y = b[i] ?? null;
          if (x === y) continue;
          if (x === null) return -1; // missing first in ascending order
          if (y === null) return 1;
          const c = typeof x === 'number' && typeof y === 'number' ? x - y : compareUtf8(String(x), String(y));
          if (c !== 0) return c;
        }
        return 0;
      };
      let all = [...groups.values()].sort((x, y) => cmp(x.key, y.key));
      const afterSpec = spec['after'];
      if (afterSpec !== undefined) {
        if (!isObj(afterSpec)) throw new EsError(400, 'parsing_exception', '[after] must be an object');
        const afterKey = sources.map((s) => (afterSpec[s.name] ?? null) as string | number | null);
        all = all.filter((g) => cmp(g.key, afterKey) > 0);
      }
      const page = all.slice(0, size);
      const toKey = (key: (string | number | null)[]): Doc => Object.fromEntries(sources.map((s, i) => [s.name, key[i] ?? null]));
      const last = page.at(-1);
      out[name] = { ...(last !== undefined ? { after_key: toKey(last.key) } : {}), buckets: page.map((g) => ({ key: toKey(g.key), doc_count: g.count })) };
    }
    return out;
  }
}

interface SortSpec {
  readonly path: string;
  readonly type: string;
  readonly order: 'asc' | 'desc';
}

function sortValue(source: Doc, s: SortSpec): string | number | null {
  const v = valuesAt(source, s.path)[0];
  if (v === undefined) return null;
  return normalizeSortValue(s, v);
}

function normalizeSortValue(s: SortSpec, v: unknown): string | number | null {
  if (v === null || v === undefined) return null;
  if (s.type === 'date') return dateMs(v);
  if (s.type === 'long') return Number(v);
  if (typeof v !== 'string') throw new EsError(400, 'illegal_argument_exception', `search_after value [${String(v)}] does not match a keyword sort`);
  return v;
}

/** What Elasticsearch puts in `sort` for a missing value (sorted last). */
function missingSortValue(s: SortSpec): string | number {
  return s.type === 'keyword' ? '' : s.order === 'asc' ? Number.MAX_SAFE_INTEGER : Number.MIN_SAFE_INTEGER;
}

function compareKeys(a: readonly (string | number | null)[], b: readonly (string | number | null)[], sort: readonly SortSpec[]): number {
  for (let i = 0; i < sort.length; i++) {
    const s = sort[i] as SortSpec;
    const x = a[i] ?? null;
    const y = b[i] ?? null;
    if (x === y) continue;
    // Missing values sort last whatever the order (Elasticsearch's default `_last`).
    if (x === null) return 1;
    if (y === null) return -1;
    const c = typeof x === 'number' && typeof y === 'number' ? x - y : compareUtf8(String(x), String(y));
    if (c !== 0) return s.order === 'asc' ? c : -c;
  }
  return 0;
}

function equalsTyped(stored: unknown, wanted: unknown, type: string): boolean {
  if (type === 'date') return dateMs(stored) === dateMs(wanted);
  if (type === 'long') return Number(stored) === Number(wanted);
  return String(stored) === String(wanted);
}

function filterSource(source: Doc, spec: unknown): Doc {
  if (spec === undefined || spec === true) return source;
  if (!isObj(spec)) throw new EsError(400, 'parsing_exception', '[_source] must be false or an object here');
  onlyKeys('_source', spec, ['includes', 'excludes']);
  const includes = Array.isArray(spec['includes']) ? (spec['includes'] as string[]) : null;
  const excludes = Array.isArray(spec['excludes']) ? (spec['excludes'] as string[]) : [];
  const keep = (path: string): boolean => {
    const under = (p: string): boolean => path === p || path.startsWith(`${p}.`) || p.startsWith(`${path}.`);
    if (excludes.some((p) => path === p || path.startsWith(`${p}.`))) return false;
    return includes === null || includes.some(under);
  };
  const walk = (obj: Doc, prefix: string): Doc => {
    const out: Doc = {};
    for (const [k, v] of Object.entries(obj)) {
      const path = prefix === '' ? k : `${prefix}.${k}`;
      if (!keep(path)) continue;
      const leafIncluded = includes === null || includes.some((p) => path === p || path.startsWith(`${p}.`));
      out[k] = isObj(v) && !leafIncluded ? walk(v, path) : isObj(v) && excludes.some((p) => p.startsWith(`${path}.`)) ? walk(v, path) : v;
    }
    return out;
  };
  return walk(source, '');
}

function deepMerge(target: Doc, patch: unknown): Doc {
  if (!isObj(patch)) throw new EsError(400, 'parsing_exception', '[doc] must be an object');
  const out: Doc = structuredClone(target);
  for (const [k, v] of Object.entries(patch)) out[k] = isObj(v) && isObj(out[k]) ? deepMerge(out[k] as Doc, v) : structuredClone(v);
  return out;
}
