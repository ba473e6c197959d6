import { setTimeout as sleep } from 'node:timers/promises'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { openDatabase } from '../../src/db/database.js'
import { startTestApp, type TestApp } from '../helpers/app.js'
import { API, meStatus } from './support.js'

// Authentication reads of tokens, users and tenants may be answered from memory (SQLite); whatever
// changes them, through any code path or any other connection, is seen by the next request.
describe('authentication reads stay fresh', () => {
  let app: TestApp
  beforeAll(async () => {
    app = await startTestApp()
  })
  afterAll(() => app.close())

  const me = async (token: string) => app.request('GET', `${API}/auth/me`, { token })

  it('sees a token revoked by another connection (another process, the CLI)', async () => {
    const { token } = await app.register()
    expect(await meStatus(app, token)).toBe(200)
    expect(await meStatus(app, token)).toBe(200)
    const other = openDatabase(app.databaseUrl)
    try {
      await other.db
        .deleteFrom('user_tokens')
        .where('id', '=', Number(token.split('|')[0]))
        .execute()
    } finally {
      await other.close()
    }
    await sleep(5)
    expect(await meStatus(app, token)).toBe(401)
  })

  it('sees a token created by another connection after its id was asked for in vain', async () => {
    const { token, user } = await app.register()
    const [idText, secret] = token.split('|') as [string, string]
    const id = Number(idText)
    const unknown = `${id + 1000}|${secret}`
    expect(await meStatus(app, unknown)).toBe(401)
    const other = openDatabase(app.databaseUrl)
    try {
      const row = await other.db
        .selectFrom('user_tokens')
        .selectAll()
        .where('id', '=', id)
        .executeTakeFirstOrThrow()
      await other.db
        .insertInto('user_tokens')
        .values({ ...row, id: id + 1000, uuid: `${row.uuid.slice(0, -4)}beef` })
        .execute()
    } finally {
      await other.close()
    }
    await sleep(5)
    const res = await me(unknown)
    expect(res.status).toBe(200)
    expect(res.body.data.user.id).toBe(user.id)
  })

  it('sees changes written on its own connection outside the services (a suspended tenant, a renamed user)', async () => {
    const { token, user } = await app.register({ name: 'Before' })
    expect((await me(token)).body.data.user.name).toBe('Before')
    await app.database.db.updateTable('users').set({ name: 'After' }).where('id', '=', user.id).execute()
    expect((await me(token)).body.data.user.name).toBe('After')
    await app.database.db
      .updateTable('tenants')
      .set({ status: 'suspended' })
      .where('id', '=', user.tenant.id)
      .execute()
    expect(await meStatus(app, token)).toBe(401)
  })

  it('never keeps what a transaction wrote and then rolled back', async () => {
    const { token, user } = await app.register({ name: 'Committed' })
    expect((await me(token)).body.data.user.name).toBe('Committed')
    await expect(
      app.database.db.transaction().execute(async (trx) => {
        await trx.updateTable('users').set({ name: 'Rolled back' }).where('id', '=', user.id).execute()
        // A request served while the transaction is open (SQLite: on the same connection).
        await me(token)
        throw new Error('roll back')
      }),
    ).rejects.toThrow('roll back')
    expect((await me(token)).body.data.user.name).toBe('Committed')
  })
})
