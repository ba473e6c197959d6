import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createPasswordReset } from '../../src/auth/password-reset.js'
import { createLoginThrottle } from '../../src/auth/throttle.js'
import { systemClock } from '../../src/lib/clock.js'
import type { MailMessage } from '../../src/mail/mailer.js'
import { manualClock, startTestApp, type TestApp } from '../helpers/app.js'
import { type Mailbox, startMailbox } from './mailbox.js'
import { API, expectError, invalidFields, login, loginToken, meStatus, sha256 } from './support.js'

const NEW_PASSWORD = 'a brand new passphrase'

describe('POST /auth/password/change', () => {
  let app: TestApp
  beforeAll(async () => {
    app = await startTestApp()
  })
  afterAll(() => app.close())

  const change = (token: string, body: Record<string, unknown>) =>
    app.request('POST', `${API}/auth/password/change`, { token, body })

  it('refuses a wrong current password, a mismatch and a short password', async () => {
    const account = await app.register()
    const body = {
      current_password: account.password,
      password: NEW_PASSWORD,
      password_confirmation: NEW_PASSWORD,
    }
    expect(invalidFields(await change(account.token, { ...body, current_password: 'not it' }))).toEqual([
      'current_password',
    ])
    expect(invalidFields(await change(account.token, { ...body, password_confirmation: 'other' }))).toEqual([
      'password_confirmation',
    ])
    expect(
      invalidFields(
        await change(account.token, { ...body, password: 'short', password_confirmation: 'short' }),
      ),
    ).toEqual(['password'])
    expectError(await change('', body), 401, 'UNAUTHENTICATED')
    // Nothing changed.
    expect((await login(app, account.email, account.password)).status).toBe(200)
  })

  it('sets the new password and ends every other session, keeping the current one', async () => {
    const account = await app.register()
    const other = await loginToken(app, account.email, account.password)
    const res = await change(account.token, {
      current_password: account.password,
      password: NEW_PASSWORD,
      password_confirmation: NEW_PASSWORD,
    })
    expect(res.status).toBe(200)
    expect(res.body).toEqual({ success: true, message: expect.any(String) })
    expect(await meStatus(app, account.token)).toBe(200)
    expect(await meStatus(app, other)).toBe(401)
    expectError(await login(app, account.email, account.password), 401, 'INVALID_CREDENTIALS')
    expect((await login(app, account.email, NEW_PASSWORD)).status).toBe(200)
  })
})

describe('password reset by e-mail over SMTP', () => {
  const clock = manualClock()
  let mailbox: Mailbox
  let app: TestApp
  beforeAll(async () => {
    mailbox = await startMailbox()
    app = await startTestApp({
      clock,
      env: {
        SMTP_URL: mailbox.url,
        MAIL_FROM: 'Zapini <no-reply@zapini.test>',
        PASSWORD_RESET_TTL_MINUTES: '30',
        LOGIN_MAX_FAILURES: '3',
      },
    })
  })
  afterAll(async () => {
    await app.close()
    await mailbox.close()
  })

  const forgot = (email: string) => app.request('POST', `${API}/auth/password/forgot`, { body: { email } })
  const reset = (token: string, email: string, password = NEW_PASSWORD) =>
    app.request('POST', `${API}/auth/password/reset`, {
      body: { token, email, password, password_confirmation: password },
    })

  /** Asks for a reset and answers the token of the mail that came in. */
  async function requestToken(email: string): Promise<string> {
    const before = mailbox.mails.length
    expect((await forgot(email)).status).toBe(200)
    await mailbox.waitForMails(before + 1)
    expect(mailbox.mails).toHaveLength(before + 1)
    const mail = mailbox.mails.at(-1)!
    const token = /password\/reset: ([A-Za-z0-9]+)/.exec(mail.text)?.[1]
    expect(token).toBeDefined()
    return token!
  }

  it('mails a single-use token that sets a new password and ends every session', async () => {
    const account = await app.register()
    const other = await loginToken(app, account.email, account.password)
    const before = mailbox.mails.length

    const res = await forgot(account.email.toUpperCase())
    expect(res.status).toBe(200)
    expect(res.body).toEqual({ success: true, message: expect.any(String) })
    await mailbox.waitForMails(before + 1)
    expect(mailbox.mails).toHaveLength(before + 1)
    const mail = mailbox.mails.at(-1)!
    expect(mail.to).toEqual([account.email])
    expect(mail.from).toBe('no-reply@zapini.test')
    expect(mail.subject).toMatch(/reset/i)
    const token = /password\/reset: ([A-Za-z0-9]+)/.exec(mail.text)![1]!
    // The link carries the same token and the e-mail.
    const link = new URL(/(http\S+reset-password\S+)/.exec(mail.text)![1]!)
    expect(link.searchParams.get('token')).toBe(token)
    expect(link.searchParams.get('email')).toBe(account.email)
    // Only the token's hash is stored.
    const stored = await app.database.db.selectFrom('password_resets').select('token_hash').execute()
    expect(stored.map((r) => r.token_hash)).toContain(sha256(token))
    expect(JSON.stringify(stored)).not.toContain(token)

    const mismatch = await app.request('POST', `${API}/auth/password/reset`, {
      body: { token, email: account.email, password: NEW_PASSWORD, password_confirmation: 'other one' },
    })
    expect(invalidFields(mismatch)).toEqual(['password_confirmation'])

    const done = await reset(token, account.email)
    expect(done.status).toBe(200)
    expect(done.body).toEqual({ success: true, message: expect.any(String) })
    expect(await meStatus(app, account.token)).toBe(401)
    expect(await meStatus(app, other)).toBe(401)
    expect((await login(app, account.email, NEW_PASSWORD)).status).toBe(200)
    expectError(await login(app, account.email, account.password), 401, 'INVALID_CREDENTIALS')

    expectError(await reset(token, account.email, 'yet another password'), 400, 'INVALID_RESET_TOKEN')
    expect((await login(app, account.email, NEW_PASSWORD)).status).toBe(200)
  })

  it('answers an unknown e-mail exactly like a known one, and sends nothing', async () => {
    const account = await app.register()
    const before = mailbox.mails.length
    const known = await forgot(account.email)
    const unknown = await forgot('nobody-here@example.com')
    expect({ status: unknown.status, body: unknown.body }).toEqual({ status: known.status, body: known.body })
    // A second known request after the unknown one: once its mail is in, the unknown one had its
    // chance to send; only the two known mails came.
    expect((await forgot(account.email)).status).toBe(200)
    await mailbox.waitForMails(before + 2)
    expect(mailbox.mails.slice(before).map((m) => m.to)).toEqual([[account.email], [account.email]])
  })

  it('refuses an expired token, a token with another e-mail and a made-up token', async () => {
    const account = await app.register()
    const stranger = await app.register()

    const token = await requestToken(account.email)
    expectError(await reset(token, stranger.email), 400, 'INVALID_RESET_TOKEN')
    expectError(await reset('madeUpToken123', account.email), 400, 'INVALID_RESET_TOKEN')
    expect((await login(app, stranger.email, stranger.password)).status).toBe(200)

    // Valid up to the last second of PASSWORD_RESET_TTL_MINUTES, not at its end.
    const late = await requestToken(account.email)
    clock.advance(30 * 60 - 1)
    expect((await reset(token, account.email)).status).toBe(200)
    clock.advance(1)
    expectError(await reset(late, account.email, 'another password'), 400, 'INVALID_RESET_TOKEN')
    expect((await login(app, account.email, NEW_PASSWORD)).status).toBe(200)
  })

  it('lifts a login lock-out, since the owner of the mailbox proved who they are', async () => {
    const account = await app.register()
    for (let i = 0; i < 3; i++) await login(app, account.email, 'wrong password')
    expectError(await login(app, account.email, account.password), 429, 'TOO_MANY_ATTEMPTS')

    const token = await requestToken(account.email)
    expect((await reset(token, account.email)).status).toBe(200)
    expect((await login(app, account.email, NEW_PASSWORD)).status).toBe(200)
  })
})

describe('password reset with a slow SMTP server', () => {
  const events: string[] = []
  let mailbox: Mailbox
  let app: TestApp
  beforeAll(async () => {
    // Accepts each message only 2 s after its data came in.
    mailbox = await startMailbox({ acceptDelayMs: 2000, onAccepted: () => events.push('mail accepted') })
    app = await startTestApp({ env: { SMTP_URL: mailbox.url } })
  })
  afterAll(async () => {
    await app.close()
    await mailbox.close()
  })

  it('answers a known e-mail without waiting for the mail to be accepted', async () => {
    const account = await app.register()
    const res = await app.request('POST', `${API}/auth/password/forgot`, { body: { email: account.email } })
    events.push('answered')
    expect(res.status).toBe(200)
    // The token was stored before the answer.
    const rows = await app.database.db.selectFrom('password_resets').select('user_id').execute()
    expect(rows.map((r) => r.user_id)).toEqual([account.user.id])

    const [mail] = await mailbox.waitForMails(1)
    expect(mail!.to).toEqual([account.email])
    expect(events).toEqual(['answered', 'mail accepted'])
  })
})

describe('password reset when the SMTP server is down', () => {
  let app: TestApp
  beforeAll(async () => {
    // A port where nothing listens any more: every delivery fails at once.
    const gone = await startMailbox()
    await gone.close()
    app = await startTestApp({ env: { SMTP_URL: gone.url } })
  })
  afterAll(() => app.close())

  it('still answers a known e-mail exactly like an unknown one', async () => {
    const account = await app.register()
    const known = await app.request('POST', `${API}/auth/password/forgot`, { body: { email: account.email } })
    const unknown = await app.request('POST', `${API}/auth/password/forgot`, {
      body: { email: 'nobody-here@example.com' },
    })
    expect(known.status).toBe(200)
    expect(known.body).toEqual(unknown.body)
  })

  it('logs the failed delivery once it has answered, with the user and never the token', async () => {
    const account = await app.register()
    const logged: { details: object; message: string }[] = []
    let failed!: () => void
    const loggedOnce = new Promise<void>((resolve) => {
      failed = resolve
    })
    const sent: MailMessage[] = []
    const passwordReset = createPasswordReset({
      db: app.database.db,
      clock: systemClock,
      mailer: {
        async send(message) {
          sent.push(message)
          throw new Error('connect ECONNREFUSED 127.0.0.1:1')
        },
      },
      throttle: createLoginThrottle(app.database.db, systemClock, { maxFailures: 5, lockoutSeconds: 900 }),
      publicUrl: 'http://localhost',
      ttlMinutes: 60,
    })
    await passwordReset.forgot(account.email, {
      error(details, message) {
        logged.push({ details, message })
        failed()
      },
    })
    expect(logged).toEqual([])
    await loggedOnce
    expect(logged).toEqual([
      { details: { err: expect.any(Error), userId: account.user.id }, message: expect.any(String) },
    ])
    const token = /password\/reset: ([A-Za-z0-9]+)/.exec(sent[0]!.text)![1]!
    expect(JSON.stringify(logged)).not.toContain(token)
    expect(logged[0]!.message).not.toContain(token)
  })
})
