import { describe, expect, it } from 'vitest'
import { ConfigError, loadConfig, SETTINGS } from '../src/config.js'

describe('settings', () => {
  it('has working defaults for the embedded set-up', () => {
    const config = loadConfig({})
    expect(config.port).toBe(3000)
    expect(config.databaseUrl).toMatch(/^sqlite:.*data\/zapini\.db$/)
    expect(config.rateLimit).toEqual({ max: 100, windowSeconds: 900, tokenMax: 0 })
    expect(config.instanceBaseDomain).toBe('localhost')
    expect(config.registrationEnabled).toBe(true)
    // One process: nothing is forwarded anywhere.
    expect(config.internal).toEqual({ url: null, timeoutMs: 30_000 })
    expect(loadConfig({ INTERNAL_URL: 'http://10.0.0.5:3000/' }).internal.url).toBe('http://10.0.0.5:3000')
  })

  it.each([
    ['PORT', 'abc', /PORT.*whole number/],
    ['PORT', '70000', /PORT.*between/],
    ['PUBLIC_URL', 'not a url', /PUBLIC_URL/],
    ['DATABASE_URL', 'mysql://x', /DATABASE_URL/],
    ['LOG_LEVEL', 'loud', /LOG_LEVEL.*one of/],
    ['REGISTRATION_ENABLED', 'maybe', /REGISTRATION_ENABLED.*true or false/],
    ['APP_KEY', 'c2hvcnQ=', /APP_KEY.*32 bytes/],
    ['SMTP_URL', 'http://mail', /SMTP_URL/],
    ['DEFAULT_ENGINE', 'whatsapp-web', /DEFAULT_ENGINE/],
    ['RATE_LIMIT_MAX', '-1', /RATE_LIMIT_MAX/],
    ['INSTANCE_LEASE_SECONDS', '1', /INSTANCE_LEASE_SECONDS.*between/],
    // Renewed less than twice per lease (15 s by default): one slow round would lose the instances.
    ['INSTANCE_LEASE_RENEW_MS', '8000', /INSTANCE_LEASE_RENEW_MS.*less than half/],
    ['INTERNAL_URL', 'tcp://10.0.0.5:3000', /INTERNAL_URL.*http/],
    // Forwarded requests keep their own path: a path here would be silently dropped.
    ['INTERNAL_URL', 'http://10.0.0.5:3000/zapini', /INTERNAL_URL.*without a path/],
    ['INTERNAL_TIMEOUT_MS', '0', /INTERNAL_TIMEOUT_MS.*between/],
  ])('refuses %s=%s with a message naming the setting', (name, value, message) => {
    expect(() => loadConfig({ [name]: value })).toThrow(ConfigError)
    expect(() => loadConfig({ [name]: value })).toThrow(message)
  })

  it('requires APP_KEY with PostgreSQL so that every process shares one key', () => {
    expect(() => loadConfig({ DATABASE_URL: 'postgres://localhost/zapini' })).toThrow(/APP_KEY/)
  })

  it('documents every setting it reads', () => {
    const documented = new Set(SETTINGS.map((s) => s.name))
    const source = loadConfig.toString()
    for (const name of source.match(/'[A-Z][A-Z_]+'/g) ?? []) {
      expect(documented, name).toContain(name.slice(1, -1))
    }
  })
})
