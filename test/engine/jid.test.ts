import { describe, expect, it } from 'vitest'
import { bareJid, isGroupJid, isLidJid, normalizePhone, phoneOfJid, toChatJid } from '../../src/engine/jid.js'

describe('phone numbers and JIDs', () => {
  it('accepts every documented spelling of a number', () => {
    expect(normalizePhone('+15551234567')).toBe('15551234567')
    expect(normalizePhone('15551234567')).toBe('15551234567')
    expect(normalizePhone('5511 99999-9999')).toBe('5511999999999')
    expect(normalizePhone('(11) 9999-9999')).toBe('1199999999')
    expect(normalizePhone('5511999999999@s.whatsapp.net')).toBe('5511999999999')
    expect(normalizePhone('5511999999999:12@s.whatsapp.net')).toBe('5511999999999')
  })

  it('refuses what cannot be a number', () => {
    for (const bad of [
      '',
      'abc',
      '12345',
      '1234567890123456',
      '+55 11 abc',
      '120363@g.us',
      '1@lid',
      'a@s.whatsapp.net',
    ]) {
      expect(normalizePhone(bad)).toBeUndefined()
    }
  })

  it('builds chat JIDs', () => {
    expect(toChatJid('+55 11 98765-4321')).toBe('5511987654321@s.whatsapp.net')
    expect(toChatJid('5511987654321@c.us')).toBe('5511987654321@s.whatsapp.net')
    expect(toChatJid('5511987654321:3@s.whatsapp.net')).toBe('5511987654321@s.whatsapp.net')
    expect(toChatJid('120363000000000001@g.us')).toBe('120363000000000001@g.us')
    expect(toChatJid('120363000000000001-1700000000@g.us')).toBe('120363000000000001-1700000000@g.us')
    expect(toChatJid('222222222222222@lid')).toBe('222222222222222@lid')
    expect(toChatJid('someone@example.com')).toBeUndefined()
    expect(toChatJid('a@b@s.whatsapp.net')).toBeUndefined()
    expect(toChatJid('hello')).toBeUndefined()
  })

  it('tells kinds of JIDs apart', () => {
    expect(isGroupJid('1@g.us')).toBe(true)
    expect(isGroupJid('5511987654321@s.whatsapp.net')).toBe(false)
    expect(isLidJid('1@lid')).toBe(true)
    expect(phoneOfJid('5511987654321:2@s.whatsapp.net')).toBe('5511987654321')
    expect(phoneOfJid('1@lid')).toBeUndefined()
    expect(bareJid('222222222222222:5@lid')).toBe('222222222222222@lid')
  })
})
