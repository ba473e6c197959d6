import { randomInt } from 'node:crypto'
import { SessionRecord, type SignalStorage } from 'libsignal'
import { generateKeyPair, type KeyPair, sign } from './certs.js'

/** 0x05-prefixed public key: the form libsignal signs and compares. */
export function signalPublicKey(pub: Uint8Array): Buffer {
  return pub.length === 33 ? Buffer.from(pub) : Buffer.concat([Buffer.from([5]), pub])
}

export interface SignedPreKey {
  keyId: number
  keyPair: KeyPair
  signature: Buffer
}

/** Keys a simulated device publishes on the server so that others can open sessions with it. */
export interface PublishedKeys {
  registrationId: number
  identity: Buffer
  signedPreKey: { id: number; public: Buffer; signature: Buffer }
  preKeys: Map<number, Buffer>
}

/** In-memory libsignal storage for one simulated device (its identity, prekeys and sessions). */
export class MemorySignalStore implements SignalStorage {
  readonly registrationId = randomInt(1, 16380)
  readonly signedPreKey: SignedPreKey
  private readonly preKeys = new Map<number, KeyPair>()
  private readonly sessions = new Map<string, Uint8Array>()
  private nextPreKeyId = 1

  constructor(readonly identity: KeyPair = generateKeyPair()) {
    const keyPair = generateKeyPair()
    this.signedPreKey = {
      keyId: 1,
      keyPair,
      signature: sign(identity.private, signalPublicKey(keyPair.public)),
    }
  }

  /** Creates `count` fresh one-time prekeys and returns their public halves. */
  generatePreKeys(count: number): Map<number, Buffer> {
    const out = new Map<number, Buffer>()
    for (let i = 0; i < count; i++) {
      const id = this.nextPreKeyId++
      const pair = generateKeyPair()
      this.preKeys.set(id, pair)
      out.set(id, pair.public)
    }
    return out
  }

  publishedKeys(preKeyCount: number): PublishedKeys {
    return {
      registrationId: this.registrationId,
      identity: this.identity.public,
      signedPreKey: {
        id: this.signedPreKey.keyId,
        public: this.signedPreKey.keyPair.public,
        signature: this.signedPreKey.signature,
      },
      preKeys: this.generatePreKeys(preKeyCount),
    }
  }

  hasSession(address: string): boolean {
    const raw = this.sessions.get(address)
    return !!raw && SessionRecord.deserialize(raw).haveOpenSession()
  }

  async loadSession(id: string): Promise<SessionRecord | undefined> {
    const raw = this.sessions.get(id)
    return raw ? SessionRecord.deserialize(raw) : undefined
  }

  async storeSession(id: string, session: SessionRecord): Promise<void> {
    this.sessions.set(id, session.serialize())
  }

  isTrustedIdentity(): boolean {
    return true
  }

  async loadPreKey(id: number | string): Promise<{ privKey: Buffer; pubKey: Buffer } | undefined> {
    const pair = this.preKeys.get(Number(id))
    return pair ? { privKey: pair.private, pubKey: signalPublicKey(pair.public) } : undefined
  }

  removePreKey(id: number): void {
    this.preKeys.delete(Number(id))
  }

  loadSignedPreKey(): { privKey: Buffer; pubKey: Buffer } {
    const { keyPair } = this.signedPreKey
    return { privKey: keyPair.private, pubKey: signalPublicKey(keyPair.public) }
  }

  getOurRegistrationId(): number {
    return this.registrationId
  }

  getOurIdentity(): { privKey: Buffer; pubKey: Buffer } {
    return { privKey: this.identity.private, pubKey: signalPublicKey(this.identity.public) }
  }
}
