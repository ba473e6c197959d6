import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { SandboxNetwork } from '../../src/engine/sandbox/index.js'
import { instanceToken, keysOf, sandboxInstance, type TestInstance } from '../direct/support.js'
import { startTestApp, type TestApp } from '../helpers/app.js'

describe('groups: the direct forms and who may reach them', () => {
  const network = new SandboxNetwork()
  let app: TestApp
  let owner: Awaited<ReturnType<TestApp['register']>>
  let other: Awaited<ReturnType<TestApp['register']>>
  let me: TestInstance
  let sibling: TestInstance
  let sk: string
  let skSibling: string
  let jid: string

  beforeAll(async () => {
    app = await startTestApp({ deps: { sandboxNetwork: network } })
    owner = await app.register()
    other = await app.register()
    me = await sandboxInstance(app, owner.token, { phone: '15556660001' })
    sibling = await sandboxInstance(app, owner.token, { phone: '15556660002' })
    sk = await instanceToken(app, owner.token, me.uuid)
    skSibling = await instanceToken(app, owner.token, sibling.uuid)
  })
  afterAll(() => app.close())

  it('POST /group/create {subject, participants} on the instance host', async () => {
    const res = await app.request('POST', '/group/create', {
      token: owner.token,
      headers: { host: me.host },
      body: { subject: 'My Group', participants: ['15556660002', '+1 555 666 0003'] },
    })
    expect(res.status).toBe(201)
    expect(res.body).toMatchObject({ success: true, message: 'Group created successfully' })
    expect(res.body.group).toMatchObject({ subject: 'My Group', size: 3, participants_count: 3 })
    jid = res.body.group.jid
    expect(jid).toMatch(/@g\.us$/)
  })

  it('GET /groups answers the reference shape', async () => {
    const res = await app.request('GET', '/groups', { token: sk })
    expect(res.status).toBe(200)
    expect(keysOf(res.body)).toEqual(['groups', 'success'])
    expect(res.body.groups).toHaveLength(1)
    const [group] = res.body.groups
    expect(group).toMatchObject({ jid, subject: 'My Group', participants_count: 3 })
    expect(Number.isInteger(group.creation)).toBe(true)
    expect(Math.abs(group.creation - Date.now() / 1000)).toBeLessThan(120)
    expect(new Date(group.created_at).getTime()).toBe(group.creation * 1000)

    // The sibling instance was added: the group is in its list too.
    const theirs = await app.request('GET', '/groups', { token: skSibling })
    expect(theirs.body.groups.map((g: { jid: string }) => g.jid)).toEqual([jid])
  })

  it('GET /group/{jid}/metadata with the JID encoded or not', async () => {
    for (const ref of [encodeURIComponent(jid), jid]) {
      const res = await app.request('GET', `/group/${ref}/metadata`, {
        token: owner.token,
        headers: { host: me.host },
      })
      expect(res.status, ref).toBe(200)
      expect(res.body).toMatchObject({
        success: true,
        jid,
        subject: 'My Group',
        size: 3,
        owner: '15556660001@s.whatsapp.net',
      })
      expect(res.body.participants).toHaveLength(3)
      expect(res.body.participants).toContainEqual(
        expect.objectContaining({ jid: '15556660001@s.whatsapp.net', admin: 'superadmin' }),
      )
    }
    const unknown = await app.request('GET', '/group/120363999999999999@g.us/metadata', { token: sk })
    expect(unknown.status).toBe(404)
  })

  it('validates /group/create', async () => {
    for (const body of [
      { participants: ['15556660002'] },
      { subject: 'x' },
      { subject: 'x', participants: ['not a phone'] },
      { subject: '   ', participants: ['15556660002'] },
    ]) {
      const res = await app.request('POST', '/group/create', { token: sk, body })
      expect(res.status, JSON.stringify(body)).toBe(422)
    }
  })

  it('a user token on the main host is 400 INSTANCE_REQUIRED for every group form', async () => {
    for (const [method, path] of [
      ['GET', '/groups'],
      ['GET', `/group/${encodeURIComponent(jid)}/metadata`],
    ] as const) {
      const res = await app.request(method, path, { token: owner.token })
      expect(res.status).toBe(400)
      expect(res.body.error.code).toBe('INSTANCE_REQUIRED')
    }
    const create = await app.request('POST', '/group/create', {
      token: owner.token,
      body: { subject: 'x', participants: ['15556660002'] },
    })
    expect(create.body.error.code).toBe('INSTANCE_REQUIRED')
  })

  it('the web docs path works on the instance host without /api/v1, and with an sk_ token', async () => {
    const onHost = await app.request('GET', `/instances/${me.uuid}/groups`, {
      token: owner.token,
      headers: { host: me.host },
    })
    expect(onHost.status).toBe(200)
    expect(onHost.body.data.groups[0].jid).toBe(jid)

    const bySk = await app.request('GET', `/api/v1/instances/${me.id}/groups/${encodeURIComponent(jid)}`, {
      token: sk,
    })
    expect(bySk.status).toBe(200)
    expect(bySk.body.data.jid).toBe(jid)
  })

  it("another instance's token, another instance's host or another tenant: 404", async () => {
    const wrongToken = await app.request('GET', `/api/v1/instances/${me.uuid}/groups`, { token: skSibling })
    expect(wrongToken.status).toBe(404)
    const wrongHost = await app.request('GET', `/instances/${me.uuid}/groups`, {
      token: owner.token,
      headers: { host: sibling.host },
    })
    expect(wrongHost.status).toBe(404)
    for (const [method, path] of [
      ['GET', `/api/v1/instances/${me.uuid}/groups`],
      ['GET', `/api/v1/instances/${me.uuid}/groups/${jid}`],
      ['POST', `/api/v1/instances/${me.uuid}/groups/${jid}/leave`],
      ['DELETE', `/api/v1/instances/${me.uuid}/groups/${jid}/invite`],
    ] as const) {
      const res = await app.request(method, path, { token: other.token })
      expect(res.status, `${method} ${path}`).toBe(404)
    }
    const foreignHost = await app.request('GET', '/groups', {
      token: other.token,
      headers: { host: me.host },
    })
    expect(foreignHost.status).toBe(404)
    // Nothing happened to the group.
    const meta = await app.request('GET', `/group/${jid}/metadata`, { token: sk })
    expect(meta.body.size).toBe(3)
  })

  it('an instance that is not connected answers 409', async () => {
    const waiting = await sandboxInstance(app, owner.token, { connect: false })
    const routes = [
      ['GET', `/api/v1/instances/${waiting.uuid}/groups`, undefined],
      ['POST', `/api/v1/instances/${waiting.uuid}/groups`, { subject: 'x', participants: ['15556660002'] }],
      ['GET', `/api/v1/instances/${waiting.uuid}/groups/${jid}`, undefined],
    ] as const
    for (const [method, path, body] of routes) {
      const res = await app.request(method, path, { token: owner.token, ...(body ? { body } : {}) })
      expect(res.status, `${method} ${path}`).toBe(409)
      expect(res.body.error.code).toBe('INSTANCE_NOT_CONNECTED')
    }
    const direct = await app.request('GET', '/groups', {
      token: owner.token,
      headers: { host: waiting.host },
    })
    expect(direct.status).toBe(409)
  })
})
