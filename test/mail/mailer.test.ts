import net from 'node:net'
import pino from 'pino'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createMailer, SMTP_TIMEOUTS } from '../../src/mail/mailer.js'

describe('SMTP mailer timeouts', () => {
  // Accepts connections and never says a word: no greeting, no answer.
  let silent: net.Server
  let port: number
  const sockets = new Set<net.Socket>()
  beforeAll(async () => {
    silent = net.createServer((socket) => {
      sockets.add(socket)
      socket.on('close', () => sockets.delete(socket))
    })
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve))
    port = (silent.address() as net.AddressInfo).port
  })
  afterAll(async () => {
    for (const socket of sockets) socket.destroy()
    await new Promise<void>((resolve) => silent.close(() => resolve()))
  })

  it('waits seconds, not minutes, by default', () => {
    expect(SMTP_TIMEOUTS).toEqual({
      connectionTimeout: 10_000,
      greetingTimeout: 10_000,
      socketTimeout: 30_000,
    })
  })

  it('gives up on a server that never greets, after the timeout SMTP_URL may set', async () => {
    const mailer = createMailer(
      { url: `smtp://127.0.0.1:${port}/?greetingTimeout=200`, from: 'Zapini <no-reply@localhost>' },
      pino({ level: 'silent' }),
    )
    const sent = mailer.send({ to: 'someone@example.com', subject: 'Hello', text: 'Hello' })
    await expect(sent).rejects.toMatchObject({ code: 'ETIMEDOUT' })
  })
})
