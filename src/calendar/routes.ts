import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { Static } from '@sinclair/typebox'
import { authOf } from '../http/authenticate.js'
import { Done, errors, ok, Paginated, pageOf, paginationMeta, Success } from '../http/envelope.js'
import { Lead } from '../kanban/schemas.js'
import * as S from './schemas.js'
import type { AppointmentInput, CalendarService } from './service.js'

const tags = ['Calendar']
const missing = errors('UNAUTHENTICATED', 'NOT_FOUND')
const transitions = errors('UNAUTHENTICATED', 'NOT_FOUND', 'INVALID_TRANSITION')

/** Every accepted spelling folded into one input. */
function inputOf(body: Static<typeof S.UpdateBody>): AppointmentInput {
  return {
    title: body.title,
    description: body.description,
    location: body.location,
    contact_id: body.contact_id !== undefined ? body.contact_id : body.contact,
    start: body.start ?? body.starts_at ?? body.start_time,
    end: body.end ?? body.ends_at ?? body.end_time,
    timezone: body.timezone,
    status: body.status,
    reminder_minutes_before: body.reminder_minutes_before,
    reminder_message: body.reminder_message,
    instance_id: body.instance_id,
  }
}

/** Appointments. User and sk_ tokens alike reach the tenant's calendar (DECISIONS §3). */
export const calendarRoutes: FastifyPluginAsyncTypebox<{ calendar: CalendarService }> = async (
  app,
  { calendar },
) => {
  app.get(
    '/calendar/appointments',
    {
      schema: {
        tags,
        summary: 'List appointments, soonest first (by range, status, contact)',
        querystring: S.ListQuery,
        response: { 200: Paginated(S.Appointment), ...missing },
      },
    },
    async (request) => {
      const page = pageOf(request.query)
      const { items, total } = await calendar.list(authOf(request), request.query, {
        limit: page.perPage,
        offset: page.offset,
      })
      return { success: true as const, data: items, meta: paginationMeta(total, page, items.length) }
    },
  )

  app.post(
    '/calendar/appointments',
    {
      schema: {
        tags,
        summary: 'Create an appointment',
        description:
          'With `reminder_minutes_before` and a contact, a WhatsApp reminder is scheduled for that long before the start (through `instance_id`, else the contact’s instance); it moves with the appointment and is withdrawn when the appointment is cancelled or deleted.',
        body: S.CreateBody,
        response: { 201: Success(S.Appointment), ...missing },
      },
    },
    async (request, reply) => {
      const input = { ...inputOf(request.body), title: request.body.title }
      return reply.status(201).send(ok(await calendar.create(authOf(request), input), 'Appointment created'))
    },
  )

  app.get(
    '/calendar/appointments/:uuid',
    {
      schema: {
        tags,
        summary: 'An appointment',
        params: S.Params,
        response: { 200: Success(S.Appointment), ...missing },
      },
    },
    async (request) => ok(await calendar.get(authOf(request), request.params.uuid)),
  )

  app.put(
    '/calendar/appointments/:uuid',
    {
      schema: {
        tags,
        summary: 'Update an appointment (only the fields given)',
        description:
          'Moving the start alone keeps the duration. A status change follows the same rules as the action endpoints.',
        params: S.Params,
        body: S.UpdateBody,
        response: { 200: Success(S.Appointment), ...transitions },
      },
    },
    async (request) =>
      ok(
        await calendar.update(authOf(request), request.params.uuid, inputOf(request.body)),
        'Appointment updated',
      ),
  )

  app.delete(
    '/calendar/appointments/:uuid',
    {
      schema: {
        tags,
        summary: 'Delete an appointment (its pending reminder is withdrawn)',
        params: S.Params,
        response: { 200: Done, ...missing },
      },
    },
    async (request) => {
      await calendar.remove(authOf(request), request.params.uuid)
      return { success: true as const, message: 'Appointment deleted' }
    },
  )

  app.post(
    '/calendar/appointments/:uuid/confirm',
    {
      schema: {
        tags,
        summary: 'Confirm a scheduled appointment',
        params: S.Params,
        response: { 200: Success(S.Appointment), ...transitions },
      },
    },
    async (request) =>
      ok(await calendar.confirm(authOf(request), request.params.uuid), 'Appointment confirmed'),
  )

  app.post(
    '/calendar/appointments/:uuid/complete',
    {
      schema: {
        tags,
        summary: 'Mark a scheduled or confirmed appointment as completed',
        params: S.Params,
        response: { 200: Success(S.Appointment), ...transitions },
      },
    },
    async (request) =>
      ok(await calendar.complete(authOf(request), request.params.uuid), 'Appointment completed'),
  )

  app.post(
    '/calendar/appointments/:uuid/cancel',
    {
      schema: {
        tags,
        summary: 'Cancel a scheduled or confirmed appointment (its pending reminder is withdrawn)',
        params: S.Params,
        body: S.CancelBody,
        response: { 200: Success(S.Appointment), ...transitions },
      },
    },
    async (request) => {
      const reason = request.body?.reason ?? request.body?.cancel_reason
      return ok(await calendar.cancel(authOf(request), request.params.uuid, reason), 'Appointment cancelled')
    },
  )

  app.post(
    '/calendar/appointments/:uuid/to-kanban',
    {
      schema: {
        tags,
        summary: "Make a kanban lead for the appointment's contact",
        description:
          'In `column_id`, else the first column of `board_id`, else the first column of your first board. Once per appointment (`409` after).',
        params: S.Params,
        body: S.ToKanbanBody,
        response: { 201: Success(Lead), ...errors('UNAUTHENTICATED', 'NOT_FOUND', 'CONFLICT') },
      },
    },
    async (request, reply) =>
      reply
        .status(201)
        .send(
          ok(
            await calendar.toKanban(authOf(request), request.params.uuid, request.body ?? {}),
            'Lead created',
          ),
        ),
  )
}
