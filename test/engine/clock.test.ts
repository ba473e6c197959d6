import { describe, expect, it } from 'vitest'
import { ManualClock } from '../../src/engine/clock.js'
import { LruMap } from '../../src/engine/lru.js'

describe('manual clock', () => {
  it('runs due timers in time order, including ones they schedule', () => {
    const clock = new ManualClock(1_000)
    const fired: [string, number][] = []
    clock.setTimeout(() => fired.push(['b', clock.now()]), 200)
    const cancelled = clock.setTimeout(() => fired.push(['never', clock.now()]), 50)
    clock.setTimeout(() => {
      fired.push(['a', clock.now()])
      clock.setTimeout(() => fired.push(['a2', clock.now()]), 50)
    }, 100)
    clock.clearTimeout(cancelled)
    clock.advance(160)
    expect(fired).toEqual([
      ['a', 1_100],
      ['a2', 1_150],
    ])
    expect(clock.now()).toBe(1_160)
    clock.advance(40)
    expect(fired.at(-1)).toEqual(['b', 1_200])
    expect(clock.pendingTimers()).toBe(0)
  })
})

describe('LRU map', () => {
  it('forgets the least recently used entry past its limit', () => {
    const lru = new LruMap<string, number>(2)
    lru.set('a', 1).set('b', 2)
    lru.get('a')
    lru.set('c', 3)
    expect(lru.has('b')).toBe(false)
    expect([...lru.values()]).toEqual([1, 3])
    expect(lru.peek('a')).toBe(1)
  })
})
