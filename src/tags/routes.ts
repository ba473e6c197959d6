import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from '@sinclair/typebox'
import { authOf } from '../http/authenticate.js'
import { Done, errors, ok, Success } from '../http/envelope.js'
import { TAG_NAME_MAX, type TagService } from './service.js'

const tags = ['Tags']
const Params = Type.Object({ uuid: Type.String({ description: 'The tag uuid or integer id' }) })
const Color = Type.String({ pattern: '^#[0-9A-Fa-f]{6}$', description: 'Hex color, #RRGGBB' })
const Name = Type.String({
  minLength: 1,
  maxLength: TAG_NAME_MAX,
  description: `Unique per tenant whatever its case (409 CONFLICT otherwise), at most ${TAG_NAME_MAX} characters`,
})

export const TagView = Type.Object({
  id: Type.String({ description: 'The uuid (tags show the uuid as id)' }),
  uuid: Type.String(),
  numeric_id: Type.Integer(),
  name: Type.String(),
  color: Type.String(),
  conversations_count: Type.Integer(),
  created_at: Type.String({ format: 'date-time' }),
  updated_at: Type.String({ format: 'date-time' }),
})

const description =
  'Tags belong to the tenant: every token of the tenant, sk_ instance tokens included, sees the same tags. A name already taken (case-insensitive) is 409 CONFLICT with `details.name`.'

export const tagRoutes: FastifyPluginAsyncTypebox<{ tags: TagService }> = async (app, { tags: service }) => {
  app.get(
    '/tags',
    {
      schema: {
        tags,
        summary: "The tenant's tags, by name",
        description,
        response: {
          200: Success(Type.Object({ tags: Type.Array(TagView) })),
          ...errors('UNAUTHENTICATED'),
        },
      },
    },
    async (request) => ok({ tags: await service.list(authOf(request)) }),
  )

  app.post(
    '/tags',
    {
      schema: {
        tags,
        summary: 'Create a tag',
        description,
        body: Type.Object({ name: Name, color: Color }),
        response: {
          201: Success(Type.Object({ tag: TagView })),
          ...errors('UNAUTHENTICATED', 'CONFLICT'),
        },
      },
    },
    async (request, reply) =>
      reply
        .status(201)
        .send(ok({ tag: await service.create(authOf(request), request.body) }, 'Tag created successfully')),
  )

  app.get(
    '/tags/:uuid',
    {
      schema: {
        tags,
        summary: 'A tag',
        params: Params,
        response: { 200: Success(Type.Object({ tag: TagView })), ...errors('UNAUTHENTICATED', 'NOT_FOUND') },
      },
    },
    async (request) => ok({ tag: await service.get(authOf(request), request.params.uuid) }),
  )

  app.patch(
    '/tags/:uuid',
    {
      schema: {
        tags,
        summary: 'Rename or recolor a tag',
        description,
        params: Params,
        body: Type.Object({ name: Type.Optional(Name), color: Type.Optional(Color) }),
        response: {
          200: Success(Type.Object({ tag: TagView })),
          ...errors('UNAUTHENTICATED', 'NOT_FOUND', 'CONFLICT'),
        },
      },
    },
    async (request) =>
      ok(
        { tag: await service.update(authOf(request), request.params.uuid, request.body) },
        'Tag updated successfully',
      ),
  )

  app.delete(
    '/tags/:uuid',
    {
      schema: {
        tags,
        summary: 'Delete a tag; it is removed from every conversation',
        params: Params,
        response: { 200: Done, ...errors('UNAUTHENTICATED', 'NOT_FOUND') },
      },
    },
    async (request) => {
      await service.remove(authOf(request), request.params.uuid)
      return { success: true as const, message: 'Tag deleted successfully' }
    },
  )
}
