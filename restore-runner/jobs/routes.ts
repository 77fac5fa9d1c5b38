/**
 * The restores API (a fastify plugin): the jobs, a restore asked for by hand, approvals and
 * cancels. Roles (pipeline/access/): viewer reads, operator requests and cancels, approver
 * approves; a request by an approver needs no second approval. Refusals are the access guard's
 * (401/403, stored as `auth.denied` events); every action taken is recorded in the audit trail
 * under the job's correlation id.
 */
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { roleAllows } from '../../pipeline/access/roles.js';
import { JobError } from './errors.js';
import { FINAL_STATES, JOB_STATES, type Job } from './job.js';
import type { RestoreRunner } from './runner.js';
import { listInstanceSnapshots, listSnapshotDir } from './snapshot-browse.js';
import { errorDoc } from '../../pipeline/api/error-doc.js';

export interface RestoreRouteDeps {
  readonly runner: RestoreRunner;
}

const jobDoc = {
  type: 'object',
  additionalProperties: true,
  required: ['id', 'state', 'host', 'instance', 'correlationId'],
  properties: {
    progress: {
      type: 'object',
      description: 'the running (or last) attempt: live here, in the job file about once a second',
      required: ['phase', 'bytesDone', 'bytesTotal', 'updatedAt'],
      properties: {
        phase: { type: 'string', enum: ['plan', 'write', 'verify', 'done'] },
        bytesDone: { type: 'number' },
        bytesTotal: { type: 'number' },
        filesDone: { type: 'number', description: 'tree restores' },
        filesTotal: { type: 'number', description: 'tree restores' },
        updatedAt: { type: 'string' },
      },
    },
    cancelRequested: { type: 'object', description: 'a cancel asked for while the job ran', required: ['by', 'at'], properties: { by: { type: 'string' }, at: { type: 'string' } } },
  },
} as const;
const idParams = { type: 'object', properties: { id: { type: 'string', minLength: 1, maxLength: 64, pattern: '^[a-z0-9-]+$' } }, required: ['id'] } as const;

const nameParam = { type: 'string', minLength: 1, maxLength: 255, pattern: '^[^/]+$' } as const;
const instanceParams = { type: 'object', properties: { host: nameParam, instance: nameParam }, required: ['host', 'instance'] } as const;
const snapshotParams = { type: 'object', properties: { host: nameParam, instance: nameParam, id: { type: 'string', minLength: 4, maxLength: 64, pattern: '^[0-9a-fA-F]+$', description: 'a snapshot ID or a unique prefix' } }, required: ['host', 'instance', 'id'] } as const;
const snapshotDoc = {
  type: 'object',
  required: ['id', 'time', 'kind', 'osVersion', 'tags', 'parent', 'sizes'],
  properties: {
    id: { type: 'string' },
    time: { type: 'string' },
    kind: { type: 'string', enum: ['tree', 'image'] },
    osVersion: { type: ['string', 'null'] },
    tags: { type: 'array', items: { type: 'string' } },
    parent: { type: ['string', 'null'] },
    sizes: { type: 'object', properties: { bytes: { type: 'number' }, files: { type: 'number' }, dirs: { type: 'number' }, blocks: { type: 'number' }, holes: { type: 'number' }, bytesAdded: { type: 'number' } } },
  },
} as const;
const entryDoc = {
  type: 'object',
  required: ['name', 'path', 'type', 'size', 'mode', 'mtime'],
  properties: { name: { type: 'string' }, path: { type: 'string', description: 'absolute in the instance: pass it in POST /api/restores paths' }, type: { type: 'string' }, size: { type: 'number' }, mode: { type: 'integer' }, mtime: { type: 'string' } },
} as const;

const requestBody = {
  type: 'object',
  additionalProperties: false,
  required: ['host', 'instance'],
  properties: {
    host: { type: 'string', minLength: 1, maxLength: 255 },
    instance: { type: 'string', minLength: 1, maxLength: 255 },
    paths: { type: 'array', maxItems: 1000, items: { type: 'string', minLength: 1, maxLength: 4096, pattern: '^/' }, description: 'files to restore (absolute in the instance); none: the whole instance' },
    snapshot: { type: 'string', minLength: 4, maxLength: 64, pattern: '^[0-9a-fA-F]+$', description: 'a snapshot ID or prefix; none: the policy chooses' },
  },
} as const;

interface RequestBody {
  host: string;
  instance: string;
  paths?: string[];
  snapshot?: string;
}

function fail(reply: FastifyReply, err: unknown): FastifyReply {
  if (err instanceof JobError) return reply.status(err.status).send({ code: err.code, message: err.message });
  throw err;
}

export const restoreRoutes: FastifyPluginAsync<RestoreRouteDeps> = async (app, { runner }) => {
  const audit = (request: FastifyRequest, action: string, job: Job): Promise<unknown> =>
    app.audit.record({ action, who: request.principal.name, correlationId: job.correlationId, message: `${action} ${job.id} (${job.host}/${job.instance})`, details: { job: job.id, host: job.host, instance: job.instance, state: job.state } });

  app.get<{ Querystring: { state?: string } }>(
    '/api/restores',
    {
      config: { role: 'viewer' },
      schema: {
        querystring: { type: 'object', additionalProperties: false, properties: { state: { type: 'string', pattern: `^(${JOB_STATES.join('|')})(,(${JOB_STATES.join('|')}))*$`, description: 'job states, separated by commas' } } },
        response: { 200: { type: 'object', properties: { jobs: { type: 'array', items: jobDoc } }, required: ['jobs'] } },
      },
    },
    async (request) => {
      const states = request.query.state?.split(',');
      return { jobs: runner.list().filter((j) => states === undefined || states.includes(j.state)) };
    },
  );

  app.get<{ Params: { id: string } }>('/api/restores/:id', { config: { role: 'viewer' }, schema: { params: idParams, response: { 200: jobDoc, 404: errorDoc } } }, async (request, reply) => {
    try {
      return runner.get(request.params.id);
    } catch (err: unknown) {
      return fail(reply, err);
    }
  });

  app.get<{ Params: { host: string; instance: string } }>(
    '/api/instances/:host/:instance/snapshots',
    {
      config: { role: 'viewer' },
      schema: {
        params: instanceParams,
        response: { 200: { type: 'object', required: ['snapshots', 'problems'], properties: { snapshots: { type: 'array', items: snapshotDoc }, problems: { type: 'array', items: { type: 'string' } } } }, 404: errorDoc, 409: errorDoc },
      },
    },
    async (request, reply) => {
      try {
        return listInstanceSnapshots(runner.instance(request.params.host, request.params.instance));
      } catch (err: unknown) {
        return fail(reply, err);
      }
    },
  );

  app.get<{ Params: { host: string; instance: string; id: string }; Querystring: { path: string } }>(
    '/api/instances/:host/:instance/snapshots/:id/tree',
    {
      config: { role: 'viewer' },
      schema: {
        params: snapshotParams,
        querystring: { type: 'object', additionalProperties: false, properties: { path: { type: 'string', minLength: 1, maxLength: 4096, pattern: '^/', default: '/', description: 'a directory, absolute in the instance' } } },
        response: { 200: { type: 'object', required: ['snapshot', 'path', 'entries'], properties: { snapshot: { type: 'string' }, path: { type: 'string' }, entries: { type: 'array', items: entryDoc } } }, 400: errorDoc, 404: errorDoc, 409: errorDoc },
      },
    },
    async (request, reply) => {
      try {
        return await listSnapshotDir(runner.instance(request.params.host, request.params.instance), request.params.id, request.query.path);
      } catch (err: unknown) {
        return fail(reply, err);
      }
    },
  );

  app.post<{ Body: RequestBody }>('/api/restores', { config: { role: 'operator' }, schema: { body: requestBody, response: { 201: jobDoc, 400: errorDoc, 409: errorDoc } } }, async (request, reply) => {
    try {
      const who = request.principal;
      const job = runner.request({ host: request.body.host, instance: request.body.instance, ...(request.body.paths !== undefined ? { paths: request.body.paths } : {}), ...(request.body.snapshot !== undefined ? { snapshot: request.body.snapshot } : {}), by: who.name, approved: roleAllows(who.role, 'approver') });
      await audit(request, 'restore.request', job);
      return reply.status(201).send(job);
    } catch (err: unknown) {
      return fail(reply, err);
    }
  });

  app.post<{ Params: { id: string } }>('/api/restores/:id/approve', { config: { role: 'approver' }, schema: { params: idParams, response: { 200: jobDoc, 404: errorDoc, 409: errorDoc } } }, async (request, reply) => {
    try {
      const job = runner.approve(request.params.id, request.principal.name);
      await audit(request, 'restore.approve', job);
      return job;
    } catch (err: unknown) {
      return fail(reply, err);
    }
  });

  // A running job: 200 once the engine stopped (the job has ended), 202 when it has not yet within
  // the runner's bounded wait (the job shows `cancelRequested`; poll it). 409 when already final.
  app.post<{ Params: { id: string } }>('/api/restores/:id/cancel', { config: { role: 'operator' }, schema: { params: idParams, response: { 200: jobDoc, 202: jobDoc, 404: errorDoc, 409: errorDoc } } }, async (request, reply) => {
    try {
      const job = await runner.cancel(request.params.id, request.principal.name);
      await audit(request, 'restore.cancel', job);
      return reply.status(FINAL_STATES.includes(job.state) ? 200 : 202).send(job);
    } catch (err: unknown) {
      return fail(reply, err);
    }
  });
};
