/** Time and timers for the engines, injectable so that QR rotation and reconnects are testable. */
export interface TimerClock {
  /** Epoch ms. */
  now(): number
  setTimeout(callback: () => void, ms: number): TimerHandle
  clearTimeout(handle: TimerHandle): void
}

export type TimerHandle = { readonly id: number } | ReturnType<typeof setTimeout>

export const systemTimerClock: TimerClock = {
  now: () => Date.now(),
  setTimeout: (callback, ms) => {
    const handle = setTimeout(callback, ms)
    // Timers of a simulated network must never keep the process alive on their own.
    handle.unref?.()
    return handle
  },
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
}

interface ManualTimer {
  id: number
  at: number
  callback: () => void
}

/** A clock that only moves when told to: `advance(ms)` runs every timer that falls due, in order. */
export class ManualClock implements TimerClock {
  private current: number
  private nextId = 1
  private timers: ManualTimer[] = []

  constructor(start = Date.UTC(2025, 0, 15, 10, 30)) {
    this.current = start
  }

  now(): number {
    return this.current
  }

  setTimeout(callback: () => void, ms: number): TimerHandle {
    const timer = { id: this.nextId++, at: this.current + Math.max(0, ms), callback }
    this.timers.push(timer)
    return { id: timer.id }
  }

  clearTimeout(handle: TimerHandle): void {
    const id = (handle as { id?: number }).id
    this.timers = this.timers.filter((timer) => timer.id !== id)
  }

  advance(ms: number): void {
    const target = this.current + ms
    for (;;) {
      const due = this.timers
        .filter((timer) => timer.at <= target)
        .sort((a, b) => a.at - b.at || a.id - b.id)[0]
      if (!due) break
      this.timers = this.timers.filter((timer) => timer !== due)
      this.current = due.at
      due.callback()
    }
    this.current = target
  }

  pendingTimers(): number {
    return this.timers.length
  }
}
