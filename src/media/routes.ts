import multipart from '@fastify/multipart'
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { FastifyReply, FastifyRequest } from 'fastify'
import { authOf } from '../http/authenticate.js'
import { Done, errors, FileResponse, ok, Success } from '../http/envelope.js'
import { AppError, validationError } from '../http/errors.js'
import * as S from './schemas.js'
import type { MediaFile, MediaService, UploadPart } from './service.js'
import { tooLarge } from './url-fetch.js'

const tags = ['Media']

export const mediaRoutes: FastifyPluginAsyncTypebox<{ media: MediaService }> = async (app, { media }) => {
  const { maxBytes } = media
  // Registered in this scope only: multipart bodies are accepted by the upload route, nowhere else.
  await app.register(multipart, {
    // One byte over the largest accepted file: the upload's own limit (per kind) is crossed first.
    limits: { files: 1, fields: 10, fieldSize: 1024, parts: 20, headerPairs: 100, fileSize: maxBytes + 1 },
  })

  app.post(
    '/media/upload',
    {
      // The parts are read as a stream by the service; the body schema only documents the form.
      validatorCompiler: () => () => true,
      schema: {
        tags,
        summary: 'Upload a file (image, video, audio, document) to send later',
        description: S.UPLOAD_DESCRIPTION,
        consumes: ['multipart/form-data'],
        body: S.UploadForm,
        response: {
          201: Success(S.MediaInfo),
          ...errors('UNAUTHENTICATED', 'FILE_TOO_LARGE', 'UNSUPPORTED_MEDIA_TYPE'),
        },
      },
    },
    async (request, reply) => {
      try {
        const stored = await media.upload(authOf(request), partsOf(request))
        return reply.status(201).send(ok(stored, 'File uploaded'))
      } catch (error) {
        // The rest of the upload is not read: the connection closes after the answer.
        reply.header('connection', 'close')
        throw multipartError(error, maxBytes)
      }
    },
  )

  app.get(
    '/media/:id',
    {
      schema: {
        tags,
        summary: 'An uploaded file: its type, size and signed link',
        params: S.MediaParams,
        response: { 200: Success(S.MediaInfo), ...errors('UNAUTHENTICATED', 'NOT_FOUND') },
      },
    },
    async (request) => ok(await media.info(authOf(request), request.params.id)),
  )

  app.delete(
    '/media/:id',
    {
      schema: {
        tags,
        summary: 'Delete an uploaded file',
        description: 'A file that queued messages still have to send is kept (409) until they are sent.',
        params: S.MediaParams,
        response: { 200: Done, ...errors('UNAUTHENTICATED', 'NOT_FOUND', 'CONFLICT') },
      },
    },
    async (request) => {
      await media.remove(authOf(request), request.params.id)
      return { success: true as const, message: 'File deleted' }
    },
  )

  app.get(
    '/media/:id/file',
    {
      config: { auth: 'public' },
      schema: {
        tags,
        summary: 'The file itself, through its signed link',
        description:
          'The `url` of an upload: no token needed, the signature is the key. Answers the bytes with their Content-Type; a wrong or expired link is 404.',
        params: S.MediaParams,
        querystring: S.SignedQuery,
        produces: ['application/octet-stream'],
        response: { 200: FileResponse, ...errors('NOT_FOUND') },
      },
    },
    async (request, reply) => {
      const { expires, signature } = request.query
      return sendFile(reply, await media.signedFile(request.params.id, expires, signature))
    },
  )
}

/** Streams a stored file with its Content-Type, length and name. */
export function sendFile(reply: FastifyReply, file: MediaFile) {
  const name = file.fileName ?? 'file'
  const ascii = name.replace(/[^\x20-\x7e]|["\\]/g, '_')
  reply
    .header('content-type', file.mime)
    .header(
      'content-disposition',
      `inline; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(name)}`,
    )
    .header('cache-control', 'private, max-age=3600')
  if (file.size !== null) reply.header('content-length', file.size)
  return reply.send(file.stream)
}

async function* partsOf(request: FastifyRequest): AsyncGenerator<UploadPart> {
  for await (const part of request.parts()) {
    yield part.type === 'file'
      ? { type: 'file', fieldname: part.fieldname, filename: part.filename, file: part.file }
      : { type: 'field', fieldname: part.fieldname, value: part.value }
  }
}

/** The multipart parser's own refusals, in the API's terms. */
function multipartError(error: unknown, maxBytes: number): unknown {
  if (error instanceof AppError) return error
  const code = (error as { code?: string }).code
  switch (code) {
    case 'FST_REQ_FILE_TOO_LARGE':
      return tooLarge(maxBytes)
    case 'FST_FILES_LIMIT':
      return validationError('file', 'Upload one file per request.')
    case 'FST_INVALID_MULTIPART_CONTENT_TYPE':
      return validationError('file', 'Send the file as multipart/form-data, in the field "file".')
    case 'FST_PARTS_LIMIT':
    case 'FST_FIELDS_LIMIT':
    case 'FST_PROTO_VIOLATION':
    case 'FST_MP_PREMATURE_CLOSE':
      return new AppError('BAD_REQUEST', `The multipart body was refused: ${(error as Error).message}.`)
    default:
      return error
  }
}
