import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  connectedInstance,
  conversationOf,
  type Instance,
  inbound,
  instanceToken,
  type Owner,
} from '../conversations/support.js'
import { startTestApp, type TestApp } from '../helpers/app.js'
import { TEST_DB } from '../helpers/database.js'

describe(`contacts (${TEST_DB})`, () => {
  let app: TestApp
  let owner: Owner
  let stranger: Owner
  let first: Instance
  let second: Instance

  beforeAll(async () => {
    app = await startTestApp()
    owner = await app.register()
    stranger = await app.register()
    first = await connectedInstance(app, owner.token, '15550007777')
    second = await connectedInstance(app, owner.token, '15550008888')
  })
  afterAll(() => app.close())

  const call = (method: string, path: string, body?: unknown, token = owner.token) =>
    app.request(method, `/api/v1${path}`, { token, ...(body === undefined ? {} : { body }) })

  it('are created with either field set, numbers stored as digits', async () => {
    const named = await call('POST', '/contacts', {
      instance_id: first.uuid,
      phone_number: '+1 (555) 800-0001',
      name: 'John Doe',
      email: 'john@example.com',
      company: 'Acme Inc',
      notes: 'Met at conference',
    })
    expect(named.status).toBe(201)
    expect(named.body).toMatchObject({
      success: true,
      data: {
        id: expect.any(Number),
        uuid: expect.stringMatching(/^[0-9a-f-]{36}$/),
        instance_id: first.id,
        phone_number: '15558000001',
        name: 'John Doe',
        display_name: 'John Doe',
        email: 'john@example.com',
        company: 'Acme Inc',
        notes: 'Met at conference',
        custom_fields: {},
        is_group: false,
        created_at: expect.stringMatching(/Z$/),
      },
    })

    const split = await call('POST', '/contacts', {
      instance_id: String(first.id),
      phone_number: '15558000002@s.whatsapp.net',
      first_name: 'Jane',
      last_name: 'Roe',
      display_name: 'Jane',
      job_title: 'CTO',
      custom_fields: { plan: 'gold', seats: 3 },
    })
    expect(split.status).toBe(201)
    expect(split.body.data).toMatchObject({
      phone_number: '15558000002',
      first_name: 'Jane',
      last_name: 'Roe',
      name: 'Jane Roe',
      display_name: 'Jane',
      job_title: 'CTO',
      custom_fields: { plan: 'gold', seats: 3 },
    })
  })

  it('refuse numbers that cannot be phone numbers, bad e-mails, and a number taken in the instance', async () => {
    for (const phone of ['abc', '123', '120363000000000001@g.us', '+1 555 abc 0000']) {
      const res = await call('POST', '/contacts', { instance_id: first.uuid, phone_number: phone })
      expect(res.status, phone).toBe(422)
      expect(res.body.error.details).toHaveProperty('phone_number')
    }
    const email = await call('POST', '/contacts', {
      instance_id: first.uuid,
      phone_number: '15558000009',
      email: 'no',
    })
    expect(email.status).toBe(422)
    expect(email.body.error.details).toHaveProperty('email')
    expect((await call('POST', '/contacts', { phone_number: '15558000009' })).status).toBe(422)

    const taken = await call('POST', '/contacts', {
      instance_id: first.uuid,
      phone_number: '+1-555-800-0001',
    })
    expect(taken.status).toBe(409)
    expect(taken.body.error).toMatchObject({
      code: 'CONFLICT',
      details: { phone_number: [expect.any(String)] },
    })
    // Unique per instance: the same number may be a contact of another instance.
    const elsewhere = await call('POST', '/contacts', {
      instance_id: second.uuid,
      phone_number: '15558000001',
    })
    expect(elsewhere.status).toBe(201)
  })

  it('are read by id or uuid and updated with PUT and PATCH alike', async () => {
    const list = await call('GET', `/contacts?instance_id=${first.uuid}&search=john`)
    const john = list.body.data[0]
    expect((await call('GET', `/contacts/${john.id}`)).body.data.uuid).toBe(john.uuid)
    expect((await call('GET', `/contacts/${john.uuid}`)).body.data.id).toBe(john.id)

    const put = await call('PUT', `/contacts/${john.uuid}`, {
      name: 'John Smith',
      company: 'Globex',
      notes: null,
    })
    expect(put.status).toBe(200)
    expect(put.body.data).toMatchObject({
      name: 'John Smith',
      company: 'Globex',
      notes: null,
      email: 'john@example.com',
    })
    const patch = await call('PATCH', `/contacts/${john.id}`, {
      first_name: 'Johnny',
      custom_fields: { vip: true },
    })
    expect(patch.body.data).toMatchObject({
      name: 'John Smith',
      first_name: 'Johnny',
      custom_fields: { vip: true },
    })
    const phone = await call('PATCH', `/contacts/${john.id}`, { phone_number: '+1 555 800 0010' })
    expect(phone.body.data.phone_number).toBe('15558000010')
    const clash = await call('PATCH', `/contacts/${john.id}`, { phone_number: '15558000002' })
    expect(clash.status).toBe(409)
    expect((await call('PUT', `/contacts/${john.id}`, { phone_number: 'nope' })).status).toBe(422)
    expect((await call('PUT', `/contacts/${john.id}`, { email: 'bad' })).status).toBe(422)
    // The search follows the new names.
    expect((await call('GET', '/contacts?search=globex')).body.data.map((c: any) => c.id)).toEqual([john.id])
    expect((await call('GET', '/contacts?search=acme')).body.data).toEqual([])
  })

  it('are listed with search, sorting, instance filter and pages', async () => {
    await call('POST', '/contacts', {
      instance_id: first.uuid,
      phone_number: '15558000020',
      name: 'Ávila Zé',
    })
    const byAccent = await call('GET', '/contacts?search=avila')
    expect(byAccent.body.data.map((c: any) => c.name)).toEqual(['Ávila Zé'])
    expect(
      (await call('GET', '/contacts?search=800-0002')).body.data.map((c: any) => c.phone_number),
    ).toEqual(['15558000002'])
    expect((await call('GET', '/contacts?search=example.com')).body.data).toHaveLength(1)

    const sorted = await call('GET', `/contacts?instance_id=${first.uuid}&sort=phone_number&dir=asc`)
    expect(sorted.body.data.map((c: any) => c.phone_number)).toEqual([
      '15558000002',
      '15558000010',
      '15558000020',
    ])
    // Contacts without a value for the sort come last, either way.
    const byCompany = await call('GET', `/contacts?instance_id=${first.uuid}&sort=company&dir=desc`)
    expect(byCompany.body.data.map((c: any) => c.company)).toEqual(['Globex', null, null])
    const newest = await call('GET', `/contacts?instance_id=${first.uuid}&per_page=2`)
    expect(newest.body.data.map((c: any) => c.phone_number)).toEqual(['15558000020', '15558000002'])
    expect(newest.body.meta.pagination).toMatchObject({ total: 3, per_page: 2, last_page: 2 })
    expect((await call('GET', `/contacts?instance_id=${second.uuid}`)).body.data).toHaveLength(1)
    expect((await call('GET', '/contacts?is_group=true')).body.data).toEqual([])
    expect((await call('GET', '/contacts?sort=password')).status).toBe(422)
  })

  it("come from WhatsApp too, and list a contact's messages", async () => {
    await inbound(app, owner.token, first, { from: '15558000030', message: 'Oi!', push_name: 'Bia' })
    await inbound(app, owner.token, first, { from: '15558000030', message: 'Tudo bem?', push_name: 'Bia' })
    const found = await call('GET', '/contacts?search=bia')
    expect(found.body.data).toHaveLength(1)
    const bia = found.body.data[0]
    expect(bia).toMatchObject({
      phone_number: '15558000030',
      push_name: 'Bia',
      display_name: 'Bia',
      name: null,
    })
    const messages = await call('GET', `/contacts/${bia.uuid}/messages`)
    expect(messages.status).toBe(200)
    expect(messages.body.data.map((m: any) => m.message_body)).toEqual(['Tudo bem?', 'Oi!'])
    expect(messages.body.meta.pagination.total).toBe(2)
    const none = await call('GET', `/contacts?search=jane`)
    expect((await call('GET', `/contacts/${none.body.data[0].id}/messages`)).body.data).toEqual([])

    // Renaming the contact renames its conversation (and its search).
    await call('PATCH', `/contacts/${bia.id}`, { name: 'Beatriz Souza' })
    const conversation = await conversationOf(app, owner.token, '15558000030')
    expect(conversation.contact_name).toBe('Beatriz Souza')
    expect((await call('GET', '/conversations?search=beatriz')).body.data.map((c: any) => c.id)).toEqual([
      conversation.id,
    ])
  })

  it('are deleted; their conversation stays and a new contact takes it over', async () => {
    const bia = (await call('GET', '/contacts?search=beatriz')).body.data[0]
    const removed = await call('DELETE', `/contacts/${bia.uuid}`)
    expect(removed.status).toBe(200)
    expect(removed.body).toEqual({ success: true, message: 'Contact deleted successfully' })
    expect((await call('GET', `/contacts/${bia.uuid}`)).status).toBe(404)
    const conversation = await conversationOf(app, owner.token, '15558000030')
    expect(conversation.contact_id).toBeNull()
    expect((await call('GET', '/conversations?search=beatriz')).body.data).toEqual([])

    const again = await call('POST', '/contacts', {
      instance_id: first.uuid,
      phone_number: '15558000030',
      name: 'Bea',
    })
    expect(again.status).toBe(201)
    const relinked = await conversationOf(app, owner.token, '15558000030')
    expect(relinked).toMatchObject({ contact_id: again.body.data.id, contact_name: 'Bea' })
  })

  it('are 404 to another tenant and outside an sk_ token instance', async () => {
    const john = (await call('GET', `/contacts?instance_id=${first.uuid}&search=smith`)).body.data[0]
    const paths: [string, string, unknown?][] = [
      ['GET', `/contacts/${john.id}`],
      ['GET', `/contacts/${john.uuid}`],
      ['PUT', `/contacts/${john.uuid}`, { name: 'x' }],
      ['PATCH', `/contacts/${john.uuid}`, { name: 'x' }],
      ['DELETE', `/contacts/${john.uuid}`],
      ['GET', `/contacts/${john.uuid}/messages`],
    ]
    for (const [method, path, body] of paths) {
      expect((await call(method, path, body, stranger.token)).status, `${method} ${path}`).toBe(404)
    }
    expect((await call('GET', '/contacts', undefined, stranger.token)).body.data).toEqual([])
    const foreignInstance = await call(
      'POST',
      '/contacts',
      { instance_id: first.uuid, phone_number: '15558000099' },
      stranger.token,
    )
    expect(foreignInstance.status).toBe(404)

    const sk = await instanceToken(app, owner.token, second)
    const visible = await call('GET', '/contacts', undefined, sk)
    expect(visible.body.data.every((c: any) => c.instance_id === second.id)).toBe(true)
    expect(visible.body.data).toHaveLength(1)
    for (const [method, path, body] of paths) {
      expect((await call(method, path, body, sk)).status, `sk_ ${method} ${path}`).toBe(404)
    }
    expect((await call('GET', `/contacts?instance_id=${first.uuid}`, undefined, sk)).status).toBe(404)
    // Bound to its instance: no instance_id needed to create.
    const made = await call('POST', '/contacts', { phone_number: '15558000040', name: 'Via token' }, sk)
    expect(made.status).toBe(201)
    expect(made.body.data.instance_id).toBe(second.id)
  })

  it('clear a field set to null', async () => {
    const created = await call('POST', '/contacts', {
      instance_id: first.uuid,
      phone_number: '15558000099',
      name: 'Nulla',
      company: 'Acme',
      notes: 'keep me',
      custom_fields: { tier: 'gold' },
    })
    expect(created.status).toBe(201)
    const cleared = await call('PATCH', `/contacts/${created.body.data.uuid}`, {
      company: null,
      notes: null,
      custom_fields: null,
    })
    expect(cleared.status).toBe(200)
    const read = await call('GET', `/contacts/${created.body.data.uuid}`)
    expect(read.body.data).toMatchObject({ name: 'Nulla', company: null, notes: null })
    const stored = await app.database.db
      .selectFrom('contacts')
      .select(['company', 'notes'])
      .where('uuid', '=', created.body.data.uuid)
      .executeTakeFirstOrThrow()
    expect(stored).toEqual({ company: null, notes: null })
  })
})
