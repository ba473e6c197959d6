import { createCipheriv, createDecipheriv, createHash, hkdfSync } from 'node:crypto'
import { NOISE_MODE } from 'baileys'
import { generateKeyPair, type KeyPair, sharedKey } from './certs.js'

const TAG_LENGTH = 16

function sha256(data: Uint8Array): Buffer {
  return createHash('sha256').update(data).digest()
}

function ivFor(counter: number): Buffer {
  const iv = Buffer.alloc(12)
  iv.writeUInt32BE(counter, 8)
  return iv
}

function gcmEncrypt(key: Uint8Array, iv: Buffer, plaintext: Uint8Array, aad: Uint8Array): Buffer {
  const cipher = createCipheriv('aes-256-gcm', key, iv)
  cipher.setAAD(aad)
  return Buffer.concat([cipher.update(plaintext), cipher.final(), cipher.getAuthTag()])
}

function gcmDecrypt(key: Uint8Array, iv: Buffer, ciphertext: Uint8Array, aad: Uint8Array): Buffer {
  const decipher = createDecipheriv('aes-256-gcm', key, iv)
  decipher.setAAD(aad)
  decipher.setAuthTag(ciphertext.subarray(ciphertext.length - TAG_LENGTH))
  return Buffer.concat([
    decipher.update(ciphertext.subarray(0, ciphertext.length - TAG_LENGTH)),
    decipher.final(),
  ])
}

function hkdf64(input: Uint8Array, salt: Uint8Array): [Buffer, Buffer] {
  const out = Buffer.from(hkdfSync('sha256', input, salt, Buffer.alloc(0), 64))
  return [out.subarray(0, 32), out.subarray(32)]
}

/** Post-handshake cipher: one key and one counter per direction, no associated data. */
export class NoiseTransport {
  private readCounter = 0
  private writeCounter = 0

  constructor(
    private readonly writeKey: Buffer,
    private readonly readKey: Buffer,
  ) {}

  encrypt(plaintext: Uint8Array): Buffer {
    return gcmEncrypt(this.writeKey, ivFor(this.writeCounter++), plaintext, Buffer.alloc(0))
  }

  decrypt(ciphertext: Uint8Array): Buffer {
    return gcmDecrypt(this.readKey, ivFor(this.readCounter++), ciphertext, Buffer.alloc(0))
  }
}

/**
 * Responder side of Noise_XX_25519_AESGCM_SHA256 as the web client speaks it: the running hash is
 * the associated data of every handshake encryption, and each key mix resets the counter.
 */
export class NoiseResponder {
  private hash: Buffer
  private salt: Buffer
  private key: Buffer
  private counter = 0
  private readonly ephemeral: KeyPair = generateKeyPair()
  private clientEphemeral?: Buffer

  constructor(
    private readonly staticKey: KeyPair,
    private readonly certChain: Uint8Array,
  ) {
    const mode = Buffer.from(NOISE_MODE)
    this.hash = mode.length === 32 ? mode : sha256(mode)
    this.salt = this.hash
    this.key = this.hash
  }

  private mixHash(data: Uint8Array): void {
    this.hash = sha256(Buffer.concat([this.hash, data]))
  }

  private mixKey(input: Uint8Array): void {
    const [salt, key] = hkdf64(input, this.salt)
    this.salt = salt
    this.key = key
    this.counter = 0
  }

  private encrypt(plaintext: Uint8Array): Buffer {
    const out = gcmEncrypt(this.key, ivFor(this.counter++), plaintext, this.hash)
    this.mixHash(out)
    return out
  }

  private decrypt(ciphertext: Uint8Array): Buffer {
    const out = gcmDecrypt(this.key, ivFor(this.counter++), ciphertext, this.hash)
    this.mixHash(ciphertext)
    return out
  }

  /** Consumes the client's prologue header and ephemeral key; returns the serverHello fields. */
  hello(
    prologue: Uint8Array,
    clientEphemeral: Uint8Array,
  ): { ephemeral: Buffer; static: Buffer; payload: Buffer } {
    this.clientEphemeral = Buffer.from(clientEphemeral)
    this.mixHash(prologue)
    this.mixHash(clientEphemeral)
    this.mixHash(this.ephemeral.public)
    this.mixKey(sharedKey(this.ephemeral.private, clientEphemeral))
    const staticEnc = this.encrypt(this.staticKey.public)
    this.mixKey(sharedKey(this.staticKey.private, clientEphemeral))
    const payload = this.encrypt(this.certChain)
    return { ephemeral: this.ephemeral.public, static: staticEnc, payload }
  }

  /** Consumes clientFinish; returns the client's static key, its payload and the transport cipher. */
  finish(
    staticEnc: Uint8Array,
    payloadEnc: Uint8Array,
  ): { clientStatic: Buffer; payload: Buffer; transport: NoiseTransport } {
    if (!this.clientEphemeral) throw new Error('noise: finish before hello')
    const clientStatic = this.decrypt(staticEnc)
    this.mixKey(sharedKey(this.ephemeral.private, clientStatic))
    const payload = this.decrypt(payloadEnc)
    const [clientWrite, serverWrite] = hkdf64(Buffer.alloc(0), this.salt)
    return { clientStatic, payload, transport: new NoiseTransport(serverWrite, clientWrite) }
  }
}

/**
 * Splits the client's byte stream into frames: a one-time intro (optionally `ED` routing info, then
 * the 4-byte `WA` header), then 3-byte big-endian length-prefixed frames.
 */
export class FrameReader {
  private buffer = Buffer.alloc(0)
  private header?: Buffer

  /** The `WA` header the client announced, once read; it is part of the Noise prologue. */
  get prologue(): Buffer | undefined {
    return this.header
  }

  push(data: Uint8Array): Buffer[] {
    this.buffer = Buffer.concat([this.buffer, data])
    if (!this.header && !this.readIntro()) return []
    const frames: Buffer[] = []
    while (this.buffer.length >= 3) {
      const size = this.buffer.readUIntBE(0, 3)
      if (this.buffer.length < size + 3) break
      frames.push(this.buffer.subarray(3, size + 3))
      this.buffer = this.buffer.subarray(size + 3)
    }
    return frames
  }

  private readIntro(): boolean {
    let offset = 0
    if (this.buffer.length >= 2 && this.buffer.toString('latin1', 0, 2) === 'ED') {
      if (this.buffer.length < 7) return false
      offset = 7 + ((this.buffer[4]! << 16) | this.buffer.readUInt16BE(5))
    }
    if (this.buffer.length < offset + 4) return false
    this.header = Buffer.from(this.buffer.subarray(offset, offset + 4))
    this.buffer = this.buffer.subarray(offset + 4)
    return true
  }
}

export function frame(data: Uint8Array): Buffer {
  const out = Buffer.alloc(3 + data.length)
  out.writeUIntBE(data.length, 0, 3)
  out.set(data, 3)
  return out
}
