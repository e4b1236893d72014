import { ArgumentsHost, Catch, ExceptionFilter, HttpException, HttpStatus } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';

const FIXED_MESSAGES: Partial<Record<number, string>> = {
  401: 'Unauthenticated.',
  403: 'This action is unauthorized.',
  404: 'Not Found.',
  405: 'Method Not Allowed.',
};

function hasStatus(e: unknown): e is { statusCode: number; message?: string; code?: string } {
  return typeof e === 'object' && e !== null && typeof (e as { statusCode?: unknown }).statusCode === 'number';
}

/**
 * One error body shape for the whole API, Laravel's: `{ message }`, plus `errors` by field on 422.
 * A 5xx answers only an error id; the error itself goes to the log under `err` with that id.
 */
@Catch()
export class ApiExceptionFilter implements ExceptionFilter {
  constructor(private readonly logger: Logger) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    const ctx = host.switchToHttp();
    const reply = ctx.getResponse<FastifyReply>();
    const request = ctx.getRequest<FastifyRequest>();

    let status: number = HttpStatus.INTERNAL_SERVER_ERROR;
    let body: Record<string, unknown> | undefined;

    if (exception instanceof HttpException) {
      status = exception.getStatus();
      const res = exception.getResponse();
      if (typeof res === 'object' && res !== null && 'errors' in res) body = res as Record<string, unknown>;
      else if (FIXED_MESSAGES[status]) body = { message: FIXED_MESSAGES[status] };
      else if (status < 500) body = { message: typeof res === 'string' ? res : ((res as { message?: unknown }).message ?? exception.message) };
      if (Array.isArray(body?.message)) body = { message: body.message.join(' ') };
      if (status === 400 && /JSON/.test(String(body?.message))) body = { message: 'The request body is not valid JSON.' };
    } else if (hasStatus(exception) && exception.statusCode >= 400 && exception.statusCode < 500) {
      // Errors raised by Fastify itself before routing: malformed JSON, oversize body, bad content type.
      status = exception.statusCode;
      const message =
        exception.code === 'FST_ERR_CTP_INVALID_JSON_BODY' || /JSON/.test(exception.message ?? '')
          ? 'The request body is not valid JSON.'
          : status === 413
            ? 'The request body is too large.'
            : status === 415
              ? 'Unsupported media type: send application/json.'
              : (FIXED_MESSAGES[status] ?? 'Bad request.');
      body = { message };
    }

    if (status >= 500 || !body) {
      const errorId = randomUUID();
      this.logger.error({ err: exception, errorId, reqId: request.id, url: request.url }, 'unhandled error');
      status = status >= 500 ? status : 500;
      body = { message: 'Server Error', error_id: errorId };
    }
    const retryAfter = (exception as { retryAfterSeconds?: unknown }).retryAfterSeconds;
    if (status === 429 && typeof retryAfter === 'number') void reply.header('retry-after', String(retryAfter));
    void reply.status(status).header('cache-control', 'no-store').send(body);
  }
}
