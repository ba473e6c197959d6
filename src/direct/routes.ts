import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { authOf } from '../http/authenticate.js'
import { errors } from '../http/envelope.js'
import * as S from './schemas.js'
import type { DirectService } from './service.js'

const tags = ['Direct instance endpoints']
const description =
  'Acts on one instance: the one of the instance host (instance-{id}.{host}) or of the sk_ token. ' +
  'With a user token on the main host the answer is 400 INSTANCE_REQUIRED.'
const bound = ['UNAUTHENTICATED', 'INSTANCE_REQUIRED', 'NOT_FOUND'] as const
const sendCodes = [
  ...bound,
  'INSTANCE_NOT_CONNECTED',
  'NOT_ON_WHATSAPP',
  'FORBIDDEN',
  'QUOTA_EXCEEDED',
  'ENGINE_ERROR',
  'SERVICE_UNAVAILABLE',
] as const
const acting = errors(
  ...bound,
  'INSTANCE_NOT_CONNECTED',
  'NOT_ON_WHATSAPP',
  'FORBIDDEN',
  'ENGINE_ERROR',
  'SERVICE_UNAVAILABLE',
)
const grouping = errors(
  ...bound,
  'INSTANCE_NOT_CONNECTED',
  'FORBIDDEN',
  'ENGINE_ERROR',
  'SERVICE_UNAVAILABLE',
)

/** The direct endpoints, at the root of every host (DECISIONS §1, §4). */
export const directRoutes: FastifyPluginAsyncTypebox<{ direct: DirectService }> = async (app, { direct }) => {
  app.get(
    '/status',
    {
      schema: {
        tags,
        description,
        summary: 'Real-time connection status',
        response: { 200: S.DirectStatus, ...errors(...bound) },
      },
    },
    async (request) => direct.status(authOf(request)),
  )

  app.get(
    '/qr',
    {
      schema: {
        tags,
        description: `${description} Always 200; the QR fields are null unless the status is qr_ready.`,
        summary: 'The QR code to link the instance',
        response: { 200: S.DirectQr, ...errors(...bound) },
      },
    },
    async (request) => direct.qr(authOf(request)),
  )

  app.post(
    '/send-message',
    {
      schema: {
        tags,
        description: `${description} Sent at once; answers when WhatsApp's server acknowledged the message.`,
        summary: 'Send a text message',
        body: S.SendMessageBody,
        response: { 200: S.Sent, ...errors(...sendCodes) },
      },
    },
    async (request) => direct.sendMessage(authOf(request), request.body),
  )

  app.post(
    '/send-media',
    {
      schema: {
        tags,
        description: `${description} The file is downloaded from media_url (public http(s) hosts only, at most 100 MB) and sent at once.`,
        summary: 'Send an image, video, audio or document',
        body: S.SendMediaBody,
        response: { 200: S.Sent, ...errors(...sendCodes, 'BAD_REQUEST', 'FILE_TOO_LARGE') },
      },
    },
    async (request) => direct.sendMedia(authOf(request), request.body),
  )

  app.post(
    '/send-reaction',
    {
      schema: {
        tags,
        description: `${description} An empty emoji removes the reaction.`,
        summary: 'React to a message',
        body: S.SendReactionBody,
        response: { 200: S.Reacted, ...acting },
      },
    },
    async (request) => direct.sendReaction(authOf(request), request.body),
  )

  app.post(
    '/delete-message',
    {
      schema: {
        tags,
        description: `${description} Deletes the message for everyone.`,
        summary: 'Delete a sent message',
        body: S.DeleteMessageBody,
        response: { 200: S.Deleted, ...acting },
      },
    },
    async (request) => direct.deleteMessage(authOf(request), request.body),
  )

  app.get(
    '/groups',
    {
      schema: {
        tags,
        description,
        summary: 'The WhatsApp groups of the instance',
        response: { 200: S.DirectGroups, ...grouping },
      },
    },
    async (request) => direct.groups(authOf(request)),
  )

  app.post(
    '/group/create',
    {
      schema: {
        tags,
        description,
        summary: 'Create a group',
        body: S.DirectCreateGroupBody,
        response: { 201: S.DirectGroupCreated, ...grouping },
      },
    },
    async (request, reply) => reply.status(201).send(await direct.createGroup(authOf(request), request.body)),
  )

  app.get(
    '/group/:jid/metadata',
    {
      schema: {
        tags,
        description,
        summary: 'Group details and participants',
        params: S.DirectGroupParams,
        response: { 200: S.DirectGroupMetadata, ...grouping },
      },
    },
    async (request) => direct.groupMetadata(authOf(request), request.params.jid),
  )

  app.post(
    '/reconnect',
    {
      schema: {
        tags,
        description,
        summary: 'Force a reconnection to WhatsApp',
        response: { 200: S.ConnectionChanged, ...errors(...bound) },
      },
    },
    async (request) => direct.reconnect(authOf(request)),
  )

  app.post(
    '/logout',
    {
      schema: {
        tags,
        description,
        summary: 'Log out and clear the session (a new QR scan is needed)',
        response: { 200: S.ConnectionChanged, ...errors(...bound) },
      },
    },
    async (request) => direct.logout(authOf(request)),
  )
}
