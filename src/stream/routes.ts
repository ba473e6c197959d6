import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import websocket from '@fastify/websocket'
import { Type } from '@sinclair/typebox'
import type { FastifyRequest } from 'fastify'
import { errors } from '../http/envelope.js'
import { AppError } from '../http/errors.js'
import { type StreamResolvers, streamScope } from './access.js'
import type { StreamHub, StreamScope } from './hub.js'

const StreamQuery = Type.Object({
  token: Type.Optional(Type.String({ description: 'The token, for clients that cannot set headers' })),
  events: Type.Optional(
    Type.String({ description: 'Comma-separated event names (aliases accepted); absent: all events' }),
  ),
  instance: Type.Optional(Type.String({ description: "Only this instance's events (uuid or id)" })),
})

/** `GET /events` (WebSocket): the live stream of events the caller may see. */
export const streamRoutes: FastifyPluginAsyncTypebox<{
  hub: StreamHub
  resolvers: StreamResolvers
  maxPayload?: number
}> = async (app, { hub, resolvers }) => {
  await app.register(websocket, { options: { maxPayload: 64 * 1024 } })
  const scopes = new WeakMap<FastifyRequest, StreamScope>()

  app.get(
    '/events',
    {
      websocket: true,
      // The token may come in the query string, which the common hook does not read.
      config: { auth: 'public' },
      preHandler: async (request) => {
        if (!request.ws) {
          throw new AppError(
            'BAD_REQUEST',
            'This endpoint is a WebSocket: connect with Upgrade: websocket.',
            {},
            {
              status: 426,
              headers: { upgrade: 'websocket' },
            },
          )
        }
        scopes.set(
          request,
          await streamScope(resolvers, {
            token: request.bearerToken ?? request.query.token ?? null,
            instanceHostId: request.instanceHostId,
            instance: request.query.instance,
            events: request.query.events,
          }),
        )
      },
      schema: {
        tags: ['Live events'],
        summary: 'Live stream of events (WebSocket)',
        description:
          'Each message is the webhook envelope `{id, event, instance_uuid, timestamp, data}` as JSON. ' +
          'The first message is `{"event":"stream.ready"}`; `{"event":"heartbeat"}` (and a ping) follows ' +
          'every STREAM_HEARTBEAT_SECONDS. A user token sees its tenant, an sk_ token or an instance ' +
          'host one instance. Token in `Authorization: Bearer` or `?token=`.',
        querystring: StreamQuery,
        response: errors('UNAUTHENTICATED', 'NOT_FOUND', 'BAD_REQUEST'),
      },
    },
    async (socket, request) => {
      const scope = scopes.get(request)
      if (!scope) {
        socket.close(1008, 'Not authenticated')
        return
      }
      await hub.add(socket, scope)
    },
  )
}
