import type { PostResult } from './http-post.js'
import type { AttemptOutcome, ClaimedDelivery } from './queue.js'

/** Exponential backoff with jitter: between half and all of `base · 2^(attempt-1)`, capped. */
export function backoffMs(attempt: number, baseMs: number, maxMs: number, random = Math.random): number {
  const exponential = Math.min(maxMs, baseMs * 2 ** Math.max(0, attempt - 1))
  return Math.round(exponential / 2 + (random() * exponential) / 2)
}

/**
 * What an attempt changes: delivered on a 2xx; otherwise, when worth retrying, pending until the
 * backoff (or the receiver's Retry-After, if later) has passed, as long as that stays within the
 * delivery's retry window; failed for good else. The attempt it replaces goes to the log.
 */
export function outcomeOf(
  delivery: Pick<ClaimedDelivery, 'id' | 'attempts' | 'retry_until'> &
    Partial<
      Pick<
        ClaimedDelivery,
        'last_attempt_at' | 'response_status' | 'response_excerpt' | 'last_error' | 'duration_ms'
      >
    >,
  result: PostResult,
  at: Date,
  retry: { baseMs: number; maxMs: number },
): AttemptOutcome {
  const iso = at.toISOString()
  const ok = result.status !== null && result.status >= 200 && result.status < 300
  let next: string | null = null
  if (!ok && result.retryable) {
    const wait = Math.max(
      backoffMs(delivery.attempts, retry.baseMs, retry.maxMs),
      Math.min(result.retryAfterMs ?? 0, retry.maxMs),
    )
    const when = new Date(at.getTime() + wait)
    if (when.getTime() <= Date.parse(delivery.retry_until)) next = when.toISOString()
  }
  return {
    deliveryId: delivery.id,
    patch: {
      status: ok ? 'delivered' : next ? 'pending' : 'failed',
      next_attempt_at: next,
      last_attempt_at: iso,
      response_status: result.status,
      response_excerpt: result.excerpt,
      last_error: result.error,
      duration_ms: result.durationMs,
      ...(ok ? { delivered_at: iso } : {}),
      updated_at: iso,
    },
    previous: delivery.last_attempt_at
      ? {
          delivery_id: delivery.id,
          attempt: delivery.attempts - 1,
          attempted_at: delivery.last_attempt_at,
          response_status: delivery.response_status ?? null,
          response_excerpt: delivery.response_excerpt ?? null,
          error: delivery.last_error ?? null,
          duration_ms: delivery.duration_ms ?? 0,
        }
      : null,
  }
}
