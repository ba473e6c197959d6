import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from '@sinclair/typebox'
import { authOf } from '../http/authenticate.js'
import { Done, errors, ok, PaginationMeta, pageOf, paginationMeta, Success } from '../http/envelope.js'
import * as S from './schemas.js'
import type { InstanceService } from './service.js'

const tags = ['Instances']
const userOnly = { auth: 'user' as const }

export const instanceRoutes: FastifyPluginAsyncTypebox<{ instances: InstanceService }> = async (
  app,
  { instances },
) => {
  app.get(
    '/instances',
    {
      schema: {
        tags,
        summary: 'List instances',
        description: 'With an sk_ token, only its own instance.',
        querystring: S.ListInstancesQuery,
        response: {
          200: Type.Object({
            success: Type.Literal(true),
            data: Type.Object({ instances: Type.Array(S.Instance) }),
            meta: PaginationMeta,
          }),
          ...errors('UNAUTHENTICATED'),
        },
      },
    },
    async (request) => {
      const page = pageOf(request.query)
      const { items, total } = await instances.list(authOf(request), request.query, {
        limit: page.perPage,
        offset: page.offset,
      })
      return {
        success: true as const,
        data: { instances: items },
        meta: paginationMeta(total, page, items.length),
      }
    },
  )

  app.post(
    '/instances',
    {
      config: userOnly,
      schema: {
        tags,
        summary: 'Create an instance; it starts connecting (QR) at once',
        body: S.CreateInstanceBody,
        response: { 201: Success(S.Instance), ...errors('UNAUTHENTICATED', 'FORBIDDEN') },
      },
    },
    async (request, reply) => {
      const instance = await instances.create(authOf(request), {
        ...request.body,
        engine: request.body.engine as 'baileys' | 'sandbox' | undefined,
      })
      return reply.status(201).send(ok(instance, 'Instance created'))
    },
  )

  app.get(
    '/instances/:uuid',
    {
      schema: {
        tags,
        summary: 'An instance',
        params: S.InstanceParams,
        response: { 200: Success(S.Instance), ...errors('UNAUTHENTICATED', 'NOT_FOUND') },
      },
    },
    async (request) => {
      const auth = authOf(request)
      return ok(await instances.present(await instances.find(auth, request.params.uuid)))
    },
  )

  app.patch(
    '/instances/:uuid',
    {
      schema: {
        tags,
        summary: 'Rename, or change the daily limit, send delays or settings',
        params: S.InstanceParams,
        body: S.UpdateInstanceBody,
        response: { 200: Success(S.Instance), ...errors('UNAUTHENTICATED', 'NOT_FOUND') },
      },
    },
    async (request) =>
      ok(await instances.update(authOf(request), request.params.uuid, request.body), 'Instance updated'),
  )

  app.delete(
    '/instances/:uuid',
    {
      config: userOnly,
      schema: {
        tags,
        summary: 'Log out and delete the instance and its data',
        params: S.InstanceParams,
        response: { 200: Done, ...errors('UNAUTHENTICATED', 'FORBIDDEN', 'NOT_FOUND') },
      },
    },
    async (request) => {
      await instances.remove(authOf(request), request.params.uuid)
      return { success: true as const, message: 'Instance deleted' }
    },
  )

  app.get(
    '/instances/:uuid/qr',
    {
      schema: {
        tags,
        summary: 'The QR code to link the instance',
        description: 'Always 200 with the status; the QR fields are null unless the status is qr_ready.',
        params: S.InstanceParams,
        response: { 200: Success(S.Qr), ...errors('UNAUTHENTICATED', 'NOT_FOUND') },
      },
    },
    async (request) => ok(await instances.qr(authOf(request), request.params.uuid)),
  )

  app.get(
    '/instances/:uuid/status',
    {
      schema: {
        tags,
        summary: 'Connection status',
        params: S.InstanceParams,
        querystring: Type.Object({
          realtime: Type.Optional(Type.Boolean({ description: 'Also ask the engine for its live state' })),
        }),
        response: {
          200: Success(S.Status),
          // With realtime, another process holding the instance answers; 503 when it cannot be reached.
          ...errors('UNAUTHENTICATED', 'NOT_FOUND', 'SERVICE_UNAVAILABLE'),
        },
      },
    },
    async (request) =>
      ok(await instances.status(authOf(request), request.params.uuid, request.query.realtime === true)),
  )

  app.get(
    '/instances/:uuid/stats',
    {
      schema: {
        tags,
        summary: 'Usage statistics, counted from the stored data',
        params: S.InstanceParams,
        response: { 200: Success(S.Stats), ...errors('UNAUTHENTICATED', 'NOT_FOUND') },
      },
    },
    async (request) => ok(await instances.stats(authOf(request), request.params.uuid)),
  )

  for (const [action, summary, message] of [
    ['disconnect', 'Close the connection and keep the session (no new QR needed)', 'Instance disconnected'],
    ['reconnect', 'Restart the connection', 'Reconnection started'],
    ['logout', 'Unlink the device and delete the session (a new QR is needed)', 'Instance logged out'],
  ] as const) {
    app.post(
      `/instances/:uuid/${action}`,
      {
        schema: {
          tags,
          summary,
          params: S.InstanceParams,
          response: { 200: Success(S.Instance), ...errors('UNAUTHENTICATED', 'NOT_FOUND') },
        },
      },
      async (request) => ok(await instances[action](authOf(request), request.params.uuid), message),
    )
  }

  app.post(
    '/instances/:uuid/pairing-code',
    {
      schema: {
        tags,
        summary: 'A pairing code to type on the phone, instead of scanning a QR',
        params: S.InstanceParams,
        body: S.PairingBody,
        response: {
          200: Success(
            Type.Object({ pairing_code: Type.String(), code: Type.String(), phone_number: Type.String() }),
          ),
          ...errors('UNAUTHENTICATED', 'NOT_FOUND', 'CONFLICT', 'INSTANCE_NOT_CONNECTED'),
        },
      },
    },
    async (request) =>
      ok(await instances.pairingCode(authOf(request), request.params.uuid, request.body.phone_number)),
  )

  app.get(
    '/instances/:uuid/tokens',
    {
      config: userOnly,
      schema: {
        tags,
        summary: "The instance's sk_ tokens (never their secrets)",
        params: S.InstanceParams,
        response: {
          200: Success(Type.Object({ tokens: Type.Array(S.InstanceToken) })),
          ...errors('UNAUTHENTICATED', 'FORBIDDEN', 'NOT_FOUND'),
        },
      },
    },
    async (request) => ok({ tokens: await instances.listTokens(authOf(request), request.params.uuid) }),
  )

  app.post(
    '/instances/:uuid/tokens',
    {
      config: userOnly,
      schema: {
        tags,
        summary: 'Make an sk_ token bound to this instance; the secret is shown once',
        params: S.InstanceParams,
        body: Type.Object({ name: Type.String({ minLength: 1, maxLength: 255 }) }),
        response: {
          201: Success(S.NewInstanceToken),
          ...errors('UNAUTHENTICATED', 'FORBIDDEN', 'NOT_FOUND'),
        },
      },
    },
    async (request, reply) => {
      const token = await instances.createToken(authOf(request), request.params.uuid, request.body.name)
      return reply.status(201).send(ok(token, 'Token created; copy it now, it will not be shown again'))
    },
  )

  app.delete(
    '/instances/:uuid/tokens/:id',
    {
      config: userOnly,
      schema: {
        tags,
        summary: 'Revoke an sk_ token',
        params: S.TokenParams,
        response: { 200: Done, ...errors('UNAUTHENTICATED', 'FORBIDDEN', 'NOT_FOUND') },
      },
    },
    async (request) => {
      await instances.revokeToken(authOf(request), request.params.uuid, request.params.id)
      return { success: true as const, message: 'Token revoked' }
    },
  )
}
