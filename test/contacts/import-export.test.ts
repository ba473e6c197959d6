import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { csvCell, csvRow } from '../../src/contacts/csv.js'
import { connectedInstance, type Instance, instanceToken, type Owner } from '../conversations/support.js'
import { startTestApp, type TestApp } from '../helpers/app.js'
import { TEST_DB } from '../helpers/database.js'

/** An RFC 4180 reader, to check what the export wrote. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = []
  let row: string[] = []
  let cell = ''
  let quoted = false
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') {
        cell += '"'
        i++
      } else if (ch === '"') quoted = false
      else cell += ch
    } else if (ch === '"') quoted = true
    else if (ch === ',') {
      row.push(cell)
      cell = ''
    } else if (ch === '\r' && text[i + 1] === '\n') {
      row.push(cell)
      rows.push(row)
      row = []
      cell = ''
      i++
    } else cell += ch
  }
  if (cell || row.length) rows.push([...row, cell])
  return rows
}

describe(`contact import and export (${TEST_DB})`, () => {
  let app: TestApp
  let owner: Owner
  let first: Instance
  let second: Instance

  beforeAll(async () => {
    app = await startTestApp()
    owner = await app.register()
    first = await connectedInstance(app, owner.token, '15550009991')
    second = await connectedInstance(app, owner.token, '15550009992')
  })
  afterAll(() => app.close())

  const call = (method: string, path: string, body?: unknown, token = owner.token) =>
    app.request(method, `/api/v1${path}`, { token, ...(body === undefined ? {} : { body }) })

  it('imports valid rows, skips known numbers and reports the others by index', async () => {
    await call('POST', '/contacts', { instance_id: first.uuid, phone_number: '15556660001', name: 'Known' })
    const res = await call('POST', '/contacts/import', {
      instance_id: first.uuid,
      contacts: [
        { phone_number: '+1 555 666 0002', first_name: 'John', last_name: 'Doe', email: 'john@example.com' },
        { phone_number: 'not a number', name: 'Broken' },
        { phone_number: '+1 (555) 666-0001', name: 'Known again' },
        { phone_number: '15556660003', company: 'XYZ Corp', first_name: 'Jane' },
        { phone_number: '15556660002', name: 'Twice in one call' },
        { name: 'No number' },
        { phone_number: '15556660004', email: 'not-an-email' },
        'not an object',
      ],
    })
    expect(res.status).toBe(200)
    expect(res.body).toMatchObject({ success: true, message: 'Contacts imported successfully' })
    expect(res.body.data).toEqual({
      imported: 2,
      skipped: 2,
      errors: [
        { index: 1, phone_number: 'not a number', error: expect.stringContaining('phone') },
        { index: 5, phone_number: null, error: expect.stringContaining('phone_number') },
        { index: 6, phone_number: '15556660004', error: expect.stringContaining('email') },
        { index: 7, phone_number: null, error: expect.any(String) },
      ],
    })
    const john = (await call('GET', '/contacts?search=john')).body.data[0]
    expect(john).toMatchObject({ phone_number: '15556660002', name: 'John Doe', email: 'john@example.com' })
    expect((await call('GET', '/contacts?search=known')).body.data[0].name).toBe('Known')
  })

  it('takes at most 1000 contacts per call', async () => {
    const many = (n: number, from: number) =>
      Array.from({ length: n }, (_, i) => ({
        phone_number: `1555770${String(from + i).padStart(4, '0')}`,
        name: `Bulk ${from + i}`,
      }))
    const tooMany = await call('POST', '/contacts/import', {
      instance_id: second.uuid,
      contacts: many(1001, 0),
    })
    expect(tooMany.status).toBe(422)
    expect(tooMany.body.error.details).toHaveProperty('contacts')
    const full = await call('POST', '/contacts/import', { instance_id: second.uuid, contacts: many(1000, 0) })
    expect(full.status).toBe(200)
    expect(full.body.data).toEqual({ imported: 1000, skipped: 0, errors: [] })
    const again = await call('POST', '/contacts/import', { instance_id: second.uuid, contacts: many(3, 999) })
    expect(again.body.data).toEqual({ imported: 2, skipped: 1, errors: [] })
    expect(
      (await call('GET', `/contacts?instance_id=${second.uuid}&per_page=1`)).body.meta.pagination.total,
    ).toBe(1002)
  })

  it('exports JSON and CSV as a stream, page after page', async () => {
    const json = await call('GET', `/contacts/export?instance_id=${second.uuid}`)
    expect(json.status).toBe(200)
    expect(json.headers['content-type']).toMatch(/^application\/json/)
    expect(json.headers['transfer-encoding']).toBe('chunked')
    expect(json.body.success).toBe(true)
    expect(json.body.data).toHaveLength(1002)
    expect(new Set(json.body.data.map((c: any) => c.phone_number)).size).toBe(1002)
    expect(json.body.data[0]).toMatchObject({
      phone_number: '15557700000',
      name: 'Bulk 0',
      instance_id: second.id,
    })

    const csv = await call('GET', `/contacts/export?format=csv&instance_id=${second.uuid}`)
    expect(csv.status).toBe(200)
    expect(csv.headers['content-type']).toMatch(/^text\/csv/)
    expect(csv.headers['content-disposition']).toMatch(/attachment; filename="contacts\.csv"/)
    const rows = parseCsv(csv.text)
    expect(rows[0]).toEqual([
      'id',
      'uuid',
      'instance_id',
      'phone_number',
      'name',
      'first_name',
      'last_name',
      'display_name',
      'push_name',
      'email',
      'company',
      'job_title',
      'notes',
      'custom_fields',
      'created_at',
      'updated_at',
    ])
    expect(rows).toHaveLength(1003)
    expect(rows[1]!.slice(3, 5)).toEqual(['15557700000', 'Bulk 0'])
  })

  it('neutralizes spreadsheet formulas and quotes what needs quoting', async () => {
    const risky = [
      ['15558880001', '=HYPERLINK("http://evil.example","click")'],
      ['15558880002', '+15551234567'],
      ['15558880003', '-2+3'],
      ['15558880004', '@SUM(A1:A2)'],
    ]
    for (const [phone, name] of risky) {
      const res = await call('POST', '/contacts', {
        instance_id: first.uuid,
        phone_number: phone,
        name,
        notes: 'line one\nline "two", with comma',
        custom_fields: { source: '=cmd|x' },
      })
      expect(res.status).toBe(201)
    }
    const csv = await call('GET', `/contacts/export?format=csv&instance_id=${first.uuid}`)
    const [header, ...rows] = parseCsv(csv.text)
    const column = (name: string) => header!.indexOf(name)
    for (const [phone, name] of risky) {
      const row = rows.find((r) => r[column('phone_number')] === phone)!
      expect(row[column('name')]).toBe(`'${name}`)
      expect(row[column('notes')]).toBe('line one\nline "two", with comma')
      expect(JSON.parse(row[column('custom_fields')]!)).toEqual({ source: '=cmd|x' })
    }
    expect(csvCell('=1+1')).toBe("'=1+1")
    expect(csvCell('a,"b"')).toBe('"a,""b"""')
    expect(csvCell(null)).toBe('')
    expect(csvRow(['x', 2, '\tTab'])).toBe("x,2,'\tTab\r\n")
  })

  it('exports only what the caller may see', async () => {
    const sk = await instanceToken(app, owner.token, first)
    const mine = await call('GET', '/contacts/export', undefined, sk)
    expect(mine.body.data.length).toBeGreaterThan(0)
    expect(mine.body.data.every((c: any) => c.instance_id === first.id)).toBe(true)
    expect((await call('GET', `/contacts/export?instance_id=${second.uuid}`, undefined, sk)).status).toBe(404)
    expect(
      (await call('POST', '/contacts/import', { instance_id: second.uuid, contacts: [] }, sk)).status,
    ).toBe(404)

    const stranger = await app.register()
    const none = await call('GET', '/contacts/export?format=csv', undefined, stranger.token)
    expect(parseCsv(none.text)).toHaveLength(1)
    expect(
      (await call('GET', `/contacts/export?instance_id=${first.uuid}`, undefined, stranger.token)).status,
    ).toBe(404)
  })
})
