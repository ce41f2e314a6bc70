import { UNBOUNDED } from '../../lib/demand'
import { AbortError, EmptyError } from '../../lib/errors'
import { Flow } from '../../lib/flow'
import { setUnhandledErrorHook, type UnhandledErrorHook } from '../../lib/hooks'
import { TestPublisher } from '../../lib/testing'

describe('sinks: toArray, reduce, first, drain', () => {
  let unhandled: unknown[]
  let previous: UnhandledErrorHook
  beforeEach(() => {
    unhandled = []
    previous = setUnhandledErrorHook((e) => void unhandled.push(e))
  })
  afterEach(() => {
    setUnhandledErrorHook(previous)
  })

  describe('toArray', () => {
    it('requests unbounded demand once and resolves with every element in order', async () => {
      const source = new TestPublisher<number>()
      const result = Flow.from(source).toArray()
      expect(source.requests).toEqual([UNBOUNDED])
      source.next(1, 2, 3).complete()
      await expect(result).resolves.toEqual([1, 2, 3])
    })

    it('rejects with the source error', async () => {
      await expect(Flow.error(new Error('bad')).toArray()).rejects.toThrow('bad')
    })

    it('an abort cancels upstream and rejects with the signal reason', async () => {
      const source = new TestPublisher<number>()
      const controller = new AbortController()
      const result = Flow.from(source).toArray({ signal: controller.signal })
      source.next(1)
      controller.abort()
      await expect(result).rejects.toMatchObject({ name: 'AbortError' })
      source.assertCancelled()
    })

    it('a non-Error abort reason becomes an AbortError with that cause', async () => {
      const controller = new AbortController()
      const result = Flow.never().toArray({ signal: controller.signal })
      controller.abort('stop')
      await expect(result).rejects.toBeInstanceOf(AbortError)
      await expect(result).rejects.toMatchObject({ cause: 'stop' })
    })

    it('an already aborted signal rejects without subscribing', async () => {
      const source = new TestPublisher<number>()
      await expect(Flow.from(source).toArray({ signal: AbortSignal.abort() })).rejects.toMatchObject({ name: 'AbortError' })
      expect(source.subscribed).toBe(false)
    })
  })

  describe('reduce', () => {
    it('folds every element from the seed', async () => {
      await expect(Flow.range(1, 100).reduce((acc, x) => acc + x, 0)).resolves.toBe(5050)
    })

    it('resolves with the seed for an empty sequence', async () => {
      await expect(Flow.empty<number>().reduce((acc, x) => acc + x, 42)).resolves.toBe(42)
    })

    it('a throwing reducer cancels upstream and rejects with its error', async () => {
      const source = new TestPublisher<number>()
      const boom = new Error('reducer failed')
      const result = Flow.from(source).reduce((acc, x) => {
        if (x === 2) throw boom
        return acc + x
      }, 0)
      source.next(1, 2)
      source.assertCancelled()
      await expect(result).rejects.toBe(boom)
    })

    it('an error after settling goes to the unhandled-error hook, not lost', async () => {
      const source = new TestPublisher<number>({ compliant: false })
      const result = Flow.from(source).reduce(() => {
        throw new Error('first')
      }, 0)
      source.next(1)
      await expect(result).rejects.toThrow('first')
      const late = new Error('late')
      source.error(late)
      expect(unhandled).toEqual([late])
    })
  })

  describe('first', () => {
    it('requests one element, cancels, and resolves with it', async () => {
      const source = new TestPublisher<string>()
      const result = Flow.from(source).first()
      expect(source.requests).toEqual([1])
      source.next('a')
      source.assertCancelled()
      await expect(result).resolves.toBe('a')
    })

    it('rejects with EmptyError on an empty sequence', async () => {
      await expect(Flow.empty().first()).rejects.toBeInstanceOf(EmptyError)
    })

    it('rejects with the source error', async () => {
      await expect(Flow.error(new RangeError('r')).first()).rejects.toBeInstanceOf(RangeError)
    })

    it('an abort cancels upstream and rejects', async () => {
      const source = new TestPublisher<number>()
      const controller = new AbortController()
      const result = Flow.from(source).first({ signal: controller.signal })
      controller.abort(new Error('user abort'))
      source.assertCancelled()
      await expect(result).rejects.toThrow('user abort')
    })
  })

  describe('drain', () => {
    it('requests unbounded demand and resolves on completion', async () => {
      const source = new TestPublisher<number>()
      const result = Flow.from(source).drain()
      source.next(1, 2, 3).complete()
      await expect(result).resolves.toBeUndefined()
      expect(source.requests).toEqual([UNBOUNDED])
    })

    it('rejects with the source error', async () => {
      await expect(Flow.from(Promise.reject(new Error('p'))).drain()).rejects.toThrow('p')
    })

    it('an abort cancels upstream and rejects', async () => {
      const source = new TestPublisher<number>()
      const controller = new AbortController()
      const result = Flow.from(source).drain({ signal: controller.signal })
      controller.abort()
      source.assertCancelled()
      await expect(result).rejects.toMatchObject({ name: 'AbortError' })
      expect(unhandled).toEqual([])
    })
  })
})
