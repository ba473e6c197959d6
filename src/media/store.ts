import { randomBytes } from 'node:crypto'
import fs from 'node:fs'
import fsp from 'node:fs/promises'
import path from 'node:path'
import { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'

/**
 * Where media bytes live, by key. Keys are made by the application (never by a caller), so a
 * store may map them to files, object names (S3) or anything else.
 */
export interface MediaStore {
  /** Writes the object whole or not at all: a reader never sees half a file. */
  put(key: string, body: AsyncIterable<Uint8Array> | Iterable<Uint8Array>): Promise<{ size: number }>
  /** Streams the object; throws MediaMissingError when it is not there. */
  get(key: string): Promise<Readable>
  /** Removes the object; removing one that is not there is not an error. */
  delete(key: string): Promise<void>
  stat(key: string): Promise<{ size: number } | null>
}

export class MediaMissingError extends Error {
  constructor(readonly key: string) {
    super(`media object ${key} is not in the store`)
    this.name = 'MediaMissingError'
  }
}

const KEY = /^[A-Za-z0-9][A-Za-z0-9._-]*(\/[A-Za-z0-9][A-Za-z0-9._-]*)*$/

/** Files under `root` (DATA_DIR/media), written to a temporary name and renamed into place. */
export function createLocalMediaStore(root: string): MediaStore {
  const fileOf = (key: string): string => {
    if (!KEY.test(key) || key.split('/').includes('..')) throw new Error(`invalid media key: ${key}`)
    return path.join(root, key)
  }
  const missing = (error: unknown) => (error as NodeJS.ErrnoException).code === 'ENOENT'

  return {
    async put(key, body) {
      const file = fileOf(key)
      await fsp.mkdir(path.dirname(file), { recursive: true })
      const temp = `${file}.${randomBytes(6).toString('hex')}.tmp`
      let size = 0
      try {
        const counted = async function* () {
          for await (const chunk of body) {
            size += chunk.byteLength
            yield chunk
          }
        }
        await pipeline(Readable.from(counted()), fs.createWriteStream(temp, { flags: 'wx', mode: 0o600 }))
        // On disk before it gets its name: a crash leaves a stray temporary file, never a short one.
        const handle = await fsp.open(temp, 'r')
        try {
          await handle.datasync()
        } finally {
          await handle.close()
        }
        await fsp.rename(temp, file)
      } catch (error) {
        await fsp.rm(temp, { force: true })
        throw error
      }
      return { size }
    },

    async get(key) {
      try {
        const handle = await fsp.open(fileOf(key), 'r')
        return handle.createReadStream()
      } catch (error) {
        if (missing(error)) throw new MediaMissingError(key)
        throw error
      }
    },

    async delete(key) {
      await fsp.rm(fileOf(key), { force: true })
    },

    async stat(key) {
      try {
        const stats = await fsp.stat(fileOf(key))
        return { size: stats.size }
      } catch (error) {
        if (missing(error)) return null
        throw error
      }
    },
  }
}

/** The whole object in memory (senders hand engines a Buffer). */
export async function readAll(store: MediaStore, key: string): Promise<Buffer> {
  const chunks: Buffer[] = []
  for await (const chunk of await store.get(key)) chunks.push(chunk as Buffer)
  return Buffer.concat(chunks)
}
