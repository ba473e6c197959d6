import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from '@sinclair/typebox'
import { authOf } from '../http/authenticate.js'
import { Done, errors, ok, Success } from '../http/envelope.js'
import type { AutomationControl } from './control.js'
import type { AutomationDefinitions } from './definitions.js'
import * as S from './schemas.js'

const Params = Type.Object({ uuid: Type.String({ description: 'uuid or integer id' }) })
const ListQuery = Type.Object({ instance_id: Type.Optional(Type.String()) })
const defs = ['Automation definitions']
const control = ['Automation control']
const notFound = errors('UNAUTHENTICATED', 'NOT_FOUND')

export const automationRoutes: FastifyPluginAsyncTypebox<{
  definitions: AutomationDefinitions
  control: AutomationControl
}> = async (app, { definitions, control: automation }) => {
  // ── flows ────────────────────────────────────────────────────────────────
  app.get(
    '/automation/flows',
    {
      schema: {
        tags: defs,
        summary: 'List flows',
        querystring: ListQuery,
        response: { 200: Success(Type.Array(S.Flow)), ...notFound },
      },
    },
    async (request) => ok(await definitions.listFlows(authOf(request), request.query.instance_id)),
  )
  app.post(
    '/automation/flows',
    {
      schema: {
        tags: defs,
        summary: 'Create a flow: a trigger and steps',
        description:
          'On each incoming message of a conversation whose automation is active, the first matching active flow (lowest priority first) runs; if none matches, the first active integration answers.',
        body: S.FlowBody,
        response: { 201: Success(S.Flow), ...notFound },
      },
    },
    async (request, reply) =>
      reply.status(201).send(ok(await definitions.createFlow(authOf(request), request.body), 'Flow created')),
  )
  app.get(
    '/automation/flows/:uuid',
    {
      schema: {
        tags: defs,
        summary: 'A flow',
        params: Params,
        response: { 200: Success(S.Flow), ...notFound },
      },
    },
    async (request) => ok(await definitions.getFlow(authOf(request), request.params.uuid)),
  )
  app.put(
    '/automation/flows/:uuid',
    {
      schema: {
        tags: defs,
        summary: 'Update a flow',
        params: Params,
        body: S.FlowUpdate,
        response: { 200: Success(S.Flow), ...notFound },
      },
    },
    async (request) =>
      ok(await definitions.updateFlow(authOf(request), request.params.uuid, request.body), 'Flow updated'),
  )
  app.delete(
    '/automation/flows/:uuid',
    {
      schema: { tags: defs, summary: 'Delete a flow', params: Params, response: { 200: Done, ...notFound } },
    },
    async (request) => {
      await definitions.deleteFlow(authOf(request), request.params.uuid)
      return { success: true as const, message: 'Flow deleted' }
    },
  )

  // ── integrations ─────────────────────────────────────────────────────────
  app.get(
    '/automation/integrations',
    {
      schema: {
        tags: defs,
        summary: 'List integrations (secrets masked)',
        querystring: ListQuery,
        response: { 200: Success(Type.Array(S.Integration)), ...notFound },
      },
    },
    async (request) => ok(await definitions.listIntegrations(authOf(request), request.query.instance_id)),
  )
  app.post(
    '/automation/integrations',
    {
      schema: {
        tags: defs,
        summary: 'Create an integration: an HTTP bot or an AI agent (OpenAI-compatible)',
        description:
          '`http_bot`: the conversation context is POSTed to `config.url`, signed with `config.secret` (hex HMAC-SHA256 of the body in `X-Zapini-Signature`); the texts of its JSON answer (`reply`, `text`, `message`, `replies`, `messages`) are sent back, and `{"handover": true}` hands the conversation to a human. `openai`: a chat-completions call with the system prompt and the last `history_window` messages; without base_url/api_key/model, the tenant AI settings. Secrets are encrypted at rest.',
        body: S.IntegrationBody,
        response: { 201: Success(S.Integration), ...notFound },
      },
    },
    async (request, reply) => {
      const body = request.body
      const created = await definitions.createIntegration(authOf(request), {
        ...body,
        config: body.config as Record<string, unknown>,
      })
      return reply.status(201).send(ok(created, 'Integration created'))
    },
  )
  app.get(
    '/automation/integrations/:uuid',
    {
      schema: {
        tags: defs,
        summary: 'An integration (secrets masked)',
        params: Params,
        response: { 200: Success(S.Integration), ...notFound },
      },
    },
    async (request) => ok(await definitions.getIntegration(authOf(request), request.params.uuid)),
  )
  app.put(
    '/automation/integrations/:uuid',
    {
      schema: {
        tags: defs,
        summary: 'Update an integration (a secret left out is kept)',
        params: Params,
        body: S.IntegrationUpdate,
        response: { 200: Success(S.Integration), ...notFound },
      },
    },
    async (request) => {
      const body = request.body
      return ok(
        await definitions.updateIntegration(authOf(request), request.params.uuid, {
          ...body,
          config: body.config as Record<string, unknown> | undefined,
        }),
        'Integration updated',
      )
    },
  )
  app.delete(
    '/automation/integrations/:uuid',
    {
      schema: {
        tags: defs,
        summary: 'Delete an integration',
        params: Params,
        response: { 200: Done, ...notFound },
      },
    },
    async (request) => {
      await definitions.deleteIntegration(authOf(request), request.params.uuid)
      return { success: true as const, message: 'Integration deleted' }
    },
  )

  // ── the human handover ───────────────────────────────────────────────────
  const pauseErrors = errors(
    'UNAUTHENTICATED',
    'NOT_FOUND',
    'NO_ACTIVE_AUTOMATION',
    'AUTOMATION_ALREADY_PAUSED',
  )
  const resumeErrors = errors(
    'UNAUTHENTICATED',
    'NOT_FOUND',
    'NO_ACTIVE_AUTOMATION',
    'AUTOMATION_NOT_PAUSED',
    'ARCHIVE_REQUIRED',
  )
  const PauseBody = Type.Optional(Type.Object({ reason: Type.Optional(Type.String({ maxLength: 255 })) }))
  const resumeNote =
    'The conversation must be archived (400 ARCHIVE_REQUIRED otherwise); resuming unarchives it.'

  app.get(
    '/conversations/:uuid/automation',
    {
      schema: {
        tags: control,
        summary: "A conversation's automation status",
        params: Params,
        response: { 200: Success(S.AutomationState), ...notFound },
      },
    },
    async (request) => ok(await automation.get(authOf(request), request.params.uuid)),
  )
  for (const [path, message] of [
    ['/conversations/:uuid/automation/pause', 'Automation paused. You can now send messages manually.'],
    ['/chat/conversations/:uuid/pause-automation', 'Automation paused successfully.'],
  ] as const) {
    app.post(
      path,
      {
        schema: {
          tags: control,
          summary: 'Pause automation: a human takes over and may send manually',
          params: Params,
          body: PauseBody,
          response: { 200: Success(S.AutomationState), ...pauseErrors },
        },
      },
      async (request) =>
        ok(await automation.pause(authOf(request), request.params.uuid, request.body?.reason), message),
    )
  }
  for (const [path, message] of [
    ['/conversations/:uuid/automation/resume', 'Automation resumed. AI will handle this conversation.'],
    ['/chat/conversations/:uuid/resume-automation', 'Automation resumed successfully.'],
  ] as const) {
    app.post(
      path,
      {
        schema: {
          tags: control,
          summary: 'Resume automation',
          description: resumeNote,
          params: Params,
          response: { 200: Success(S.AutomationState), ...resumeErrors },
        },
      },
      async (request) => ok(await automation.resume(authOf(request), request.params.uuid), message),
    )
  }
  app.post(
    '/conversations/automation/bulk-pause',
    {
      schema: {
        tags: control,
        summary: 'Pause automation for up to 100 conversations',
        body: S.BulkBody,
        response: {
          200: Success(
            Type.Object({ paused: Type.Integer(), skipped: Type.Integer(), errors: Type.Array(S.BulkError) }),
          ),
          ...errors('UNAUTHENTICATED'),
        },
      },
    },
    async (request) => {
      const result = await automation.bulkPause(
        authOf(request),
        request.body.conversation_ids,
        request.body.reason,
      )
      return ok(result, `${result.paused} conversations paused successfully.`)
    },
  )
  app.post(
    '/conversations/automation/bulk-resume',
    {
      schema: {
        tags: control,
        summary: 'Resume automation for up to 100 conversations',
        description: resumeNote,
        body: S.BulkBody,
        response: {
          200: Success(
            Type.Object({
              resumed: Type.Integer(),
              skipped: Type.Integer(),
              errors: Type.Array(S.BulkError),
            }),
          ),
          ...errors('UNAUTHENTICATED'),
        },
      },
    },
    async (request) => {
      const result = await automation.bulkResume(authOf(request), request.body.conversation_ids)
      return ok(result, `${result.resumed} conversations resumed successfully.`)
    },
  )
}
