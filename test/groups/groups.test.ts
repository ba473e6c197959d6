import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { SandboxNetwork } from '../../src/engine/sandbox/index.js'
import {
  keysOf,
  type SandboxPhone,
  sandboxInstance,
  sandboxPhone,
  type TestInstance,
} from '../direct/support.js'
import { startTestApp, type TestApp } from '../helpers/app.js'
import { eventually } from '../helpers/wait.js'

describe('groups under /api/v1/instances/{uuid}/groups', () => {
  const network = new SandboxNetwork()
  let app: TestApp
  let owner: Awaited<ReturnType<TestApp['register']>>
  let me: TestInstance
  let ana: SandboxPhone
  let bruno: SandboxPhone
  let jid: string
  let base: string
  const as = (body?: unknown) => ({ token: owner.token, ...(body === undefined ? {} : { body }) })

  beforeAll(async () => {
    app = await startTestApp({ deps: { sandboxNetwork: network } })
    owner = await app.register()
    me = await sandboxInstance(app, owner.token, { phone: '15554440001' })
    ana = await sandboxPhone(network, '15554440011')
    bruno = await sandboxPhone(network, '15554440012')
    base = `/api/v1/instances/${me.uuid}/groups`
  })
  afterAll(async () => {
    await Promise.all([ana.close(), bruno.close()])
    await app.close()
  })

  it('creates a group with participants (201, the web docs shape)', async () => {
    const res = await app.request(
      'POST',
      base,
      as({
        subject: 'My New Group',
        participants: ['15554440011', '+1 555 444 0012', '15554440013@s.whatsapp.net'],
      }),
    )
    expect(res.status).toBe(201)
    expect(res.body).toMatchObject({
      success: true,
      message: 'Group created successfully',
      data: { message: 'Group created successfully', group: { subject: 'My New Group', size: 4 } },
    })
    jid = res.body.data.group.jid
    expect(jid).toMatch(/^120363\d+@g\.us$/)
    expect(res.body.data.group.owner).toBe('15554440001@s.whatsapp.net')
    const roles = Object.fromEntries(
      res.body.data.group.participants.map((p: { jid: string; admin: string | null }) => [p.jid, p.admin]),
    )
    expect(roles).toEqual({
      '15554440001@s.whatsapp.net': 'superadmin',
      '15554440011@s.whatsapp.net': null,
      '15554440012@s.whatsapp.net': null,
      '15554440013@s.whatsapp.net': null,
    })
    // The group exists on WhatsApp's side: a member sees it.
    expect((await ana.engine.groupMetadata(jid)).subject).toBe('My New Group')
  })

  it('refuses a participant that is not a number, and a missing subject', async () => {
    const bad = await app.request('POST', base, as({ subject: 'X', participants: ['15554440011', 'abc'] }))
    expect(bad.status).toBe(422)
    expect(bad.body.error.details).toHaveProperty(['participants.1'])
    const noSubject = await app.request('POST', base, as({ participants: ['15554440011'] }))
    expect(noSubject.status).toBe(422)
    expect(noSubject.body.error.details).toHaveProperty('subject')
    const none = await app.request('POST', base, as({ subject: 'X', participants: [] }))
    expect(none.status).toBe(422)
  })

  it('lists the groups as data.groups with total', async () => {
    const res = await app.request('GET', base, as())
    expect(res.status).toBe(200)
    expect(res.body.data.total).toBe(1)
    const [group] = res.body.data.groups
    expect(group).toMatchObject({
      jid,
      subject: 'My New Group',
      owner: '15554440001@s.whatsapp.net',
      size: 4,
    })
    expect(keysOf(group)).toEqual(
      expect.arrayContaining([
        'jid',
        'subject',
        'owner',
        'size',
        'description',
        'participants_count',
        'creation',
      ]),
    )
    expect(res.body.meta.pagination).toMatchObject({ total: 1, current_page: 1 })
  })

  it('shows the metadata, whether the JID comes URL-encoded, raw or bare', async () => {
    for (const ref of [encodeURIComponent(jid), jid, jid.replace('@g.us', '')]) {
      const res = await app.request('GET', `${base}/${ref}`, as())
      expect(res.status, ref).toBe(200)
      expect(res.body.data).toMatchObject({ jid, subject: 'My New Group', description: null, size: 4 })
      expect(res.body.data.participants).toContainEqual(
        expect.objectContaining({ jid: '15554440011@s.whatsapp.net', admin: null }),
      )
    }
  })

  it('an unknown group is 404, a malformed JID 422', async () => {
    const unknown = await app.request('GET', `${base}/120363999999999999%40g.us`, as())
    expect(unknown.status).toBe(404)
    expect(unknown.body.error.code).toBe('NOT_FOUND')
    const malformed = await app.request('GET', `${base}/hello`, as())
    expect(malformed.status).toBe(422)
    expect(malformed.body.error.details).toHaveProperty('jid')
  })

  it('changes the subject and the description', async () => {
    const res = await app.request(
      'PATCH',
      `${base}/${encodeURIComponent(jid)}`,
      as({ subject: 'New Group Name', description: 'Updated description' }),
    )
    expect(res.status).toBe(200)
    expect(res.body.data).toMatchObject({ subject: 'New Group Name', description: 'Updated description' })
    const seen = await ana.engine.groupMetadata(jid)
    expect(seen).toMatchObject({ subject: 'New Group Name', description: 'Updated description' })

    const onlyDescription = await app.request(
      'PATCH',
      `${base}/${jid}`,
      as({ description: 'Team discussions' }),
    )
    expect(onlyDescription.body.data).toMatchObject({
      subject: 'New Group Name',
      description: 'Team discussions',
    })
    const nothing = await app.request('PATCH', `${base}/${jid}`, as({}))
    expect(nothing.status).toBe(422)
  })

  it('promotes and demotes admins, answering per participant', async () => {
    const promote = await app.request('POST', `${base}/${jid}/admins`, as({ participants: ['15554440011'] }))
    expect(promote.status).toBe(200)
    expect(promote.body.message).toBe('Participants promoted to admin')
    expect(promote.body.data).toMatchObject({
      jid,
      action: 'promote',
      succeeded: 1,
      failed: 0,
      participants: [{ jid: '15554440011@s.whatsapp.net', phone: '15554440011', status: 200, success: true }],
    })
    expect((await ana.engine.groupMetadata(jid)).participants).toContainEqual(
      expect.objectContaining({ phone: '15554440011', admin: 'admin' }),
    )

    const demote = await app.request('DELETE', `${base}/${jid}/admins`, as({ participants: ['15554440011'] }))
    expect(demote.body.data.participants[0]).toMatchObject({ status: 200, success: true })
    const meta = await app.request('GET', `${base}/${jid}`, as())
    expect(meta.body.data.participants).toContainEqual(
      expect.objectContaining({ jid: '15554440011@s.whatsapp.net', admin: null }),
    )

    const outsider = await app.request('POST', `${base}/${jid}/admins`, as({ participants: ['15554449999'] }))
    expect(outsider.status).toBe(200)
    expect(outsider.body.message).toBe('0 of 1 participants promoted')
    expect(outsider.body.data.participants[0]).toMatchObject({ status: 404, success: false })
  })

  it('gets the invite link and revokes it for a different one', async () => {
    const invite = await app.request('GET', `${base}/${jid}/invite`, as())
    expect(invite.status).toBe(200)
    const { code } = invite.body.data
    expect(invite.body.data).toEqual({ code, invite_link: `https://chat.whatsapp.com/${code}` })

    const revoked = await app.request('DELETE', `${base}/${jid}/invite`, as())
    expect(revoked.status).toBe(200)
    expect(revoked.body.message).toBe('Invite link revoked')
    const { new_code } = revoked.body.data
    expect(new_code).not.toBe(code)
    expect(revoked.body.data.new_invite_link).toBe(`https://chat.whatsapp.com/${new_code}`)

    const again = await app.request('GET', `${base}/${jid}/invite`, as())
    expect(again.body.data.code).toBe(new_code)
  })

  it('adds and removes participants with one result each', async () => {
    const add = await app.request(
      'POST',
      `${base}/${jid}/participants`,
      as({ participants: ['15554440021', '15554440011', '15554440000'] }),
    )
    expect(add.status).toBe(200)
    expect(add.body.data.participants.map((p: { status: number }) => p.status)).toEqual([200, 409, 404])
    expect(add.body.data).toMatchObject({ action: 'add', succeeded: 1, failed: 2 })
    expect(add.body.message).toBe('1 of 3 participants added')
    expect(add.body.data.participants[1].result).toContain('already')
    await eventually(() =>
      expect(
        ana.seen.group.some(
          (g) => g.action === 'add' && g.participants.some((p) => p.phone === '15554440021'),
        ),
      ).toBe(true),
    )

    const remove = await app.request(
      'DELETE',
      `${base}/${jid}/participants`,
      as({ participants: ['15554440021', '15554440031'] }),
    )
    expect(remove.body.data.participants.map((p: { status: number }) => p.status)).toEqual([200, 404])
    const meta = await app.request('GET', `${base}/${jid}`, as())
    expect(meta.body.data.size).toBe(4)
    expect(meta.body.data.participants.map((p: { jid: string }) => p.jid)).not.toContain(
      '15554440021@s.whatsapp.net',
    )

    const invalid = await app.request('POST', `${base}/${jid}/participants`, as({ participants: ['no'] }))
    expect(invalid.status).toBe(422)
  })

  it('in a group where it is not an admin, admin actions are 403', async () => {
    const theirs = await bruno.engine.createGroup('Bruno group', ['15554440001'])
    const meta = await app.request('GET', `${base}/${encodeURIComponent(theirs.jid)}`, as())
    expect(meta.status).toBe(200)
    const invite = await app.request('GET', `${base}/${theirs.jid}/invite`, as())
    expect(invite.status).toBe(403)
    expect(invite.body.error.code).toBe('FORBIDDEN')
    const add = await app.request(
      'POST',
      `${base}/${theirs.jid}/participants`,
      as({ participants: ['15554440011'] }),
    )
    expect(add.status).toBe(403)
  })

  it('leaves a group; afterwards the group is 404 and gone from the list', async () => {
    const res = await app.request('POST', `${base}/${encodeURIComponent(jid)}/leave`, as())
    expect(res.status).toBe(200)
    expect(res.body).toMatchObject({ success: true, message: 'Left the group', data: { jid } })
    expect((await ana.engine.groupMetadata(jid)).participants.map((p) => p.phone)).not.toContain(
      '15554440001',
    )

    for (const [method, path] of [
      ['GET', `${base}/${jid}`],
      ['GET', `${base}/${jid}/invite`],
      ['POST', `${base}/${jid}/leave`],
    ] as const) {
      const gone = await app.request(method, path, as())
      expect(gone.status, `${method} ${path}`).toBe(404)
    }
    const list = await app.request('GET', base, as())
    expect(list.body.data.groups.map((g: { jid: string }) => g.jid)).not.toContain(jid)
  })
})
