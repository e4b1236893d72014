import { ArgumentsHost, NotFoundException, UnprocessableEntityException } from '@nestjs/common';
import type { Logger } from 'pino';
import { ApiExceptionFilter } from './exception.filter';

function run(exception: unknown) {
  const sent: { status?: number; body?: unknown; headers: Record<string, string> } = { headers: {} };
  const reply = {
    status(s: number) {
      sent.status = s;
      return reply;
    },
    header(k: string, v: string) {
      sent.headers[k] = v;
      return reply;
    },
    send(b: unknown) {
      sent.body = b;
      return reply;
    },
  };
  const host = {
    switchToHttp: () => ({ getResponse: () => reply, getRequest: () => ({ id: 'req-1', url: '/x' }) }),
  } as unknown as ArgumentsHost;
  const logged: Array<Record<string, unknown>> = [];
  const logger = { error: (obj: Record<string, unknown>) => logged.push(obj) } as unknown as Logger;
  new ApiExceptionFilter(logger).catch(exception, host);
  return { sent, logged };
}

describe('ApiExceptionFilter', () => {
  it('answers an unexpected error with only an error id, and logs the error under that id', () => {
    const { sent, logged } = run(new Error('db password is hunter2'));
    expect(sent.status).toBe(500);
    expect(sent.body).toEqual({ message: 'Server Error', error_id: expect.stringMatching(/^[0-9a-f-]{36}$/) });
    expect(JSON.stringify(sent.body)).not.toContain('hunter2');
    expect(logged[0].errorId).toBe((sent.body as { error_id: string }).error_id);
    expect(logged[0].err).toBeInstanceOf(Error);
  });

  it('keeps the errors map of a 422 and uses Laravel messages for 404', () => {
    const body = { message: 'The name field is required.', errors: { name: ['The name field is required.'] } };
    expect(run(new UnprocessableEntityException(body)).sent).toMatchObject({ status: 422, body });
    expect(run(new NotFoundException('User 42 of tenant 7')).sent).toMatchObject({ status: 404, body: { message: 'Not Found.' } });
  });
});
