/** A store's refusal as an HTTP answer: its own status and stable code. */
import type { FastifyReply } from 'fastify';
import type { StoreError } from '../../store/errors.js';

export function storeErrorReply(reply: FastifyReply, error: StoreError): FastifyReply {
  return reply.status(error.httpStatus).send({ code: error.code, message: error.message });
}
