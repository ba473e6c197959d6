import type { Kysely } from 'kysely'
import type { DB } from '../db/schema.js'
import type { AuthContext } from '../http/auth-context.js'
import { AppError, notFound, validationError } from '../http/errors.js'
import type { Clock } from '../lib/clock.js'
import { type EntityRef, newUuid, parseEntityRef } from '../lib/ids.js'
import * as repo from './repository.js'

export type TagService = ReturnType<typeof createTagService>

export const TAG_NAME_MAX = 50

/** What makes two names the same tag: case does not count. */
function nameKey(name: string): string {
  return name.normalize('NFC').toLowerCase()
}

/** SQLite and PostgreSQL each word a unique-index violation their own way. */
function isUniqueViolation(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code
  return code === '23505' || code === 'SQLITE_CONSTRAINT_UNIQUE'
}

function nameTakenError(): AppError {
  return new AppError('CONFLICT', 'A tag with this name already exists.', {
    name: ['The name has already been taken.'],
  })
}

function presentTag(row: repo.TagRow, count: number) {
  return {
    id: row.uuid,
    uuid: row.uuid,
    numeric_id: row.id,
    name: row.name,
    color: row.color,
    conversations_count: count,
    created_at: row.created_at,
    updated_at: row.updated_at,
  }
}

/** Tags are tenant-wide: any token of the tenant, sk_ tokens included, reaches them (DECISIONS §3). */
export function createTagService(deps: { db: Kysely<DB>; clock: Clock }) {
  const { db, clock } = deps
  const nowIso = () => clock.now().toISOString()

  async function find(auth: AuthContext, ref: string): Promise<repo.TagRow> {
    const parsed = parseEntityRef(ref)
    const row = parsed ? await repo.findTag(db, auth.tenantId, parsed) : undefined
    if (!row) throw notFound('Tag')
    return row
  }

  async function withCount(row: repo.TagRow) {
    const counts = await repo.countConversations(db, [row.id])
    return presentTag(row, counts.get(row.id) ?? 0)
  }

  function cleanName(name: string): string {
    const trimmed = name.trim()
    if (!trimmed) throw validationError('name', 'The name field is required.')
    if ([...trimmed].length > TAG_NAME_MAX) {
      throw validationError('name', `The name field must not be greater than ${TAG_NAME_MAX} characters.`)
    }
    return trimmed
  }

  /** Tag references split into integer ids and uuids; anything else is kept apart. */
  function splitRefs(refs: string[]) {
    const ids: number[] = []
    const uuids: string[] = []
    const parsed: (EntityRef | null)[] = refs.map((ref) => parseEntityRef(String(ref).trim()))
    for (const ref of parsed) {
      if (ref && 'id' in ref) ids.push(ref.id)
      else if (ref) uuids.push(ref.uuid)
    }
    return { ids, uuids, parsed }
  }

  return {
    async list(auth: AuthContext) {
      const rows = await repo.listTags(db, auth.tenantId)
      const counts = await repo.countConversations(
        db,
        rows.map((r) => r.id),
      )
      return rows.map((row) => presentTag(row, counts.get(row.id) ?? 0))
    },

    async get(auth: AuthContext, ref: string) {
      return withCount(await find(auth, ref))
    },

    async create(auth: AuthContext, input: { name: string; color: string }) {
      const name = cleanName(input.name)
      if (await repo.nameTaken(db, auth.tenantId, nameKey(name))) throw nameTakenError()
      try {
        const id = await repo.insertTag(db, {
          uuid: newUuid(),
          tenant_id: auth.tenantId,
          name,
          name_key: nameKey(name),
          color: input.color,
          at: nowIso(),
        })
        return withCount((await repo.findTagById(db, id))!)
      } catch (error) {
        if (isUniqueViolation(error)) throw nameTakenError()
        throw error
      }
    },

    async update(
      auth: AuthContext,
      ref: string,
      input: { name?: string | undefined; color?: string | undefined },
    ) {
      const row = await find(auth, ref)
      const name = input.name === undefined ? undefined : cleanName(input.name)
      if (name !== undefined && (await repo.nameTaken(db, auth.tenantId, nameKey(name), row.id))) {
        throw nameTakenError()
      }
      try {
        await repo.updateTag(db, auth.tenantId, row.id, {
          ...(name !== undefined ? { name, name_key: nameKey(name) } : {}),
          ...(input.color !== undefined ? { color: input.color } : {}),
          updated_at: nowIso(),
        })
      } catch (error) {
        if (isUniqueViolation(error)) throw nameTakenError()
        throw error
      }
      return withCount((await repo.findTagById(db, row.id))!)
    },

    /** Deletes the tag; every conversation loses it. */
    async remove(auth: AuthContext, ref: string): Promise<void> {
      const row = await find(auth, ref)
      await db.transaction().execute((trx) => repo.deleteTag(trx, auth.tenantId, row.id))
    },

    /** The tags named for an assignment; a reference that is not one of the tenant's tags is a 422. */
    async resolve(auth: AuthContext, refs: string[]): Promise<repo.TagRow[]> {
      const { ids, uuids, parsed } = splitRefs(refs)
      const found = await repo.findTags(db, auth.tenantId, ids, uuids)
      const details: Record<string, string[]> = {}
      const tags: repo.TagRow[] = []
      parsed.forEach((ref, index) => {
        const tag = ref && found.find((t) => ('id' in ref ? t.id === ref.id : t.uuid === ref.uuid))
        if (!tag) details[`tag_ids.${index}`] = ['The selected tag does not exist.']
        else if (!tags.includes(tag)) tags.push(tag)
      })
      if (Object.keys(details).length > 0) {
        throw new AppError('VALIDATION_ERROR', 'The given data was invalid.', details)
      }
      return tags
    },

    /** Tag ids for a list filter: references that name no tag of the tenant just match nothing. */
    async idsFor(auth: AuthContext, refs: string[]): Promise<number[]> {
      const { ids, uuids } = splitRefs(refs)
      return (await repo.findTags(db, auth.tenantId, ids, uuids)).map((t) => t.id)
    },

    /** Each conversation's tags, as conversations show them. */
    async tagsOf(conversationIds: number[]) {
      const byConversation = new Map<number, { id: string; name: string; color: string }[]>()
      for (const row of await repo.tagsOfConversations(db, conversationIds)) {
        const list = byConversation.get(row.conversation_id) ?? []
        list.push({ id: row.uuid, name: row.name, color: row.color })
        byConversation.set(row.conversation_id, list)
      }
      return byConversation
    },

    /** Inside the caller's transaction: the conversation's tags become exactly these. */
    replace: (trx: Kysely<DB>, conversationId: number, tagIds: number[]) =>
      repo.replaceConversationTags(trx, conversationId, tagIds, nowIso()),
  }
}
