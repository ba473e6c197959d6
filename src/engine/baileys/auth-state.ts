import {
  type AuthenticationCreds,
  type AuthenticationState,
  BufferJSON,
  initAuthCreds,
  makeCacheableSignalKeyStore,
  proto,
  type SignalDataSet,
  type SignalDataTypeMap,
  type SignalKeyStore,
} from 'baileys'
import type { AuthKeyEntry, AuthStateStore } from '../types.js'

export interface StoredAuthState {
  state: AuthenticationState
  /** Writes the current creds; writes are serialized, so the last one wins. */
  saveCreds(): Promise<void>
  /** Whether this session ever completed pairing (a QR scan or a pairing code). */
  isPaired(): boolean
}

/** BufferJSON text of a value: creds, keys, or a message's `raw` kept to download its media later. */
export function serialize(value: unknown): string {
  return JSON.stringify(value, BufferJSON.replacer)
}

export function deserialize<T>(text: string): T {
  return JSON.parse(text, BufferJSON.reviver) as T
}

/** Signal keys kept in the store's rows, one row per (type, id). */
export function storeKeys(store: AuthStateStore): SignalKeyStore {
  return {
    async get<T extends keyof SignalDataTypeMap>(type: T, ids: string[]) {
      const rows = await store.getKeys(type, ids)
      const found: { [id: string]: SignalDataTypeMap[T] } = {}
      for (const [id, text] of Object.entries(rows)) {
        const value = deserialize<SignalDataTypeMap[T]>(text)
        // Protobuf values must come back as messages, not as plain objects.
        found[id] =
          type === 'app-state-sync-key'
            ? (proto.Message.AppStateSyncKeyData.fromObject(
                value as object,
              ) as unknown as SignalDataTypeMap[T])
            : value
      }
      return found
    },
    async set(data: SignalDataSet) {
      const entries: AuthKeyEntry[] = []
      for (const [type, values] of Object.entries(data)) {
        for (const [id, value] of Object.entries(values ?? {})) {
          entries.push({ type, id, value: value === null || value === undefined ? null : serialize(value) })
        }
      }
      // Resolves only once the store has written: Baileys relies on keys being durable.
      if (entries.length) await store.setKeys(entries)
    },
  }
}

/**
 * Builds Baileys' `AuthenticationState` on an `AuthStateStore`: fresh creds when the store has
 * none, and keys read and written through it (behind a short-lived cache when `cacheKeys`).
 */
export async function loadAuthState(
  store: AuthStateStore,
  options: { logger?: Parameters<typeof makeCacheableSignalKeyStore>[1]; cacheKeys?: boolean } = {},
): Promise<StoredAuthState> {
  const stored = await store.loadCreds()
  const creds: AuthenticationCreds = stored ? deserialize<AuthenticationCreds>(stored) : initAuthCreds()
  const keys =
    options.cacheKeys === false
      ? storeKeys(store)
      : makeCacheableSignalKeyStore(storeKeys(store), options.logger)
  let saving: Promise<void> = Promise.resolve()
  return {
    state: { creds, keys },
    saveCreds() {
      const write = () => store.saveCreds(serialize(creds))
      saving = saving.then(write, write)
      return saving
    },
    isPaired: () => !!creds.account,
  }
}
