import { randomInt } from 'node:crypto'
import { ProtocolAddress, SessionBuilder, SessionCipher } from 'libsignal'
import { type MemorySignalStore, signalPublicKey } from './signal-store.js'

export type EncType = 'pkmsg' | 'msg'

/** A bundle as the server hands it out (32-byte keys, as on the wire). */
export interface KeyBundle {
  registrationId: number
  identity: Buffer
  signedPreKey: { id: number; public: Buffer; signature: Buffer }
  preKey?: { id: number; public: Buffer }
}

// WhatsApp pads every plaintext with 1..16 bytes, each holding the pad length.
export function pad(data: Uint8Array): Buffer {
  const n = randomInt(1, 17)
  return Buffer.concat([data, Buffer.alloc(n, n)])
}

export function unpad(data: Uint8Array): Buffer {
  const n = data[data.length - 1]
  if (!n || n > 16 || n > data.length) throw new Error(`invalid padding ${n}`)
  return Buffer.from(data.subarray(0, data.length - n))
}

export function address(name: string, device: number): ProtocolAddress {
  return new ProtocolAddress(name, device)
}

export async function startSession(store: MemorySignalStore, addr: ProtocolAddress, bundle: KeyBundle) {
  await new SessionBuilder(store, addr).initOutgoing({
    registrationId: bundle.registrationId,
    identityKey: signalPublicKey(bundle.identity),
    signedPreKey: {
      keyId: bundle.signedPreKey.id,
      publicKey: signalPublicKey(bundle.signedPreKey.public),
      signature: bundle.signedPreKey.signature,
    },
    // libsignal accepts a bundle without a one-time prekey; its typings do not say so.
    preKey: bundle.preKey
      ? { keyId: bundle.preKey.id, publicKey: signalPublicKey(bundle.preKey.public) }
      : (undefined as unknown as { keyId: number; publicKey: Uint8Array }),
  })
}

export async function encrypt(
  store: MemorySignalStore,
  addr: ProtocolAddress,
  plaintext: Uint8Array,
): Promise<{ type: EncType; ciphertext: Buffer }> {
  const { type, body } = await new SessionCipher(store, addr).encrypt(pad(plaintext))
  const ciphertext = typeof body === 'string' ? Buffer.from(body, 'binary') : Buffer.from(body)
  return { type: type === 3 ? 'pkmsg' : 'msg', ciphertext }
}

export async function decrypt(
  store: MemorySignalStore,
  addr: ProtocolAddress,
  type: string,
  ciphertext: Uint8Array,
): Promise<Buffer> {
  const cipher = new SessionCipher(store, addr)
  const data = Buffer.from(ciphertext)
  if (type === 'pkmsg') return unpad(await cipher.decryptPreKeyWhisperMessage(data))
  if (type === 'msg') return unpad(await cipher.decryptWhisperMessage(data))
  throw new Error(`cannot decrypt enc type ${type}`)
}
