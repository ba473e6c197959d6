import type { Kysely } from 'kysely'
import type { DB } from '../db/schema.js'

/** Thrown inside a transaction when what was read before taking the locks changed meanwhile. */
export class PlaceChanged extends Error {
  constructor() {
    super('The lead moved while its columns were being locked')
  }
}

const MAX_ATTEMPTS = 8

/** PostgreSQL's deadlock and serialization failures: the transaction can simply run again. */
function retryable(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code
  return error instanceof PlaceChanged || code === '40P01' || code === '40001'
}

/**
 * Runs `work` in one transaction, and again (a few times) when it has to: position changes read
 * where a lead is, lock the columns involved, and start over if the lead moved in between.
 */
export async function transact<T>(db: Kysely<DB>, work: (trx: Kysely<DB>) => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await db.transaction().execute(work)
    } catch (error) {
      if (attempt >= MAX_ATTEMPTS || !retryable(error)) throw error
    }
  }
}

export function clamp(value: number, min: number, max: number): number {
  return Math.min(max, Math.max(min, value))
}
