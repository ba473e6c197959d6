import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { authOf } from '../http/authenticate.js'
import { Done, errors, ok, Paginated, pageOf, paginationMeta, Success } from '../http/envelope.js'
import { InstanceParams } from '../instances/schemas.js'
import * as S from './schemas.js'
import type { WebhookService } from './service.js'

const tags = ['Webhooks']
const missing = errors('UNAUTHENTICATED', 'NOT_FOUND')

export const webhookRoutes: FastifyPluginAsyncTypebox<{ webhooks: WebhookService }> = async (
  app,
  { webhooks },
) => {
  app.get(
    '/instances/:uuid/webhook',
    {
      schema: {
        tags,
        summary: 'The webhook of an instance (secret masked)',
        params: InstanceParams,
        response: { 200: Success(S.Webhook), ...missing },
      },
    },
    async (request) => ok(await webhooks.get(authOf(request), request.params.uuid)),
  )

  app.put(
    '/instances/:uuid/webhook',
    {
      schema: {
        tags,
        summary: 'Set the webhook of an instance',
        description:
          'Each event is POSTed as `{event, instance_uuid, timestamp, data}` (compact JSON) with ' +
          '`X-Webhook-Signature` (hex HMAC-SHA256 of the body), `X-Webhook-Event`, `X-Instance-UUID`, ' +
          '`X-Webhook-Id` (the same on every retry), `User-Agent: Zapini-Webhook/1.0` and the Standard ' +
          'Webhooks headers `webhook-id`, `webhook-timestamp` and `webhook-signature` (`v1,` + base64 ' +
          'HMAC-SHA256 of `{id}.{timestamp}.{body}`; a `whsec_` secret is base64 after its prefix). ' +
          'A 2xx within 5 s is success; anything else is retried with exponential backoff for about a ' +
          'day (a 4xx other than 408 and 429 is not retried; Retry-After is respected).',
        params: InstanceParams,
        body: S.WebhookBody,
        response: { 200: Success(S.Webhook), 201: Success(S.Webhook), ...missing },
      },
    },
    async (request, reply) => {
      const { webhook, created } = await webhooks.put(authOf(request), request.params.uuid, request.body)
      return reply
        .status(created ? 201 : 200)
        .send(ok(webhook, created ? 'Webhook configured' : 'Webhook updated'))
    },
  )

  app.delete(
    '/instances/:uuid/webhook',
    {
      schema: {
        tags,
        summary: 'Remove the webhook (and its delivery log)',
        params: InstanceParams,
        response: { 200: Done, ...missing },
      },
    },
    async (request) => {
      await webhooks.remove(authOf(request), request.params.uuid)
      return { success: true as const, message: 'Webhook removed' }
    },
  )

  app.post(
    '/instances/:uuid/webhook/test',
    {
      schema: {
        tags,
        summary: 'Send a test event now and report the answer',
        description: 'Sends `webhook.test` whatever the event filter, signed like every event.',
        params: InstanceParams,
        response: { 200: Success(S.TestResult), ...missing },
      },
    },
    async (request) => {
      const result = await webhooks.test(authOf(request), request.params.uuid)
      const message = result.delivered
        ? `The receiver answered ${result.status_code}`
        : 'The receiver did not accept the test event'
      return ok(result, message)
    },
  )

  app.get(
    '/instances/:uuid/webhook/deliveries',
    {
      schema: {
        tags,
        summary: 'The delivery log: event, attempts, status code, response excerpt, next retry',
        params: InstanceParams,
        querystring: S.DeliveriesQuery,
        response: { 200: Paginated(S.Delivery), ...missing },
      },
    },
    async (request) => {
      const page = pageOf(request.query)
      const { items, total } = await webhooks.deliveries(
        authOf(request),
        request.params.uuid,
        {
          status: request.query.status as 'pending' | 'delivered' | 'failed' | undefined,
          event: request.query.event,
        },
        { limit: page.perPage, offset: page.offset },
      )
      return { success: true as const, data: items, meta: paginationMeta(total, page, items.length) }
    },
  )

  app.post(
    '/instances/:uuid/webhook/deliveries/:id/redeliver',
    {
      schema: {
        tags,
        summary: 'Queue a delivery again',
        description: 'Same body and X-Webhook-Id; retried for a full window from now.',
        params: S.DeliveryParams,
        response: { 200: Success(S.Delivery), ...missing },
      },
    },
    async (request) =>
      ok(
        await webhooks.redeliver(authOf(request), request.params.uuid, request.params.id),
        'Delivery queued',
      ),
  )

  app.post(
    '/instances/:uuid/worker-secret',
    {
      config: { auth: 'user' },
      schema: {
        tags,
        summary: 'Make (or rotate) the secret that signs the inbound worker endpoints',
        description: 'Shown only in this answer; a rotation makes the previous secret stop working.',
        params: InstanceParams,
        response: { 201: Success(S.WorkerSecret), ...errors('UNAUTHENTICATED', 'FORBIDDEN', 'NOT_FOUND') },
      },
    },
    async (request, reply) => {
      const secret = await webhooks.rotateWorkerSecret(authOf(request), request.params.uuid)
      return reply.status(201).send(ok(secret, 'Worker secret created; it is shown only now'))
    },
  )
}
