import type { EngineKind } from '../engine/types.js'

/** Above this, a message's engine reference is kept in memory only (the sandbox carries whole files in it). */
const MAX_PERSISTED = 64 * 1024

const bufferReplacer = (_key: string, value: unknown) => {
  const v = value as { type?: string; data?: unknown } | null
  return v && typeof v === 'object' && v.type === 'Buffer' && Array.isArray(v.data)
    ? { type: 'Buffer', data: Buffer.from(v.data as number[]).toString('base64') }
    : value
}

const bufferReviver = (_key: string, value: unknown) => {
  const v = value as { type?: string; data?: unknown } | null
  return v && typeof v === 'object' && v.type === 'Buffer' && typeof v.data === 'string'
    ? Buffer.from(v.data, 'base64')
    : value
}

/**
 * A received message's `raw` as text, so that its media can still be downloaded after a restart;
 * null when it is too large to keep. Baileys messages go through Baileys' own serializer (protobuf
 * bytes and keys survive it); other engines' through JSON that keeps Buffers.
 */
export async function encodeRaw(kind: EngineKind | undefined, raw: unknown): Promise<string | null> {
  let text: string
  if (kind === 'baileys') {
    const { serialize } = await import('../engine/baileys/index.js')
    text = `baileys:${serialize(raw)}`
  } else {
    text = `json:${JSON.stringify(raw, bufferReplacer)}`
  }
  return text.length <= MAX_PERSISTED ? text : null
}

export async function decodeRaw(text: string): Promise<unknown> {
  if (text.startsWith('baileys:')) {
    const { deserialize } = await import('../engine/baileys/index.js')
    return deserialize(text.slice('baileys:'.length))
  }
  return JSON.parse(text.slice(text.indexOf(':') + 1), bufferReviver)
}
