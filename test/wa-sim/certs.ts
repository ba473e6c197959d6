import { Curve, proto } from 'baileys'

export interface KeyPair {
  public: Buffer
  private: Buffer
}

export function generateKeyPair(): KeyPair {
  const pair = Curve.generateKeyPair()
  return { public: Buffer.from(pair.public), private: Buffer.from(pair.private) }
}

/** XEdDSA signature, as WhatsApp uses for certificates and ADV identities. */
export function sign(privateKey: Uint8Array, message: Uint8Array): Buffer {
  return Buffer.from(Curve.sign(privateKey, message))
}

export function verify(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean {
  return Curve.verify(publicKey, message, signature)
}

export function sharedKey(privateKey: Uint8Array, publicKey: Uint8Array): Buffer {
  return Buffer.from(Curve.sharedKey(privateKey, publicKey))
}

// The client only accepts an intermediate whose issuerSerial equals WA_CERT_DETAILS.SERIAL (0).
const ROOT_SERIAL = 0
const INTERMEDIATE_SERIAL = 1
const LEAF_SERIAL = 2

/**
 * Builds the chain the server presents in its Noise hello: an intermediate signed by the root, and a
 * leaf naming the server's static key signed by the intermediate.
 */
export function makeCertChain(root: KeyPair, serverStaticPublic: Uint8Array): Uint8Array {
  const intermediate = generateKeyPair()
  const now = Math.floor(Date.now() / 1000)
  const validity = { notBefore: now - 3600, notAfter: now + 30 * 24 * 3600 }
  const intermediateDetails = proto.CertChain.NoiseCertificate.Details.encode({
    serial: INTERMEDIATE_SERIAL,
    issuerSerial: ROOT_SERIAL,
    key: intermediate.public,
    ...validity,
  }).finish()
  const leafDetails = proto.CertChain.NoiseCertificate.Details.encode({
    serial: LEAF_SERIAL,
    issuerSerial: INTERMEDIATE_SERIAL,
    key: serverStaticPublic,
    ...validity,
  }).finish()
  return proto.CertChain.encode({
    intermediate: { details: intermediateDetails, signature: sign(root.private, intermediateDetails) },
    leaf: { details: leafDetails, signature: sign(intermediate.private, leafDetails) },
  }).finish()
}
