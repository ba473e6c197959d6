import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTestApp, type TestApp } from '../helpers/app.js'
import {
  type Api,
  apiFor,
  connectedInstance,
  expectDensePositions,
  expectStatus,
  inbound,
  newContact,
} from './support.js'

describe('kanban leads', () => {
  let app: TestApp
  let api: Api
  let board: any
  let instance: { id: number; uuid: string }

  beforeAll(async () => {
    app = await startTestApp()
    api = apiFor(app, (await app.register()).token)
    instance = await connectedInstance(api, '5511900001111')
    board = expectStatus(
      await api('POST', '/kanban/boards', {
        name: 'Pipeline',
        currency: 'BRL',
        columns: ['New', 'Talking', 'Deal'],
      }),
      201,
    )
  })
  afterAll(() => app.close())

  const col = (i: number) => board.columns[i]

  it('creates a lead in the first board’s first column by default, with the board’s currency', async () => {
    const lead = expectStatus(
      await api('POST', '/kanban/leads', {
        title: 'Website redesign',
        value: 1234.56,
        notes: 'Met at the fair',
        tags: ['VIP', ' web ', 'vip', '  '],
        custom_fields: { source: 'fair', size: 12 },
      }),
      201,
    )
    expect(lead).toMatchObject({
      id: lead.uuid,
      board_id: board.numeric_id,
      board_uuid: board.uuid,
      column_id: col(0).numeric_id,
      column_uuid: col(0).uuid,
      column_name: 'New',
      position: 0,
      title: 'Website redesign',
      value: 1234.56,
      currency: 'BRL',
      notes: 'Met at the fair',
      tags: ['VIP', 'web'],
      custom_fields: { source: 'fair', size: 12 },
      status: 'open',
      contact: null,
      conversation_id: null,
      ai_qualification: null,
    })
    expect(expectStatus(await api('GET', `/kanban/leads/${lead.numeric_id}`), 200).uuid).toBe(lead.uuid)
    const [created] = expectStatus(await api('GET', `/kanban/leads/${lead.uuid}/activities`), 200)
    expect(created).toMatchObject({
      type: 'created',
      lead_uuid: lead.uuid,
      data: { column: 'New', position: 0 },
    })
  })

  it('links a contact and its conversation, and takes the contact’s name as the title', async () => {
    await inbound(api, instance, '5511988887777', 'Hello, I saw your ad')
    const contacts = expectStatus(await api('GET', '/contacts?search=5511988887777'), 200)
    const contact = contacts[0]
    const conversation = expectStatus(await api('GET', '/conversations?per_page=100'), 200).find(
      (c: any) => c.contact?.phone_number === '5511988887777' || c.chat_jid?.startsWith('5511988887777'),
    )
    expect(conversation).toBeDefined()
    const lead = expectStatus(
      await api('POST', '/kanban/leads', { column_id: col(1).uuid, contact_id: contact.uuid }),
      201,
    )
    expect(lead.title).toBe(contact.name ?? contact.push_name ?? '5511988887777')
    expect(lead.contact).toMatchObject({ id: contact.id, uuid: contact.uuid, phone_number: '5511988887777' })
    expect(lead.conversation_uuid).toBe(conversation.uuid ?? conversation.id)

    const byConversation = expectStatus(
      await api('POST', '/kanban/leads', {
        column_id: col(1).uuid,
        title: 'Via chat',
        conversation_id: lead.conversation_uuid,
      }),
      201,
    )
    expect(byConversation.contact_id).toBe(contact.id)
    expect(byConversation.position).toBe(1)

    const saved = expectStatus(
      await api('POST', '/contacts', {
        instance_id: instance.uuid,
        phone_number: '5511977776666',
        name: 'Ana Souza',
      }),
      201,
    )
    const named = expectStatus(
      await api('POST', '/kanban/leads', { board_id: board.uuid, contact_id: String(saved.id) }),
      201,
    )
    expect(named).toMatchObject({ title: 'Ana Souza', conversation_id: null, column_name: 'New' })

    expect((await api('POST', '/kanban/leads', { contact_id: '99999999' })).status).toBe(404)
    expect((await api('POST', '/kanban/leads', { board_id: board.uuid })).status).toBe(422)
    const other = expectStatus(await api('POST', '/kanban/boards', { name: 'Other', columns: ['X'] }), 201)
    expect(
      (await api('POST', '/kanban/leads', { board_id: other.uuid, column_id: col(0).uuid, title: 'x' }))
        .status,
    ).toBe(422)
  })

  it('updates only what changed, writing the changes to the timeline', async () => {
    const lead = expectStatus(
      await api('POST', '/kanban/leads', { column_id: col(2).uuid, title: 'Old', value: 10 }),
      201,
    )
    const contact = await newContact(api, instance, '5511966665555', 'Bruno')
    const updated = expectStatus(
      await api('PUT', `/kanban/leads/${lead.uuid}`, {
        title: 'New title',
        value: 10,
        currency: 'eur',
        notes: null,
        tags: ['hot'],
        custom_fields: { plan: 'pro' },
        contact_id: contact.uuid,
      }),
      200,
    )
    expect(updated).toMatchObject({
      title: 'New title',
      value: 10,
      currency: 'EUR',
      notes: null,
      tags: ['hot'],
      custom_fields: { plan: 'pro' },
      contact_id: contact.id,
    })
    const [change] = expectStatus(await api('GET', `/kanban/leads/${lead.uuid}/activities`), 200)
    expect(change.type).toBe('updated')
    expect(Object.keys(change.data.changes).sort()).toEqual([
      'contact_id',
      'currency',
      'custom_fields',
      'tags',
      'title',
    ])
    expect(change.data.changes.title).toEqual({ from: 'Old', to: 'New title' })

    const unlinked = expectStatus(await api('PUT', `/kanban/leads/${lead.uuid}`, { contact_id: null }), 200)
    expect(unlinked.contact).toBeNull()
    const same = await api('PUT', `/kanban/leads/${lead.uuid}`, { title: 'New title' })
    expect(same.status).toBe(200)
    const after = expectStatus(await api('GET', `/kanban/leads/${lead.uuid}/activities`), 200)
    expect(after).toHaveLength(3)

    const moved = expectStatus(
      await api('PUT', `/kanban/leads/${lead.uuid}`, { column_id: col(0).uuid, position: 0 }),
      200,
    )
    expect(moved).toMatchObject({ column_name: 'New', position: 0 })
    expect((await api('PUT', `/kanban/leads/${lead.uuid}`, { status: 'won' })).body.data.status).toBe('won')
    expect((await api('PUT', `/kanban/leads/${lead.uuid}`, { status: 'open' })).body.data.status).toBe('open')
    const types = expectStatus(await api('GET', `/kanban/leads/${lead.uuid}/activities`), 200).map(
      (a: any) => a.type,
    )
    expect(types.slice(0, 3)).toEqual(['reopened', 'won', 'moved'])
    expect((await api('PUT', `/kanban/leads/${lead.uuid}`, { value: -1 })).status).toBe(422)
    await expectDensePositions(api, board.uuid)
  })

  it('moves leads within and across columns, keeping positions 0..n-1', async () => {
    const b = expectStatus(await api('POST', '/kanban/boards', { name: 'Moves', columns: ['A', 'B'] }), 201)
    const [a, bb] = b.columns
    const make = async (title: string, column: any) =>
      expectStatus(await api('POST', '/kanban/leads', { column_id: column.uuid, title }), 201)
    const l0 = await make('l0', a)
    const l1 = await make('l1', a)
    const l2 = await make('l2', a)
    const top = expectStatus(
      await api('POST', '/kanban/leads', { column_id: a.uuid, title: 'top', position: 0 }),
      201,
    )
    expect(top.position).toBe(0)
    const order = async () =>
      (await expectDensePositions(api, b.uuid)).map((l: any) => `${l.column_name}:${l.title}`)
    expect(await order()).toEqual(['A:top', 'A:l0', 'A:l1', 'A:l2'])

    expectStatus(await api('POST', `/kanban/leads/${l2.uuid}/move`, { column_id: a.uuid, position: 1 }), 200)
    expect(await order()).toEqual(['A:top', 'A:l2', 'A:l0', 'A:l1'])
    expectStatus(
      await api('POST', `/kanban/leads/${top.uuid}/move`, { column_id: a.uuid, position: 99 }),
      200,
    )
    expect(await order()).toEqual(['A:l2', 'A:l0', 'A:l1', 'A:top'])
    const across = expectStatus(
      await api('POST', `/kanban/leads/${l0.uuid}/move`, { column_id: bb.uuid }),
      200,
    )
    expect(across).toMatchObject({ column_uuid: bb.uuid, position: 0 })
    expectStatus(
      await api('POST', `/kanban/leads/${l1.uuid}/move`, { column_id: String(bb.numeric_id), position: 0 }),
      200,
    )
    expect(await order()).toEqual(['A:l2', 'A:top', 'B:l1', 'B:l0'])

    const [moved] = expectStatus(await api('GET', `/kanban/leads/${l1.uuid}/activities`), 200)
    expect(moved).toMatchObject({
      type: 'moved',
      description: 'Moved from A to B',
      data: { from_column: 'A', to_column: 'B', from_position: 1, to_position: 0 },
    })
    const still = await api('POST', `/kanban/leads/${l1.uuid}/move`, { column_id: bb.uuid, position: 0 })
    expect(still.status).toBe(200)
    expect(expectStatus(await api('GET', `/kanban/leads/${l1.uuid}/activities`), 200)).toHaveLength(2)

    const toOtherBoard = expectStatus(
      await api('POST', `/kanban/leads/${l2.uuid}/move`, { column_id: col(0).uuid }),
      200,
    )
    expect(toOtherBoard.board_uuid).toBe(board.uuid)
    expect(await order()).toEqual(['A:top', 'B:l1', 'B:l0'])
    expect((await api('POST', `/kanban/leads/${l2.uuid}/move`, { column_id: 'nope' })).status).toBe(422)

    expect((await api('DELETE', `/kanban/leads/${l1.uuid}`)).status).toBe(200)
    expect(await order()).toEqual(['A:top', 'B:l0'])
    expect((await api('GET', `/kanban/leads/${l1.uuid}`)).status).toBe(404)
    expect((await api('DELETE', `/kanban/leads/${l1.uuid}`)).status).toBe(404)
  })

  it('marks leads won and lost, refusing the same status twice', async () => {
    const lead = expectStatus(await api('POST', '/kanban/leads', { title: 'Close me', value: 50 }), 201)
    const won = expectStatus(
      await api('POST', `/kanban/leads/${lead.uuid}/won`, { value: 75, note: 'Signed' }),
      200,
    )
    expect(won).toMatchObject({ status: 'won', value: 75, lost_at: null })
    expect(won.won_at).toBeTruthy()
    const again = await api('POST', `/kanban/leads/${lead.uuid}/won`)
    expect(again.status).toBe(409)
    expect(again.body.error.code).toBe('INVALID_TRANSITION')
    const lost = expectStatus(
      await api('POST', `/kanban/leads/${lead.uuid}/lost`, { lost_reason: 'Went silent' }),
      200,
    )
    expect(lost).toMatchObject({ status: 'lost', lost_reason: 'Went silent', won_at: null })
    expect((await api('POST', `/kanban/leads/${lead.uuid}/lost`, {})).status).toBe(409)
    const timeline = expectStatus(await api('GET', `/kanban/leads/${lead.uuid}/activities`), 200)
    expect(timeline.map((a: any) => a.type)).toEqual(['lost', 'won', 'created'])
    expect(timeline[0]).toMatchObject({
      description: 'Marked as lost: Went silent',
      data: { from_status: 'won' },
    })
    expect(timeline[1].data).toMatchObject({ value: 75, note: 'Signed' })
  })

  it('adds notes and pages through the timeline, newest first', async () => {
    const lead = expectStatus(await api('POST', '/kanban/leads', { title: 'Notes' }), 201)
    const note = await api('POST', `/kanban/leads/${lead.uuid}/note`, { note: 'Called, no answer' })
    expect(expectStatus(note, 201)).toMatchObject({
      type: 'note',
      description: 'Called, no answer',
      lead_id: lead.numeric_id,
    })
    expect(note.body.data.actor).toBe('Test User')
    expectStatus(await api('POST', `/kanban/leads/${lead.uuid}/note`, { content: 'Second try' }), 201)
    expect((await api('POST', `/kanban/leads/${lead.uuid}/note`, {})).status).toBe(422)
    const page = await api('GET', `/kanban/leads/${lead.uuid}/activities?per_page=2`)
    expect(expectStatus(page, 200).map((a: any) => a.description)).toEqual([
      'Second try',
      'Called, no answer',
    ])
    expect(page.body.meta.pagination).toMatchObject({ total: 3, last_page: 2 })
    const notes = await api('GET', `/kanban/leads/${lead.uuid}/activities?type=note`)
    expect(notes.body.meta.pagination.total).toBe(2)
  })

  it('filters a board’s leads by column, status, search, tag, contact, value and creation time', async () => {
    const b = expectStatus(
      await api('POST', '/kanban/boards', { name: 'Filters', columns: ['One', 'Two'] }),
      201,
    )
    const contact = await newContact(api, instance, '5511955554444', 'Carla Filter')
    const make = (body: object) => api('POST', '/kanban/leads', { board_id: b.uuid, ...body })
    const cheap = expectStatus(await make({ title: 'Cheap plan', value: 10, tags: ['Promo'] }), 201)
    const big = expectStatus(
      await make({ title: 'Enterprise', value: 5000, notes: 'needs SSO', contact_id: contact.uuid }),
      201,
    )
    const mid = expectStatus(
      await make({ title: 'Team plan', value: 300, column_id: b.columns[1].uuid, tags: ['promo', 'team'] }),
      201,
    )
    expectStatus(await api('POST', `/kanban/leads/${big.uuid}/won`), 200)
    const titles = async (query: string) =>
      expectStatus(await api('GET', `/kanban/boards/${b.uuid}/leads?${query}`), 200).map((l: any) => l.title)

    expect(await titles('')).toEqual(['Cheap plan', 'Enterprise', 'Team plan'])
    expect(await titles(`column_id=${b.columns[1].uuid}`)).toEqual(['Team plan'])
    expect(await titles('status=won')).toEqual(['Enterprise'])
    expect(await titles('status=open')).toEqual(['Cheap plan', 'Team plan'])
    expect(await titles('search=PLAN')).toEqual(['Cheap plan', 'Team plan'])
    expect(await titles('search=sso')).toEqual(['Enterprise'])
    expect(await titles('search=carla')).toEqual(['Enterprise'])
    expect(await titles('search=50%25')).toEqual([])
    expect(await titles('tag=PROMO')).toEqual(['Cheap plan', 'Team plan'])
    expect(await titles('tag=team')).toEqual(['Team plan'])
    expect(await titles(`contact_id=${contact.id}`)).toEqual(['Enterprise'])
    expect(await titles('value_min=100&value_max=1000')).toEqual(['Team plan'])
    expect(await titles('value_min=300')).toEqual(['Enterprise', 'Team plan'])
    const created = Date.parse(cheap.created_at)
    expect(await titles(`created_from=${new Date(created + 3_600_000).toISOString()}`)).toEqual([])
    expect(await titles(`created_to=${new Date(created - 3_600_000).toISOString()}`)).toEqual([])
    expect(
      await titles(
        `created_from=${cheap.created_at.slice(0, 10)}&created_to=${cheap.created_at.slice(0, 10)}`,
      ),
    ).toHaveLength(3)
    expect((await api('GET', `/kanban/boards/${b.uuid}/leads?created_from=yesterday`)).status).toBe(422)
    expect((await api('GET', `/kanban/boards/${b.uuid}/leads?status=maybe`)).status).toBe(422)
    const paged = await api('GET', `/kanban/boards/${b.uuid}/leads?per_page=2&page=2`)
    expect(expectStatus(paged, 200).map((l: any) => l.uuid)).toEqual([mid.uuid])
    expect(paged.body.meta.pagination).toMatchObject({ total: 3, last_page: 2, from: 3, to: 3 })
  })
})
