import type { Kysely } from 'kysely'
import type { DB } from '../db/schema.js'
import type { AuthContext } from '../http/auth-context.js'
import { notFound } from '../http/errors.js'
import type { Clock } from '../lib/clock.js'
import { type EntityRef, newUuid } from '../lib/ids.js'
import { randomToken, sha256 } from '../lib/secrets.js'
import * as repo from './token-repository.js'

export type InstanceTokens = ReturnType<typeof createInstanceTokens>

/**
 * `sk_` tokens: bound to one instance, stored as a SHA-256 hash, the secret shown once.
 * Their reach (DECISIONS §3) is enforced through `auth.instanceId` and `config.auth: 'user'`.
 */
export function createInstanceTokens(deps: { db: Kysely<DB>; clock: Clock }) {
  const { db, clock } = deps

  return {
    async create(tenantId: number, instanceId: number, name: string) {
      const secret = `sk_${randomToken(48)}`
      const createdAt = clock.now().toISOString()
      const id = await repo.insertInstanceToken(db, {
        uuid: newUuid(),
        tenant_id: tenantId,
        instance_id: instanceId,
        name: name.trim(),
        token_hash: sha256(secret),
        token_hint: secret.slice(-4),
        last_used_at: null,
        created_at: createdAt,
      })
      return { id, name: name.trim(), token: secret, token_hint: secret.slice(-4), created_at: createdAt }
    },

    async list(tenantId: number, instanceId: number) {
      return repo.listInstanceTokens(db, tenantId, instanceId)
    },

    async revoke(tenantId: number, instanceId: number, tokenId: number): Promise<void> {
      if (!(await repo.deleteInstanceToken(db, tenantId, instanceId, tokenId))) throw notFound('Token')
    },

    async resolve(token: string): Promise<AuthContext | null> {
      if (!token.startsWith('sk_')) return null
      const row = await repo.findInstanceTokenByHash(db, sha256(token))
      if (row?.tenant_status !== 'active') return null
      const at = clock.now()
      if (!row.last_used_at || Date.parse(row.last_used_at) < at.getTime() - 60_000) {
        await repo.touchInstanceToken(db, row.id, at.toISOString())
      }
      return {
        kind: 'instance',
        tenantId: row.tenant_id,
        instanceId: row.instance_id,
        tokenId: row.id,
        tokenName: row.name,
      }
    },

    findInstance: (ref: EntityRef) => repo.findInstanceByRef(db, ref),

    instanceInTenant: (instanceId: number, tenantId: number) =>
      repo.instanceExistsInTenant(db, instanceId, tenantId),
  }
}
