// The one table from error codes to HTTP statuses, and the one error handler that uses it. Bodies are always
// { error: { code, message, details? } }; never a stack trace.
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { MingjianError, type ErrorCode, type ErrorDetail } from '../kernel/errors.ts';

export const STATUS_BY_CODE: Record<ErrorCode, number> = {
  USAGE: 400,
  VALIDATION: 400,
  FLOW_INVALID: 400,
  INPUT_INVALID: 400,
  EVAL_ERROR: 422,
  UNAUTHORIZED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  CONFLICT: 409,
  PAYLOAD_TOO_LARGE: 413,
  RATE_LIMITED: 429,
  INTERNAL: 500,
  UNAVAILABLE: 503,
};

export interface ErrorBody {
  error: { code: ErrorCode; message: string; details?: ErrorDetail[] };
}

interface AjvLikeError {
  instancePath?: string;
  message?: string;
  keyword?: string;
  params?: Record<string, unknown>;
}

/** `/application/age` in `body` -> `body.application.age`; `required` errors name the missing property. */
function validationDetails(context: string | undefined, errors: AjvLikeError[]): ErrorDetail[] {
  return errors.map((e) => {
    const segments = (e.instancePath ?? '').split('/').filter(Boolean);
    if (e.keyword === 'required' && typeof e.params?.missingProperty === 'string') segments.push(e.params.missingProperty);
    if (e.keyword === 'additionalProperties' && typeof e.params?.additionalProperty === 'string') segments.push(e.params.additionalProperty);
    const path = [context ?? 'body', ...segments].join('.');
    const message = e.keyword === 'required' ? 'is required' : e.keyword === 'additionalProperties' ? 'is not allowed here' : (e.message ?? 'is invalid');
    return { path, message };
  });
}

/** Turns anything thrown into a MingjianError; unknown errors become INTERNAL with a generic message. */
export function toMingjianError(err: unknown): MingjianError {
  if (err instanceof MingjianError) return err;
  const fe = err as FastifyError & { validation?: AjvLikeError[]; validationContext?: string };
  if (fe.validation) return new MingjianError('VALIDATION', 'the request is invalid', validationDetails(fe.validationContext, fe.validation));
  switch (fe.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new MingjianError('PAYLOAD_TOO_LARGE', 'the request body is larger than the limit');
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new MingjianError('VALIDATION', 'unsupported Content-Type', [{ path: 'headers.content-type', message: 'use application/json, or application/yaml for flow documents' }]);
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return new MingjianError('VALIDATION', 'the JSON body is empty', [{ path: 'body', message: 'is required' }]);
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return new MingjianError('VALIDATION', 'Content-Length does not match the body');
  }
  if (fe.statusCode === 400 && (fe.name === 'SyntaxError' || /JSON/.test(fe.message))) {
    return new MingjianError('VALIDATION', 'the body is not valid JSON', [{ path: 'body', message: fe.message }]);
  }
  if (fe.statusCode === 413) return new MingjianError('PAYLOAD_TOO_LARGE', 'the request body is larger than the limit');
  if (fe.statusCode === 429) return new MingjianError('RATE_LIMITED', 'rate limit exceeded');
  if (fe.statusCode === 404) return new MingjianError('NOT_FOUND', 'not found');
  if (fe.statusCode === 400) return new MingjianError('VALIDATION', fe.message);
  return new MingjianError('INTERNAL', 'internal error');
}

export function errorBody(err: MingjianError): ErrorBody {
  return { error: { code: err.code, message: err.message, ...(err.details?.length ? { details: err.details } : {}) } };
}

export function handleError(err: unknown, request: FastifyRequest, reply: FastifyReply, onError?: (code: ErrorCode) => void): void {
  const mapped = toMingjianError(err);
  const status = STATUS_BY_CODE[mapped.code];
  if (status >= 500) request.log.error({ err }, 'request failed');
  onError?.(mapped.code);
  void reply.code(status).type('application/json; charset=utf-8').send(errorBody(mapped));
}
