import { applyDecorators } from '@nestjs/common';
import { ApiResponse } from '@nestjs/swagger';

const ERROR_DOCS: Record<number, { description: string; schema: object }> = {
  401: {
    description: 'Missing, invalid, expired or revoked access token',
    schema: { properties: { message: { type: 'string', example: 'Unauthenticated.' } } },
  },
  403: {
    description: 'Authenticated but lacking the permission',
    schema: { properties: { message: { type: 'string', example: 'This action is unauthorized.' } } },
  },
  404: {
    description: 'No such resource in your tenant',
    schema: { properties: { message: { type: 'string', example: 'Not Found.' } } },
  },
  422: {
    description: 'Validation failed',
    schema: {
      properties: {
        message: { type: 'string', example: 'The email field is required. (and 1 more error)' },
        errors: {
          type: 'object',
          additionalProperties: { type: 'array', items: { type: 'string' } },
          example: { email: ['The email field is required.'] },
        },
      },
    },
  },
  429: {
    description: 'Too many attempts; see the Retry-After header',
    schema: { properties: { message: { type: 'string' }, errors: { type: 'object' } } },
  },
};

/** Documents the Laravel-shaped error bodies a route can answer, plus the 500 with its error id. */
export function ApiErrors(...statuses: number[]) {
  return applyDecorators(
    ...statuses.map((status) => ApiResponse({ status, ...ERROR_DOCS[status] })),
    ApiResponse({
      status: 500,
      description: 'Unexpected error; the log holds the details under this id',
      schema: { properties: { message: { type: 'string', example: 'Server Error' }, error_id: { type: 'string' } } },
    }),
  );
}
