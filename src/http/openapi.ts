import swagger from '@fastify/swagger'
import scalar from '@scalar/fastify-api-reference'
import type { FastifyInstance } from 'fastify'
import { ErrorBody } from './envelope.js'

const DESCRIPTION = `Self-hostable WhatsApp API.

**Authentication.** Send \`Authorization: Bearer <token>\`. User tokens (\`{id}|{secret}\`) come from
\`POST /auth/login\`; instance tokens (\`sk_…\`) are bound to one instance and reach only it and what
hangs from it (plus the tenant's tags, kanban and calendar).

**Envelopes.** Success: \`{"success": true, "message"?, "data"}\`; lists add
\`meta.pagination {total, per_page, current_page, last_page, from, to}\` (\`page\`, \`per_page\` ≤ 100).
Errors: \`{"success": false, "error": {"code", "message", "details"}}\`; validation errors are
\`422 VALIDATION_ERROR\` with \`details\` mapping each field to its messages; malformed JSON is
\`400 INVALID_JSON\`; anything of another tenant or instance is \`404 NOT_FOUND\`.

**Identifiers and times.** Every entity has an integer \`id\` and a \`uuid\`; a path segment accepts
either. Times are ISO 8601 UTC.

**Instance gateway.** On \`instance-{id}.{host}\` every endpoint also answers without the \`/api/v1\`
prefix, and the request is bound to instance \`{id}\`.

**Rate limits.** 100 requests per 15 minutes per client IP by default (\`429 RATE_LIMIT_EXCEEDED\`
with \`Retry-After\` and \`X-RateLimit-*\` headers); \`/health\` is exempt.`

/** OpenAPI 3.1 from the route schemas, served at /api/v1/openapi.json, with a reference at /docs. */
export async function registerOpenApi(
  app: FastifyInstance,
  publicUrl: string,
  version: string,
): Promise<void> {
  app.addSchema(ErrorBody)
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: { title: 'Zapini API', version, description: DESCRIPTION },
      servers: [{ url: publicUrl }],
      components: {
        securitySchemes: {
          bearer: {
            type: 'http',
            scheme: 'bearer',
            description: 'A user token `{id}|{secret}` or an instance token `sk_…`',
          },
        },
      },
      security: [{ bearer: [] }],
    },
    refResolver: { buildLocalReference: (json, _baseUri, _fragment, i) => String(json.$id ?? `def-${i}`) },
  })
  // Routes without authentication say so in the document.
  app.addHook('onRoute', (route) => {
    if (route.config?.auth === 'public' && route.schema) route.schema = { ...route.schema, security: [] }
  })

  app.get('/api/v1/openapi.json', { config: { auth: 'public' }, schema: { hide: true } }, async () =>
    app.swagger(),
  )
  await app.register(async (docs) => {
    // The reference's own routes (page, script) are public like the document they show.
    docs.addHook('onRoute', (route) => {
      route.config = { ...route.config, auth: 'public' }
    })
    await docs.register(scalar, {
      routePrefix: '/docs',
      configuration: { url: '/api/v1/openapi.json', title: 'Zapini API reference' },
    })
  })
}
