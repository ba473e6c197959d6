import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from '@sinclair/typebox'
import { authOf } from '../http/authenticate.js'
import { Done, errors, ok, Success } from '../http/envelope.js'
import { Nullable } from '../http/schema.js'
import type { AiSettingsService } from './service.js'

const tags = ['Settings']
const userOnly = { auth: 'user' as const }

const AiSettings = Type.Object({
  configured: Type.Boolean(),
  base_url: Nullable(
    Type.String({ description: 'The API root; requests go to {base_url}/chat/completions' }),
  ),
  model: Nullable(Type.String()),
  api_key: Nullable(Type.String({ description: 'Masked, e.g. sk-…abcd; never shown in full' })),
  timeout_seconds: Nullable(Type.Integer()),
  updated_at: Nullable(Type.String({ format: 'date-time' })),
})

const AiSettingsBody = Type.Object({
  base_url: Type.String({
    minLength: 1,
    maxLength: 500,
    description: 'An http(s) URL, e.g. https://api.openai.com/v1 or http://localhost:11434/v1',
  }),
  api_key: Type.Optional(
    Type.String({
      maxLength: 1000,
      description: 'Required the first time; when absent later, the stored key is kept',
    }),
  ),
  model: Type.String({ minLength: 1, maxLength: 200, description: 'e.g. gpt-4o-mini' }),
  timeout_seconds: Type.Optional(
    Type.Integer({ minimum: 1, maximum: 300, description: 'How long a call may take (default 30)' }),
  ),
})

/** The tenant's OpenAI-compatible AI provider: read by any token, changed by users only. */
export const settingsRoutes: FastifyPluginAsyncTypebox<{ aiSettings: AiSettingsService }> = async (
  app,
  { aiSettings },
) => {
  app.get(
    '/settings/ai',
    {
      schema: {
        tags,
        summary: "The account's AI provider (api_key masked)",
        response: { 200: Success(AiSettings), ...errors('UNAUTHENTICATED') },
      },
    },
    async (request) => ok(await aiSettings.get(authOf(request))),
  )

  app.put(
    '/settings/ai',
    {
      config: userOnly,
      schema: {
        tags,
        summary: 'Set the AI provider (any OpenAI-compatible chat-completions API)',
        description:
          'Used by `POST /kanban/leads/{uuid}/ai-qualify` and as the default for AI integrations. The key is stored encrypted.',
        body: AiSettingsBody,
        response: { 200: Success(AiSettings), ...errors('UNAUTHENTICATED', 'FORBIDDEN') },
      },
    },
    async (request) => ok(await aiSettings.put(authOf(request), request.body), 'AI provider saved'),
  )

  app.delete(
    '/settings/ai',
    {
      config: userOnly,
      schema: {
        tags,
        summary: 'Remove the AI provider',
        response: { 200: Done, ...errors('UNAUTHENTICATED', 'FORBIDDEN', 'NOT_FOUND') },
      },
    },
    async (request) => {
      await aiSettings.remove(authOf(request))
      return { success: true as const, message: 'AI provider removed' }
    },
  )
}
