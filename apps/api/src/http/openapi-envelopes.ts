import { applyDecorators, Type } from '@nestjs/common';
import { ApiExtraModels, ApiQuery, ApiResponse, getSchemaPath } from '@nestjs/swagger';

const PAGE_SCHEMA = {
  links: {
    type: 'object',
    properties: {
      first: { type: 'string', format: 'uri' },
      last: { type: 'string', format: 'uri' },
      prev: { type: 'string', format: 'uri', nullable: true },
      next: { type: 'string', format: 'uri', nullable: true },
    },
  },
  meta: {
    type: 'object',
    properties: {
      current_page: { type: 'integer', example: 1 },
      from: { type: 'integer', nullable: true, example: 1 },
      last_page: { type: 'integer', example: 1 },
      path: { type: 'string', format: 'uri' },
      per_page: { type: 'integer', example: 15 },
      to: { type: 'integer', nullable: true, example: 1 },
      total: { type: 'integer', example: 1 },
    },
  },
};

/** `{ data: Model }`, optionally with a `meta` object beside it. */
export function ApiDataResponse(
  model: Type<unknown>,
  opts: { status?: number; description?: string; meta?: object } = {},
) {
  const properties: Record<string, object> = { data: { $ref: getSchemaPath(model) } };
  if (opts.meta) properties.meta = opts.meta;
  return applyDecorators(
    ApiExtraModels(model),
    ApiResponse({
      status: opts.status ?? 200,
      description: opts.description ?? (opts.status === 201 ? 'Created' : 'OK'),
      schema: { type: 'object', required: ['data'], properties },
    }),
  );
}

/** Laravel's paginated list: `{ data: Model[], links, meta }`. */
export function ApiPageResponse(model: Type<unknown>) {
  return applyDecorators(
    ApiExtraModels(model),
    ApiResponse({
      status: 200,
      description: 'One page of results, with Laravel pagination links and meta',
      schema: {
        type: 'object',
        required: ['data', 'links', 'meta'],
        properties: { data: { type: 'array', items: { $ref: getSchemaPath(model) } }, ...PAGE_SCHEMA },
      },
    }),
  );
}

/** Documents Laravel list parameters: ?page=&per_page=&sort=-field&filter[field]=. */
export function ApiListQuery(sortDescription: string, filterDescription: string) {
  return applyDecorators(
    ApiQuery({ name: 'page', required: false, type: Number }),
    ApiQuery({ name: 'per_page', required: false, type: Number, description: '1 to 100, default 15' }),
    ApiQuery({ name: 'sort', required: false, description: sortDescription }),
    ApiQuery({
      name: 'filter',
      required: false,
      style: 'deepObject',
      explode: true,
      type: 'object',
      description: filterDescription,
    }),
  );
}
