import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTestApp, type TestApp } from '../helpers/app.js'
import { TEST_DB } from '../helpers/database.js'
import { connectedInstance, conversationOf, inbound, type Owner } from './support.js'

describe(`conversation history (${TEST_DB})`, () => {
  let app: TestApp
  let owner: Owner
  let conversation: { id: string }
  let ids: number[]
  let uuids: string[]

  beforeAll(async () => {
    app = await startTestApp()
    owner = await app.register()
    const instance = await connectedInstance(app, owner.token, '15550001111')
    for (let n = 1; n <= 8; n++) {
      await inbound(app, owner.token, instance, { from: '15552220000', message: `m${n}`, push_name: 'Pat' })
    }
    conversation = await conversationOf(app, owner.token, '15552220000')
    const all = await page('')
    ids = all.messages.map((m: any) => m.id)
    uuids = all.messages.map((m: any) => m.uuid)
  })
  afterAll(() => app.close())

  async function page(query: string, path = 'conversations') {
    const res = await app.request('GET', `/api/v1/${path}/${conversation.id}/messages${query}`, {
      token: owner.token,
    })
    expect(res.status, res.text).toBe(200)
    return res.body.data
  }
  const bodies = (data: any) => data.messages.map((m: any) => m.message_body)

  it('answers the newest messages oldest first, with has_more and the ids at both ends', async () => {
    const all = await page('')
    expect(bodies(all)).toEqual(['m1', 'm2', 'm3', 'm4', 'm5', 'm6', 'm7', 'm8'])
    expect(all).toMatchObject({ has_more: false, oldest_id: ids[0], newest_id: ids[7] })

    const last = await page('?limit=3')
    expect(bodies(last)).toEqual(['m6', 'm7', 'm8'])
    expect(last).toMatchObject({ has_more: true, oldest_id: ids[5], newest_id: ids[7] })
  })

  it('scrolls back with before_id and forward with after_id (id or uuid)', async () => {
    const older = await page(`?limit=3&before_id=${ids[5]}`)
    expect(bodies(older)).toEqual(['m3', 'm4', 'm5'])
    expect(older.has_more).toBe(true)
    const oldest = await page(`?limit=3&before_id=${uuids[2]}`)
    expect(bodies(oldest)).toEqual(['m1', 'm2'])
    expect(oldest.has_more).toBe(false)
    const none = await page(`?before_id=${ids[0]}`)
    expect(none).toEqual({ messages: [], has_more: false, oldest_id: null, newest_id: null })

    const newer = await page(`?limit=3&after_id=${ids[1]}`)
    expect(bodies(newer)).toEqual(['m3', 'm4', 'm5'])
    expect(newer.has_more).toBe(true)
    const newest = await page(`?limit=3&after_id=${uuids[5]}`)
    expect(bodies(newest)).toEqual(['m7', 'm8'])
    expect(newest.has_more).toBe(false)

    const between = await page(`?after_id=${ids[1]}&before_id=${ids[5]}`)
    expect(bodies(between)).toEqual(['m3', 'm4', 'm5'])
  })

  it('filters by time with from and to', async () => {
    const all = (await page('')).messages
    const from = all[4].created_at
    const fromHere = await page(`?from=${encodeURIComponent(from)}`)
    expect(fromHere.messages.every((m: any) => m.created_at >= from)).toBe(true)
    expect(bodies(fromHere)).toContain('m8')
    const until = await page(`?to=${encodeURIComponent(all[0].created_at)}`)
    expect(until.messages.every((m: any) => m.created_at <= all[0].created_at)).toBe(true)
    expect(bodies(until)).toContain('m1')
    expect(bodies(until)).not.toContain('m8')
  })

  it('rejects a limit over 100 and a cursor of another conversation', async () => {
    const tooMany = await app.request('GET', `/api/v1/conversations/${conversation.id}/messages?limit=101`, {
      token: owner.token,
    })
    expect(tooMany.status).toBe(422)
    const stranger = await app.request(
      'GET',
      `/api/v1/conversations/${conversation.id}/messages?before_id=00000000-0000-7000-8000-000000000000`,
      { token: owner.token },
    )
    expect(stranger.status).toBe(422)
    expect(stranger.body.error.details).toHaveProperty('before_id')
  })

  it('gives the chat shape with format=chat and on the Chat API, the standard one otherwise', async () => {
    const standard = await page('?limit=1')
    expect(standard.messages[0]).not.toHaveProperty('formatted_body')
    expect(standard.messages[0]).toMatchObject({ id: ids[7], unique_id: uuids[7], is_from_me: false })
    for (const chat of [await page('?limit=1&format=chat'), await page('?limit=1', 'chat/conversations')]) {
      expect(chat.messages[0]).toMatchObject({
        id: ids[7],
        direction: 'incoming',
        is_from_me: false,
        message_body: 'm8',
        formatted_body: 'm8',
        sender_name: 'Pat',
        mentioned_jids: [],
        grouped_reactions: [],
      })
      expect(chat).toMatchObject({ has_more: true, oldest_id: ids[7], newest_id: ids[7] })
    }
  })
})
