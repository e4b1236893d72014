import type { INestApplication } from '@nestjs/common';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import type { ApiConfig } from '../config/api-config';

export function setupOpenApi(app: INestApplication, config: ApiConfig): void {
  const doc = new DocumentBuilder()
    .setTitle('PBX admin API')
    .setDescription(
      'Admin REST API of the PBX. Laravel conventions: `{data}` envelopes, `{data, links, meta}` lists ' +
        '(`?page=&per_page=&sort=-field&filter[field]=`), 422 `{message, errors}` on validation errors. ' +
        'Authenticate with `POST /api/v1/auth/login`, then send `Authorization: Bearer <access_token>`.',
    )
    .setVersion('1')
    .addBearerAuth({ type: 'http', scheme: 'bearer', bearerFormat: 'JWT' })
    .addServer(config.API_PUBLIC_URL)
    .build();
  const document = SwaggerModule.createDocument(app, doc);
  SwaggerModule.setup('api/docs', app, document, { jsonDocumentUrl: 'api/docs-json' });
}
