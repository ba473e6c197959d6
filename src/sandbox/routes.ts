import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from '@sinclair/typebox'
import { authOf } from '../http/authenticate.js'
import { errors, ok, Success } from '../http/envelope.js'
import { InstanceParams } from '../instances/schemas.js'
import type { SandboxService } from './service.js'

const tags = ['Sandbox engine']
const failures = errors('UNAUTHENTICATED', 'NOT_FOUND', 'INSTANCE_NOT_CONNECTED', 'NOT_ON_WHATSAPP')
const description = 'Only for sandbox instances of the caller (404 for any other instance).'
const Phone = Type.String({ minLength: 3, maxLength: 64, description: 'A phone number or JID' })

export const sandboxRoutes: FastifyPluginAsyncTypebox<{ sandbox: SandboxService }> = async (
  app,
  { sandbox },
) => {
  app.post(
    '/sandbox/instances/:uuid/scan',
    {
      schema: {
        tags,
        description,
        summary: 'The QR is scanned: the instance connects as that number (made up when absent)',
        params: InstanceParams,
        body: Type.Optional(Type.Object({ phone_number: Type.Optional(Phone) })),
        response: {
          200: Success(Type.Object({ phone_number: Type.String(), jid: Type.String(), lid: Type.String() })),
          ...failures,
        },
      },
    },
    async (request) =>
      ok(
        await sandbox.scan(authOf(request), request.params.uuid, request.body?.phone_number),
        'QR code scanned',
      ),
  )

  app.post(
    '/sandbox/instances/:uuid/inbound',
    {
      schema: {
        tags,
        description,
        summary: 'A message arrives from a contact',
        params: InstanceParams,
        body: Type.Object({
          from: Phone,
          message: Type.Optional(Type.String({ maxLength: 4096 })),
          media_type: Type.Optional(
            Type.String({ enum: ['image', 'video', 'audio', 'document', 'sticker'] }),
          ),
          media_url: Type.Optional(Type.String({ format: 'uri' })),
          caption: Type.Optional(Type.String({ maxLength: 4096 })),
          push_name: Type.Optional(Type.String({ maxLength: 255 })),
          group_jid: Type.Optional(Type.String({ pattern: '@g\\.us$' })),
          mentions: Type.Optional(Type.Array(Phone, { maxItems: 256 })),
          reply_to: Type.Optional(
            Type.String({ description: 'The message answered: uuid, id or WhatsApp id' }),
          ),
        }),
        response: {
          201: Success(Type.Object({ whatsapp_message_id: Type.String(), message_id: Type.String() })),
          ...failures,
        },
      },
    },
    async (request, reply) => {
      const body = request.body as Parameters<SandboxService['inbound']>[2]
      return reply
        .status(201)
        .send(ok(await sandbox.inbound(authOf(request), request.params.uuid, body), 'Message received'))
    },
  )

  app.post(
    '/sandbox/instances/:uuid/receipt',
    {
      schema: {
        tags,
        description,
        summary: "The recipient's phone reports a sent message delivered, read or played",
        params: InstanceParams,
        body: Type.Object({
          message_id: Type.String({ minLength: 1, description: 'The message uuid or WhatsApp id' }),
          status: Type.Union([Type.Literal('delivered'), Type.Literal('read'), Type.Literal('played')]),
        }),
        response: {
          200: Success(Type.Object({ message_id: Type.String(), status: Type.String() })),
          ...failures,
        },
      },
    },
    async (request) =>
      ok(await sandbox.receipt(authOf(request), request.params.uuid, request.body), 'Receipt sent'),
  )

  app.post(
    '/sandbox/instances/:uuid/reaction',
    {
      schema: {
        tags,
        description,
        summary: 'A contact reacts to a message (an empty emoji removes the reaction)',
        params: InstanceParams,
        body: Type.Object({
          from: Phone,
          message_id: Type.String({ minLength: 1 }),
          emoji: Type.String({ maxLength: 32 }),
        }),
        response: {
          200: Success(Type.Object({ message_id: Type.String(), emoji: Type.String() })),
          ...failures,
        },
      },
    },
    async (request) =>
      ok(await sandbox.reaction(authOf(request), request.params.uuid, request.body), 'Reaction sent'),
  )

  app.post(
    '/sandbox/instances/:uuid/drop',
    {
      schema: {
        tags,
        description,
        summary: 'The connection drops; the instance reconnects by itself as a real one would',
        params: InstanceParams,
        response: { 200: Success(Type.Object({ dropped: Type.Boolean() })), ...failures },
      },
    },
    async (request) => ok(await sandbox.drop(authOf(request), request.params.uuid), 'Connection dropped'),
  )
}
