import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTestApp, type TestApp } from '../helpers/app.js'

/** The CRM endpoints of the catalogue (ENDPOINTS.md: Kanban, Calendar, Tenant settings). */
const ENDPOINTS = [
  'GET /kanban/boards',
  'POST /kanban/boards',
  'GET /kanban/boards/{uuid}',
  'PUT /kanban/boards/{uuid}',
  'DELETE /kanban/boards/{uuid}',
  'GET /kanban/boards/{uuid}/columns',
  'POST /kanban/boards/{uuid}/columns',
  'POST /kanban/boards/{uuid}/columns/reorder',
  'GET /kanban/boards/{uuid}/leads',
  'PUT /kanban/columns/{uuid}',
  'DELETE /kanban/columns/{uuid}',
  'POST /kanban/leads',
  'GET /kanban/leads/{uuid}',
  'PUT /kanban/leads/{uuid}',
  'DELETE /kanban/leads/{uuid}',
  'GET /kanban/leads/{uuid}/activities',
  'POST /kanban/leads/{uuid}/ai-qualify',
  'POST /kanban/leads/{uuid}/lost',
  'POST /kanban/leads/{uuid}/move',
  'POST /kanban/leads/{uuid}/note',
  'POST /kanban/leads/{uuid}/won',
  'GET /calendar/appointments',
  'POST /calendar/appointments',
  'GET /calendar/appointments/{uuid}',
  'PUT /calendar/appointments/{uuid}',
  'DELETE /calendar/appointments/{uuid}',
  'POST /calendar/appointments/{uuid}/cancel',
  'POST /calendar/appointments/{uuid}/complete',
  'POST /calendar/appointments/{uuid}/confirm',
  'POST /calendar/appointments/{uuid}/to-kanban',
  'GET /settings/ai',
  'PUT /settings/ai',
  'DELETE /settings/ai',
]

describe('CRM endpoints in the OpenAPI description', () => {
  let app: TestApp
  beforeAll(async () => {
    app = await startTestApp()
  })
  afterAll(() => app.close())

  it('describes every kanban, calendar and AI settings endpoint with its success and error answers', async () => {
    const res = await app.request('GET', '/api/v1/openapi.json')
    expect(res.status).toBe(200)
    const paths = res.body.paths as Record<string, Record<string, any>>
    for (const endpoint of ENDPOINTS) {
      const [method, path] = endpoint.split(' ') as [string, string]
      const operation = paths[`/api/v1${path}`]?.[method.toLowerCase()]
      expect(operation, endpoint).toBeDefined()
      const statuses = Object.keys(operation.responses)
      expect(
        statuses.some((s) => s.startsWith('2')),
        endpoint,
      ).toBe(true)
      expect(statuses, endpoint).toContain('422')
      expect(statuses, endpoint).toContain('401')
    }
    const qualify = paths['/api/v1/kanban/leads/{uuid}/ai-qualify']!['post']
    expect(Object.keys(qualify.responses)).toEqual(expect.arrayContaining(['200', '400', '404', '502']))
    expect(Object.keys(paths['/api/v1/calendar/appointments/{uuid}/complete']!['post'].responses)).toContain(
      '409',
    )
  })
})
