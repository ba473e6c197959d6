import { Readable } from 'node:stream'
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { ChatService } from '../chat/service.js'
import { authOf } from '../http/authenticate.js'
import {
  Done,
  errors,
  FileResponse,
  ok,
  PageQuery,
  Paginated,
  pageOf,
  paginationMeta,
  Success,
} from '../http/envelope.js'
import { Message } from '../messages/schemas.js'
import { chunked, csvExport, jsonExport } from './export.js'
import * as S from './schemas.js'
import type { ContactService } from './service.js'

const tags = ['Contacts']
const notFound = errors('UNAUTHENTICATED', 'NOT_FOUND')

export const contactRoutes: FastifyPluginAsyncTypebox<{
  contacts: ContactService
  chat: ChatService
}> = async (app, { contacts, chat }) => {
  app.get(
    '/contacts',
    {
      schema: {
        tags,
        summary: 'Contacts, newest first unless sorted',
        description: "With an sk_ token, only its instance's contacts.",
        querystring: S.ContactListQuery,
        response: { 200: Paginated(S.Contact), ...notFound },
      },
    },
    async (request) => {
      const page = pageOf(request.query)
      const { items, total } = await contacts.list(authOf(request), request.query as never, {
        limit: page.perPage,
        offset: page.offset,
      })
      return { success: true as const, data: items, meta: paginationMeta(total, page, items.length) }
    },
  )

  app.post(
    '/contacts',
    {
      schema: {
        tags,
        summary: 'Create a contact',
        description:
          'Both field sets are accepted: `name`, and `first_name`/`last_name`/`display_name`. A number that already has a contact in the instance is 409 CONFLICT; one that cannot be a phone number is 422.',
        body: S.CreateContactBody,
        response: { 201: Success(S.Contact), ...errors('UNAUTHENTICATED', 'NOT_FOUND', 'CONFLICT') },
      },
    },
    async (request, reply) =>
      reply
        .status(201)
        .send(ok(await contacts.create(authOf(request), request.body), 'Contact created successfully')),
  )

  app.post(
    '/contacts/import',
    {
      schema: {
        tags,
        summary: `Import up to 1000 contacts`,
        description:
          'Rows that are not valid are reported in `errors` by their index; numbers that already have a contact (or appear twice) are skipped; the others are imported.',
        body: S.ImportBody,
        response: { 200: Success(S.ImportResult), ...notFound },
      },
    },
    async (request) =>
      ok(await contacts.import(authOf(request), request.body), 'Contacts imported successfully'),
  )

  app.get(
    '/contacts/export',
    {
      schema: {
        tags,
        summary: 'Export contacts as JSON or CSV (streamed)',
        description:
          'CSV: RFC 4180, a header row, cells starting with = + - @ prefixed with an apostrophe so that spreadsheets do not run them. JSON: `{success, data: [...]}`.',
        querystring: S.ExportQuery,
        response: { 200: FileResponse, ...notFound },
      },
    },
    async (request, reply) => {
      const rows = await contacts.exporter(authOf(request), request.query)
      const csv = request.query.format === 'csv'
      return reply
        .header('content-type', csv ? 'text/csv; charset=utf-8' : 'application/json; charset=utf-8')
        .header('content-disposition', `attachment; filename="contacts.${csv ? 'csv' : 'json'}"`)
        .send(Readable.from(chunked(csv ? csvExport(rows()) : jsonExport(rows()))))
    },
  )

  app.get(
    '/contacts/:uuid',
    {
      schema: {
        tags,
        summary: 'A contact',
        params: S.ContactParams,
        response: { 200: Success(S.Contact), ...notFound },
      },
    },
    async (request) => ok(await contacts.get(authOf(request), request.params.uuid)),
  )

  for (const method of ['PUT', 'PATCH'] as const) {
    app.route({
      method,
      url: '/contacts/:uuid',
      schema: {
        tags,
        summary: 'Update a contact (PUT and PATCH alike: the fields given change)',
        description: 'A field set to null is cleared.',
        params: S.ContactParams,
        body: S.UpdateContactBody,
        response: { 200: Success(S.Contact), ...errors('UNAUTHENTICATED', 'NOT_FOUND', 'CONFLICT') },
      },
      handler: async (request) =>
        ok(
          await contacts.update(authOf(request), request.params.uuid, request.body),
          'Contact updated successfully',
        ),
    })
  }

  app.delete(
    '/contacts/:uuid',
    {
      schema: {
        tags,
        summary: 'Delete a contact (its conversation and messages stay)',
        params: S.ContactParams,
        response: { 200: Done, ...notFound },
      },
    },
    async (request) => {
      await contacts.remove(authOf(request), request.params.uuid)
      return { success: true as const, message: 'Contact deleted successfully' }
    },
  )

  app.get(
    '/contacts/:uuid/messages',
    {
      schema: {
        tags,
        summary: 'Messages exchanged with a contact, newest first',
        params: S.ContactParams,
        querystring: PageQuery,
        response: { 200: Paginated(Message), ...notFound },
      },
    },
    async (request) => {
      const page = pageOf(request.query)
      const { items, total } = await chat.contactMessages(authOf(request), request.params.uuid, {
        limit: page.perPage,
        offset: page.offset,
      })
      return { success: true as const, data: items, meta: paginationMeta(total, page, items.length) }
    },
  )
}
