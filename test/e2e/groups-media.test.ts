import { randomBytes } from 'node:crypto'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { crc32, deflateSync } from 'node:zlib'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { TestApp } from '../helpers/app.js'
import { eventually } from '../helpers/wait.js'
import {
  type Contact,
  type Phone,
  startSimulator,
  textOf,
  trustSimulator,
  type WaSimulator,
} from '../wa-sim/index.js'
import {
  apiMessage,
  download,
  instanceToken,
  type LinkedInstance,
  linkedInstance,
  type Owner,
  startZapini,
  WAIT,
} from './support.js'

/** A real PNG of random pixels (a few KB, so that its encryption spans many blocks). */
function randomPng(width = 32, height = 32): Buffer {
  const chunk = (type: string, data: Buffer) => {
    const body = Buffer.concat([Buffer.from(type, 'ascii'), data])
    const out = Buffer.alloc(body.length + 8)
    out.writeUInt32BE(data.length, 0)
    body.copy(out, 4)
    out.writeUInt32BE(crc32(body), body.length + 4)
    return out
  }
  const header = Buffer.alloc(13)
  header.writeUInt32BE(width, 0)
  header.writeUInt32BE(height, 4)
  header.set([8, 2, 0, 0, 0], 8) // 8-bit RGB
  const rows = Array.from({ length: height }, () => Buffer.concat([Buffer.from([0]), randomBytes(width * 3)]))
  return Buffer.concat([
    Buffer.from('89504e470d0a1a0a', 'hex'),
    chunk('IHDR', header),
    chunk('IDAT', deflateSync(Buffer.concat(rows))),
    chunk('IEND', Buffer.alloc(0)),
  ])
}

/** A local web server the instance downloads the images it sends from. */
async function fileServer(files: Record<string, Buffer>) {
  const server = http.createServer((req, res) => {
    const file = files[req.url ?? '']
    if (!file) return res.writeHead(404).end()
    res.writeHead(200, { 'content-type': 'image/png', 'content-length': String(file.length) })
    res.end(file)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: (path: string) => `http://127.0.0.1:${port}${path}`,
    close: () => new Promise((resolve) => server.close(resolve)),
  }
}

/**
 * Groups and images through the HTTP API of a `baileys` instance, against the WhatsApp simulator:
 * group messages are encrypted with sender keys, images are uploaded to and downloaded from the
 * simulator's media servers with WhatsApp's media encryption.
 */
describe('groups and images of a baileys instance, through the HTTP API', () => {
  const photo = randomPng()
  const reply = randomPng(24, 24)
  let files: Awaited<ReturnType<typeof fileServer>>
  let sim: WaSimulator
  let app: TestApp
  let owner: Owner
  let phone: Phone
  let alice: Contact
  let bob: Contact
  let instance: LinkedInstance
  let paths: Set<string>

  beforeAll(async () => {
    files = await fileServer({ '/photo.png': photo, '/reply.png': reply })
    sim = await startSimulator()
    trustSimulator(sim)
    // The images come from the loopback server above.
    app = await startZapini(sim.url, { deps: { mediaFetch: { allowPrivateHosts: true } } })
    owner = await app.register()
    phone = sim.createPhone({ pushName: 'Owner' })
    alice = sim.createContact({ pushName: 'Alice' })
    bob = sim.createContact({ pushName: 'Bob' })
    instance = await linkedInstance(app, owner, phone)
    const spec = await app.request('GET', '/api/v1/openapi.json')
    paths = new Set(Object.keys(spec.body.paths ?? {}))
  })
  afterAll(async () => {
    await app?.close()
    await sim?.close()
    await files?.close()
  })

  /** A queued message's status, once it is `status`. */
  const statusOf = (uuid: string, status: string) =>
    eventually(async () => {
      const res = await app.request('GET', `/api/v1/messages/${uuid}/status`, { token: owner.token })
      expect(res.body.data.status).toBe(status)
      return res.body.data
    }, WAIT)

  it("stores a message written in a contact's group, and the instance's reply reaches every member", async () => {
    const group = sim.createGroup('Family', alice, [phone, bob])
    const id = await alice.sendGroupText(group.id, 'hello family')
    const incoming = await apiMessage(app, owner, instance.uuid, id, 'incoming')
    expect(incoming).toMatchObject({
      chat_jid: group.id,
      message_body: 'hello family',
      sender_number: alice.phoneNumber,
      sender_name: 'Alice',
    })
    const list = await app.request('GET', `/api/v1/conversations?instance_id=${instance.uuid}`, {
      token: owner.token,
    })
    expect(list.status, list.text).toBe(200)
    const conversation = list.body.data.find((c: { chat_jid: string }) => c.chat_jid === group.id)
    expect(conversation).toMatchObject({ numeric_id: incoming.conversation_id, is_group: true })

    const queued = await app.request('POST', '/api/v1/messages/send', {
      token: owner.token,
      body: { instance_id: instance.uuid, recipient: group.id, message: 'hi both 👋' },
    })
    expect(queued.status, queued.text).toBe(201)
    for (const member of [alice, bob]) {
      const got = await member.waitForMessage((m) => m.chat === group.id && m.from === phone.jid, WAIT)
      expect(textOf(got)).toBe('hi both 👋')
      expect(got.encType).toBe('skmsg')
    }
    // The members' phones confirm delivery.
    const delivered = await statusOf(queued.body.data.uuid, 'delivered')
    expect(delivered.delivered_at).not.toBeNull()
    expect(sim.errors).toEqual([])
  })

  it('creates a group through the API; members get its messages and their answers are stored', async () => {
    const created = await app.request('POST', `/api/v1/instances/${instance.uuid}/groups`, {
      token: owner.token,
      body: { subject: 'Team', participants: [`+${alice.phoneNumber}`, bob.jid] },
    })
    expect(created.status, created.text).toBe(201)
    const jid = created.body.data.group.jid as string
    expect(jid).toMatch(/@g\.us$/)
    expect(created.body.data.group).toMatchObject({ subject: 'Team', size: 3 })
    const group = sim.groups.find(jid)
    expect(group?.subject).toBe('Team')
    expect(group?.participants.size).toBe(3)

    const queued = await app.request('POST', '/api/v1/messages/send', {
      token: owner.token,
      body: { instance_id: instance.uuid, recipient: jid, message: 'welcome to the team' },
    })
    expect(queued.status, queued.text).toBe(201)
    for (const member of [alice, bob]) {
      const got = await member.waitForMessage((m) => m.chat === jid, WAIT)
      expect(textOf(got)).toBe('welcome to the team')
    }
    const answer = await bob.sendGroupText(jid, 'thanks!')
    const stored = await apiMessage(app, owner, instance.uuid, answer, 'incoming')
    expect(stored).toMatchObject({ chat_jid: jid, sender_number: bob.phoneNumber, message_body: 'thanks!' })
    expect(sim.errors).toEqual([])
  })

  it('sends an image with POST /send-media that the contact downloads, decrypts and finds equal', async () => {
    const sk = await instanceToken(app, owner, instance.uuid)
    const uploads = sim.media.uploads.items.length
    const res = await app.request('POST', '/send-media', {
      token: sk,
      body: {
        recipient: `+${alice.phoneNumber}`,
        media_url: files.url('/photo.png'),
        media_type: 'image',
        caption: 'a picture',
      },
    })
    expect(res.status, res.text).toBe(200)
    const got = await alice.waitForMessage((m) => m.id === res.body.message_id, WAIT)
    expect(got.message.imageMessage).toMatchObject({ caption: 'a picture', mimetype: 'image/png' })
    const { kind, data } = alice.downloadMedia(got)
    expect(kind).toBe('image')
    expect(data.equals(photo)).toBe(true)
    expect(sim.media.uploads.items.length).toBe(uploads + 1)
    expect(sim.errors).toEqual([])
  })

  it('queues an image with POST /api/v1/messages/send-media that reaches the contact equal', async (ctx) => {
    if (!paths.has('/api/v1/messages/send-media')) ctx.skip()
    const queued = await app.request('POST', '/api/v1/messages/send-media', {
      token: owner.token,
      body: {
        instance_id: instance.uuid,
        recipient: `+${alice.phoneNumber}`,
        media_url: files.url('/reply.png'),
        caption: 'queued picture',
      },
    })
    expect(queued.status, queued.text).toBe(201)
    expect(queued.body.data).toMatchObject({ type: 'image', status: 'pending' })
    const got = await alice.waitForMessage((m) => m.message.imageMessage?.caption === 'queued picture', WAIT)
    expect(alice.downloadMedia(got).data.equals(reply)).toBe(true)
    const delivered = await statusOf(queued.body.data.uuid, 'delivered')
    expect(delivered.delivered_at).not.toBeNull()
    const message = await app.request('GET', `/api/v1/messages/${queued.body.data.uuid}`, {
      token: owner.token,
    })
    expect(message.body.data.whatsapp_message_id).toBe(got.id)
    expect(sim.errors).toEqual([])
  })

  it("stores a contact's image as an incoming image message", async () => {
    const id = await alice.sendImage(phone.jid, photo, { caption: 'from alice', mimetype: 'image/png' })
    const stored = await apiMessage(app, owner, instance.uuid, id, 'incoming')
    expect(stored).toMatchObject({
      type: 'image',
      caption: 'from alice',
      media_mime_type: 'image/png',
      media_size: photo.length,
      sender_number: alice.phoneNumber,
    })
    if (paths.has('/api/v1/messages/{uuid}/media')) {
      // The file itself, downloaded from WhatsApp and decrypted by the instance.
      const file = await eventually(async () => {
        const res = await download(app, `/api/v1/messages/${stored.uuid}/media`, owner.token)
        expect(res.status).toBe(200)
        return res
      }, WAIT)
      expect(file.type).toMatch(/^image\/png/)
      expect(file.body.equals(photo)).toBe(true)
    }
    expect(sim.errors).toEqual([])
  })
})
