import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { type Static, type TSchema, Type } from '@sinclair/typebox'
import type { FastifyRequest } from 'fastify'
import { errors, ok, Success } from '../http/envelope.js'
import { AppError } from '../http/errors.js'
import { Nullable } from '../http/schema.js'
import { InstanceParams } from '../instances/schemas.js'
import type { InboundService, WorkerInstance } from './inbound.js'

declare module 'fastify' {
  interface FastifyRequest {
    /** The body as received, for signature checks (inbound worker endpoints only). */
    rawBody?: Buffer
  }
}

const Jid = Type.String({ minLength: 1, maxLength: 128 })
const Long = Type.Union([Type.Number(), Type.String(), Type.Object({})], {
  description: 'Seconds (a number, digits, or a protobuf Long)',
})
const Key = Type.Object({
  remoteJid: Type.Optional(Nullable(Jid)),
  fromMe: Type.Optional(Nullable(Type.Boolean())),
  id: Type.String({ minLength: 1, maxLength: 128 }),
  participant: Type.Optional(Nullable(Jid)),
})

const Incoming = Type.Object(
  {
    key: Key,
    remoteJid: Type.Optional(Nullable(Jid)),
    message: Type.Optional(
      Nullable(
        Type.Object(
          {},
          {
            description:
              'Baileys content: conversation, extendedTextMessage, imageMessage, videoMessage, audioMessage, ' +
              'documentMessage (and stickerMessage, locationMessage, contactMessage, reactionMessage, …)',
          },
        ),
      ),
    ),
    messageTimestamp: Type.Optional(Nullable(Long)),
    pushName: Type.Optional(Nullable(Type.String({ maxLength: 255 }))),
    participant: Type.Optional(Nullable(Jid)),
    isGroup: Type.Optional(Nullable(Type.Boolean())),
  },
  { description: 'A Baileys WAMessage' },
)

const Status = Type.Object({
  key: Key,
  status: Type.Optional(
    Type.Union([Type.Integer({ minimum: 0, maximum: 5 }), Type.String({ maxLength: 32 })], {
      description: '0 error, 1 pending, 2 sent (server ack), 3 delivered, 4 read, 5 played',
    }),
  ),
  update: Type.Optional(Type.Object({ status: Type.Optional(Type.Unknown()) })),
  messageTimestamp: Type.Optional(Nullable(Long)),
})

const Qr = Type.Object({
  qr: Type.String({ minLength: 1, maxLength: 4096 }),
  qr_image: Type.Optional(Nullable(Type.String())),
  generated_at: Type.Optional(Nullable(Type.String())),
})

const Connection = Type.Object({
  status: Type.String({
    enum: ['connected', 'qr_ready', 'connecting', 'disconnected', 'offline', 'logged_out', 'open', 'close'],
  }),
  phone_number: Type.Optional(Nullable(Type.String({ maxLength: 64 }))),
  timestamp: Type.Optional(Nullable(Type.String())),
  reason: Type.Optional(Nullable(Type.String({ maxLength: 255 }))),
})

const Reaction = Type.Object({
  key: Key,
  reaction: Type.Object({
    text: Type.Optional(Nullable(Type.String({ maxLength: 32, description: 'Empty removes the reaction' }))),
    key: Type.Optional(Type.Object({})),
    senderTimestampMs: Type.Optional(Nullable(Long)),
  }),
  senderJid: Type.Optional(Nullable(Jid)),
})

const Accepted = Type.Object({ accepted: Type.Boolean() }, { additionalProperties: true })

type Result = { accepted: boolean } & Record<string, unknown>

/**
 * `POST /webhooks/instance/{uuid}/incoming|status|qr|connection|reaction`: what an instance's
 * WhatsApp worker posts. Each request is signed with the instance's worker secret or carries its
 * sk_ token (401 otherwise), checked on the raw body before anything else is looked at.
 */
export const inboundRoutes: FastifyPluginAsyncTypebox<{ inbound: InboundService; hidden?: boolean }> = async (
  app,
  { inbound, hidden },
) => {
  // The signature covers the exact bytes, so this scope keeps them beside the parsed body.
  app.removeContentTypeParser('application/json')
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (request, body, done) => {
    const raw = body as Buffer
    request.rawBody = raw
    try {
      done(null, raw.length === 0 ? undefined : JSON.parse(raw.toString('utf8')))
    } catch {
      done(new AppError('INVALID_JSON', 'The request body is not valid JSON.'), undefined)
    }
  })
  const workers = new WeakMap<FastifyRequest, WorkerInstance>()

  function route<B extends TSchema>(
    name: string,
    body: B,
    summary: string,
    handle: (worker: WorkerInstance, body: Static<B>) => Promise<Result>,
  ): void {
    app.post(
      `/webhooks/instance/:uuid/${name}`,
      {
        // A worker posts every message it sees: the per-IP API limit would cut it off.
        config: { auth: 'public', rateLimit: false },
        // Authenticated before validation, so that an unsigned request learns nothing.
        preValidation: async (request) => {
          const params = request.params as { uuid: string }
          const worker = await inbound.authenticate(params.uuid, {
            rawBody: request.rawBody ?? Buffer.alloc(0),
            signature: headerOf(request, 'x-webhook-signature'),
            bearer: request.bearerToken,
          })
          workers.set(request, worker)
        },
        schema: {
          tags: ['Inbound worker webhooks'],
          summary,
          description:
            'Signed with the worker secret (`X-Webhook-Signature`: hex HMAC-SHA256 of the raw body; ' +
            'POST /instances/{uuid}/worker-secret) or with the instance sk_ token. Idempotent on the ' +
            'WhatsApp message id.',
          ...(hidden ? { hide: true } : {}),
          params: InstanceParams,
          body,
          response: { 200: Success(Accepted), ...errors('UNAUTHENTICATED', 'NOT_FOUND', 'INVALID_JSON') },
        },
      },
      async (request) => {
        const result = await handle(workers.get(request)!, request.body as Static<B>)
        return ok(result, result.accepted ? 'Received' : 'Ignored')
      },
    )
  }

  route('incoming', Incoming, 'An incoming (or own) message', (w, b) => inbound.incoming(w, b))
  route('status', Status, 'A status update of a sent message', (w, b) => inbound.status(w, b))
  route('qr', Qr, 'A new QR code to link the instance', (w, b) => inbound.qr(w, b))
  route('connection', Connection, 'The connection status of the instance', (w, b) => inbound.connection(w, b))
  route('reaction', Reaction, 'An emoji reaction on a message', (w, b) => inbound.reaction(w, b))
}

function headerOf(request: FastifyRequest, name: string): string | null {
  const value = request.headers[name]
  return typeof value === 'string' && value !== '' ? value : null
}
