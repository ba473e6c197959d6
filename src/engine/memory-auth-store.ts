import type { AuthKeyEntry, AuthStateStore } from './types.js'

/**
 * An `AuthStateStore` in process memory: the default of the sandbox engine and a stand-in for
 * the database-backed store in tests. Sessions kept here do not survive a restart.
 */
export class MemoryAuthStateStore implements AuthStateStore {
  private creds: string | null = null
  private readonly keys = new Map<string, string>()
  /** How many `setKeys` calls completed: lets tests check durability ordering. */
  writes = 0

  async loadCreds(): Promise<string | null> {
    return this.creds
  }

  async saveCreds(creds: string): Promise<void> {
    this.creds = creds
  }

  async getKeys(type: string, ids: string[]): Promise<Record<string, string>> {
    const found: Record<string, string> = {}
    for (const id of ids) {
      const value = this.keys.get(rowKey(type, id))
      if (value !== undefined) found[id] = value
    }
    return found
  }

  async setKeys(entries: AuthKeyEntry[]): Promise<void> {
    for (const { type, id, value } of entries) {
      if (value === null) this.keys.delete(rowKey(type, id))
      else this.keys.set(rowKey(type, id), value)
    }
    this.writes++
  }

  async clear(): Promise<void> {
    this.creds = null
    this.keys.clear()
  }

  /** Number of key rows, by type. */
  countKeys(): Record<string, number> {
    const counts: Record<string, number> = {}
    for (const key of this.keys.keys()) {
      const type = key.slice(0, key.indexOf('\u0000'))
      counts[type] = (counts[type] ?? 0) + 1
    }
    return counts
  }
}

function rowKey(type: string, id: string): string {
  return `${type}\u0000${id}`
}
