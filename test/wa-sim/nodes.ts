import type { BinaryNode } from 'baileys'

export type { BinaryNode }

export const SERVER_JID = 's.whatsapp.net'

type Attrs = Record<string, string | number | undefined>

/** Builds a node, dropping undefined attributes and stringifying numbers (the wire only carries strings). */
export function node(tag: string, attrs: Attrs = {}, content?: BinaryNode['content']): BinaryNode {
  const clean: Record<string, string> = {}
  for (const [key, value] of Object.entries(attrs)) {
    if (value !== undefined) clean[key] = String(value)
  }
  return content === undefined ? { tag, attrs: clean } : { tag, attrs: clean, content }
}

export function children(parent: BinaryNode | undefined, tag?: string): BinaryNode[] {
  if (!parent || !Array.isArray(parent.content)) return []
  return tag ? parent.content.filter((c) => c.tag === tag) : parent.content
}

export function child(parent: BinaryNode | undefined, tag: string): BinaryNode | undefined {
  return children(parent, tag)[0]
}

export function bytes(n: BinaryNode | undefined): Buffer | undefined {
  if (!n || n.content === undefined || Array.isArray(n.content)) return undefined
  return typeof n.content === 'string' ? Buffer.from(n.content, 'utf8') : Buffer.from(n.content)
}

export function text(n: BinaryNode | undefined): string | undefined {
  return bytes(n)?.toString('utf8')
}

export function iqResult(iq: BinaryNode, content?: BinaryNode[]): BinaryNode {
  return node('iq', { id: iq.attrs.id, type: 'result', from: SERVER_JID }, content)
}

export function iqError(iq: BinaryNode, code: number, errorText: string): BinaryNode {
  return node('iq', { id: iq.attrs.id, type: 'error', from: SERVER_JID }, [
    node('error', { code, text: errorText }),
  ])
}

export function uintBytes(value: number, length: number): Buffer {
  const out = Buffer.alloc(length)
  out.writeUIntBE(value, 0, length)
  return out
}

export function readUint(buf: Uint8Array | undefined): number | undefined {
  if (!buf || buf.length === 0 || buf.length > 6) return undefined
  return Buffer.from(buf).readUIntBE(0, buf.length)
}

export function unixNow(): number {
  return Math.floor(Date.now() / 1000)
}

/** Compact XML-ish rendering, for logs and failure messages. */
export function nodeToString(n: BinaryNode, depth = 0): string {
  const attrs = Object.entries(n.attrs)
    .map(([k, v]) => ` ${k}="${v}"`)
    .join('')
  const pad = '  '.repeat(depth)
  if (Array.isArray(n.content)) {
    const inner = n.content.map((c) => nodeToString(c, depth + 1)).join('\n')
    return `${pad}<${n.tag}${attrs}>\n${inner}\n${pad}</${n.tag}>`
  }
  if (n.content === undefined) return `${pad}<${n.tag}${attrs}/>`
  const body = typeof n.content === 'string' ? n.content : `[${n.content.length} bytes]`
  return `${pad}<${n.tag}${attrs}>${body}</${n.tag}>`
}
