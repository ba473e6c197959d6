import {
  type AuthenticationCreds,
  type AuthenticationState,
  BufferJSON,
  initAuthCreds,
  proto,
  type SignalDataSet,
  type SignalDataTypeMap,
} from 'baileys'

/**
 * Baileys credentials and Signal keys kept in memory as JSON, the way a database row would hold
 * them: every `load()` parses them again, like a process that restarts, so buffers must survive
 * serialization exactly as they must in a real store.
 */
export class MemoryAuth {
  private credsJson = JSON.stringify(initAuthCreds(), BufferJSON.replacer)
  private readonly keys = new Map<string, string>()

  /** A state for a new socket, plus the `saveCreds` to call on `creds.update`. */
  load(): { state: AuthenticationState; saveCreds: () => void } {
    const creds = JSON.parse(this.credsJson, BufferJSON.reviver) as AuthenticationCreds
    const keys = this.keys
    const state: AuthenticationState = {
      creds,
      keys: {
        get: async <T extends keyof SignalDataTypeMap>(type: T, ids: string[]) => {
          const out: { [id: string]: SignalDataTypeMap[T] } = {}
          for (const id of ids) {
            const raw = keys.get(`${type}/${id}`)
            if (raw === undefined) continue
            let value = JSON.parse(raw, BufferJSON.reviver)
            if (type === 'app-state-sync-key') value = proto.Message.AppStateSyncKeyData.fromObject(value)
            out[id] = value
          }
          return out
        },
        set: async (data: SignalDataSet) => {
          for (const [type, entries] of Object.entries(data)) {
            for (const [id, value] of Object.entries(entries ?? {})) {
              if (value === null || value === undefined) keys.delete(`${type}/${id}`)
              else keys.set(`${type}/${id}`, JSON.stringify(value, BufferJSON.replacer))
            }
          }
        },
      },
    }
    const saveCreds = () => {
      this.credsJson = JSON.stringify(creds, BufferJSON.replacer)
    }
    return { state, saveCreds }
  }

  /** The stored credentials, parsed (e.g. to read `me` or `registered`). */
  get creds(): AuthenticationCreds {
    return JSON.parse(this.credsJson, BufferJSON.reviver) as AuthenticationCreds
  }

  /** Number of stored keys of one type (`pre-key`, `session`, ...). */
  count(type: keyof SignalDataTypeMap): number {
    return [...this.keys.keys()].filter((k) => k.startsWith(`${type}/`)).length
  }
}
