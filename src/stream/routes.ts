import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import websocket from '@fastify/websocket'
import { Type } from '@sinclair/typebox'
import type { FastifyRequest } from 'fastify'
import { errors } from '../http/envelope.js'
import { AppError } from '../http/errors.js'
import { type StreamResolvers, streamScope } from './access.js'
import type { StreamHub, StreamScope } from './hub.js'
import { eventSourcePeer, webSocketPeer } from './peers.js'

const StreamQuery = Type.Object({
  token: Type.Optional(Type.String({ description: 'The token, for clients that cannot set headers' })),
  events: Type.Optional(
    Type.String({ description: 'Comma-separated event names (aliases accepted); absent: all events' }),
  ),
  instance: Type.Optional(Type.String({ description: "Only this instance's events (uuid or id)" })),
})

const DESCRIPTION =
  'A WebSocket (`Upgrade: websocket`), or Server-Sent Events for a plain GET with ' +
  '`Accept: text/event-stream`. Each message is the webhook envelope ' +
  '`{id, event, instance_uuid, timestamp, data}` as JSON; the first is `{"event":"stream.ready"}`, ' +
  'and `{"event":"heartbeat"}` (with a WebSocket ping) follows every STREAM_HEARTBEAT_SECONDS. ' +
  'A user token sees its tenant; an sk_ token or an instance host sees one instance. The token ' +
  'goes in `Authorization: Bearer` or in `?token=` (kept out of the logs).'

/** `GET /events`: the live stream of the events the caller may see. */
export const streamRoutes: FastifyPluginAsyncTypebox<{ hub: StreamHub; resolvers: StreamResolvers }> = async (
  app,
  { hub, resolvers },
) => {
  await app.register(websocket, { options: { maxPayload: 64 * 1024 } })
  const scopes = new WeakMap<FastifyRequest, StreamScope>()

  app.route({
    method: 'GET',
    url: '/events',
    // The token may come in the query string, which the common hook does not read.
    config: { auth: 'public' },
    preHandler: async (request) => {
      const eventSource = (request.headers.accept ?? '').includes('text/event-stream')
      if (!request.ws && !eventSource) {
        throw new AppError(
          'BAD_REQUEST',
          'Connect with a WebSocket (Upgrade: websocket) or ask for text/event-stream.',
          {},
          { status: 426, headers: { upgrade: 'websocket' } },
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
      summary: 'Live stream of events (WebSocket or Server-Sent Events)',
      description: DESCRIPTION,
      querystring: StreamQuery,
      response: {
        200: Type.String({ description: 'text/event-stream (for Accept: text/event-stream)' }),
        ...errors('UNAUTHENTICATED', 'NOT_FOUND', 'BAD_REQUEST'),
      },
    },
    // A plain GET: Server-Sent Events, held open until the client goes.
    handler: async (request, reply) => {
      // The headers set so far (CORS, security) go out with the stream's own.
      const headers = reply.getHeaders()
      reply.hijack()
      await hub.add(eventSourcePeer(reply.raw, headers), scopes.get(request)!)
    },
    wsHandler: async (socket, request) => {
      await hub.add(webSocketPeer(socket), scopes.get(request)!)
    },
  })
}
