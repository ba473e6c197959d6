import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTestApp, type TestApp } from '../helpers/app.js'
import { type Api, apiFor, expectStatus, instanceToken, newContact, newInstance } from './support.js'

describe('kanban tenancy and sk_ tokens', () => {
  let app: TestApp
  let alice: Api
  let bob: Api
  let aliceSk: Api
  let board: any
  let lead: any

  beforeAll(async () => {
    app = await startTestApp()
    alice = apiFor(app, (await app.register()).token)
    bob = apiFor(app, (await app.register()).token)
    aliceSk = apiFor(app, await instanceToken(alice, await newInstance(alice)))
    board = expectStatus(
      await alice('POST', '/kanban/boards', { name: 'Alice sales', columns: ['A', 'B'] }),
      201,
    )
    lead = expectStatus(
      await alice('POST', '/kanban/leads', { title: 'Alice lead', board_id: board.uuid }),
      201,
    )
  })
  afterAll(() => app.close())

  it("answers 404 for every path to another tenant's boards, columns and leads", async () => {
    const column = board.columns[0]
    const attempts: [string, string, unknown?][] = [
      ['GET', `/kanban/boards/${board.uuid}`],
      ['GET', `/kanban/boards/${board.numeric_id}`],
      ['PUT', `/kanban/boards/${board.uuid}`, { name: 'mine' }],
      ['DELETE', `/kanban/boards/${board.uuid}`],
      ['GET', `/kanban/boards/${board.uuid}/columns`],
      ['POST', `/kanban/boards/${board.uuid}/columns`, { name: 'x' }],
      ['POST', `/kanban/boards/${board.uuid}/columns/reorder`, { column_ids: [column.uuid] }],
      ['GET', `/kanban/boards/${board.uuid}/leads`],
      ['PUT', `/kanban/columns/${column.uuid}`, { name: 'x' }],
      ['DELETE', `/kanban/columns/${column.uuid}`],
      ['GET', `/kanban/leads/${lead.uuid}`],
      ['GET', `/kanban/leads/${lead.numeric_id}`],
      ['PUT', `/kanban/leads/${lead.uuid}`, { title: 'x' }],
      ['DELETE', `/kanban/leads/${lead.uuid}`],
      ['POST', `/kanban/leads/${lead.uuid}/move`, { column_id: column.uuid }],
      ['POST', `/kanban/leads/${lead.uuid}/won`],
      ['POST', `/kanban/leads/${lead.uuid}/lost`],
      ['POST', `/kanban/leads/${lead.uuid}/note`, { note: 'x' }],
      ['GET', `/kanban/leads/${lead.uuid}/activities`],
      ['POST', `/kanban/leads/${lead.uuid}/ai-qualify`],
    ]
    for (const [method, path, body] of attempts) {
      const res = await bob(method, path, body)
      expect(res.status, `${method} ${path}`).toBe(404)
    }
    expect(expectStatus(await bob('GET', '/kanban/boards'), 200)).toEqual([])
    expect(expectStatus(await alice('GET', `/kanban/leads/${lead.uuid}`), 200)).toMatchObject({
      title: 'Alice lead',
      status: 'open',
    })
    expect(expectStatus(await alice('GET', `/kanban/boards/${board.uuid}/columns`), 200)).toHaveLength(2)
  })

  it("cannot place a lead in another tenant's column or link another tenant's contact", async () => {
    const bobBoard = expectStatus(await bob('POST', '/kanban/boards', { name: 'Bob', columns: ['X'] }), 201)
    const intoAlice = await bob('POST', '/kanban/leads', {
      column_id: board.columns[0].uuid,
      title: 'sneaky',
    })
    expect(intoAlice.status).toBe(422)
    const bobLead = expectStatus(await bob('POST', '/kanban/leads', { title: 'Bob lead' }), 201)
    expect(bobLead.board_uuid).toBe(bobBoard.uuid)
    const move = await bob('POST', `/kanban/leads/${bobLead.uuid}/move`, { column_id: board.columns[0].uuid })
    expect(move.status).toBe(422)
    const aliceContact = await newContact(
      alice,
      await newInstance(alice, 'Alice 2'),
      '5511922221111',
      'Carol',
    )
    expect((await bob('POST', '/kanban/leads', { title: 'x', contact_id: aliceContact.uuid })).status).toBe(
      404,
    )
    expect(
      (await bob('PUT', `/kanban/leads/${bobLead.uuid}`, { contact_id: aliceContact.uuid })).status,
    ).toBe(404)
    expect(
      (
        await bob(
          'DELETE',
          `/kanban/columns/${bobBoard.columns[0].uuid}?target_column_id=${board.columns[1].uuid}`,
        )
      ).status,
    ).toBe(422)
  })

  it("lets an sk_ token work the tenant's kanban", async () => {
    const boards = expectStatus(await aliceSk('GET', '/kanban/boards'), 200)
    expect(boards.map((b: any) => b.uuid)).toContain(board.uuid)
    const created = expectStatus(
      await aliceSk('POST', '/kanban/leads', { board_id: board.uuid, title: 'From the bot' }),
      201,
    )
    expect(created.created_by).toBe('CRM integration')
    expectStatus(
      await aliceSk('POST', `/kanban/leads/${created.uuid}/move`, { column_id: board.columns[1].uuid }),
      200,
    )
    const note = expectStatus(
      await aliceSk('POST', `/kanban/leads/${created.uuid}/note`, { note: 'Bot says hi' }),
      201,
    )
    expect(note.actor).toBe('CRM integration')
    expectStatus(await aliceSk('POST', `/kanban/leads/${lead.uuid}/won`), 200)
    const column = expectStatus(
      await aliceSk('POST', `/kanban/boards/${board.uuid}/columns`, { name: 'Bot' }),
      201,
    )
    expectStatus(await aliceSk('PUT', `/kanban/columns/${column.uuid}`, { name: 'Bot stage' }), 200)
    const own = expectStatus(await aliceSk('POST', '/kanban/boards', { name: 'Bot board' }), 201)
    expect(expectStatus(await alice('GET', `/kanban/boards/${own.uuid}`), 200).name).toBe('Bot board')
    expect((await bob('GET', `/kanban/boards/${own.uuid}`)).status).toBe(404)
  })

  it('needs a token', async () => {
    expect((await app.request('GET', '/api/v1/kanban/boards')).status).toBe(401)
    expect((await app.request('POST', `/api/v1/kanban/leads/${lead.uuid}/won`)).status).toBe(401)
  })
})
