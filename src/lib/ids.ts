import { randomFillSync } from 'node:crypto'
import { v7 as uuidv7 } from 'uuid'

/** Time-ordered UUIDs (v7): they index well and sort by creation. */
export function newUuid(): string {
  return uuidv7()
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

/** A path segment that names an entity may be its integer id or its uuid. */
export type EntityRef = { id: number } | { uuid: string }

export function parseEntityRef(value: string): EntityRef | null {
  if (/^\d{1,10}$/.test(value)) {
    const id = Number(value)
    return id > 0 && id <= 2_147_483_647 ? { id } : null
  }
  return UUID.test(value) ? { uuid: value.toLowerCase() } : null
}

const randomPool = Buffer.alloc(4096)
let randomOffset = randomPool.length

/** Random bytes as hex, taken from a pool refilled at once: a system call per id costs more than the id. */
export function randomHex(bytes: number): string {
  if (randomOffset + bytes > randomPool.length) {
    randomFillSync(randomPool)
    randomOffset = 0
  }
  const hex = randomPool.toString('hex', randomOffset, randomOffset + bytes)
  randomOffset += bytes
  return hex
}
