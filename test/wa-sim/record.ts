/** An append-only list that tests can await on: `waitFor` sees past and future items. */
export class Recorder<T> {
  readonly items: T[] = []
  private waiters = new Set<{ match: (item: T) => boolean; resolve: (item: T) => void }>()

  push(item: T): void {
    this.items.push(item)
    for (const waiter of [...this.waiters]) {
      if (waiter.match(item)) {
        this.waiters.delete(waiter)
        waiter.resolve(item)
      }
    }
  }

  waitFor(match: (item: T) => boolean = () => true, timeoutMs = 10_000, what = 'item'): Promise<T> {
    const found = this.items.find(match)
    if (found !== undefined) return Promise.resolve(found)
    return new Promise<T>((resolve, reject) => {
      const waiter = {
        match,
        resolve: (item: T) => {
          clearTimeout(timer)
          resolve(item)
        },
      }
      const timer = setTimeout(() => {
        this.waiters.delete(waiter)
        reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`))
      }, timeoutMs)
      this.waiters.add(waiter)
    })
  }

  /** Waits for an item that arrives after this call, ignoring the ones already recorded. */
  next(match: (item: T) => boolean = () => true, timeoutMs = 10_000, what = 'item'): Promise<T> {
    const seen = this.items.length
    return this.waitFor((item) => this.items.lastIndexOf(item) >= seen && match(item), timeoutMs, what)
  }
}
