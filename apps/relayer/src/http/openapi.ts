/** OpenAPI pieces generated from the shared zod schemas, so the docs cannot drift from the validation. */
import { type INestApplication } from '@nestjs/common';
import { DocumentBuilder, type SchemaObject, SwaggerModule } from '@nestjs/swagger';
import { z } from 'zod';
import { errorResponseSchema } from '@dvt/stakewise';

export function openApiSchema(schema: z.ZodType): SchemaObject {
  const json = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any', target: 'openapi-3.0' }) as Record<string, unknown>;
  delete json.$schema;
  return json as SchemaObject;
}

export const ERROR_SCHEMA = openApiSchema(errorResponseSchema);

/** Serves the UI at /docs and the document at /docs-json. */
export function setupOpenApi(app: INestApplication, network: string): void {
  const config = new DocumentBuilder()
    .setTitle('dvt relayer')
    .setDescription(
      'StakeWise DVT relayer: collects threshold signature shares from sidecars, rebuilds and verifies exit and deposit ' +
        'signatures, re-shares exit signatures to the oracles (ECIES-encrypted) and signs validators-manager approvals. ' +
        `Network: ${network}. Both API generations: current (operator v4 / sidecar v2) and legacy DVT (sidecar v1). ` +
        'Operator and sidecar routes accept an optional bearer token per role when the relayer is configured with one.',
    )
    .setVersion('0.1.0')
    .addBearerAuth()
    .build();
  const document = SwaggerModule.createDocument(app, config);
  SwaggerModule.setup('docs', app, document, { jsonDocumentUrl: 'docs-json' });
}
