import fc from 'fast-check'
import { connect, serve, type RSocketClient, type RSocketServer } from '../../../adapters/tcp'
import { GrantedCredit, MAX_REQUEST_N, PeerCredit } from '../../../adapters/tcp/credit'
import { UNBOUNDED } from '../../../lib/demand'
import { Flow } from '../../../lib/flow'
import { Pool, Recorder, bytes, countingSource, delay, sniffProxy } from './helpers'

describe('credit mapping', () => {
  it('sends cumulative outstanding credit, once 2^31−1 when it would reach it, then nothing', () => {
    const c = new GrantedCredit()
    expect(c.grant(5)).toBe(5)
    expect(c.grant(MAX_REQUEST_N - 6)).toBe(MAX_REQUEST_N - 6)
    expect(c.grant(1)).toBe(MAX_REQUEST_N)
    expect(c.value).toBe(UNBOUNDED)
    expect(c.grant(10)).toBe(0)
    expect(c.consume()).toBe(true)
  })
  it('maps Infinity to 2^31−1', () => {
    expect(new GrantedCredit().grant(Infinity)).toBe(MAX_REQUEST_N)
  })
  it('consume() fails without changing anything once credit is used up', () => {
    const c = new GrantedCredit()
    c.grant(1)
    expect(c.consume()).toBe(true)
    expect(c.consume()).toBe(false)
    expect(c.value).toBe(0)
  })
  it('received 2^31−1 is unbounded; 0 is ignored; amounts add up', () => {
    const p = new PeerCredit()
    p.add(0)
    expect(p.value).toBe(0)
    p.add(3)
    p.add(4)
    expect(p.value).toBe(7)
    p.add(MAX_REQUEST_N)
    expect(p.value).toBe(UNBOUNDED)
    p.use()
    expect(p.value).toBe(UNBOUNDED)
  })
  it('property: wire amounts are 31-bit and sum to the outstanding credit until unbounded', () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(fc.integer({ min: 1, max: 1000 }), fc.integer({ min: 1, max: 2 ** 32 }), fc.constant(Infinity)), { maxLength: 20 }), (requests) => {
        const c = new GrantedCredit()
        let wire = 0
        for (const n of requests) {
          const w = c.grant(n)
          expect(w).toBeGreaterThanOrEqual(0)
          expect(w).toBeLessThanOrEqual(MAX_REQUEST_N)
          wire += w
          if (c.value !== UNBOUNDED) expect(wire).toBe(c.value)
          else expect(w === MAX_REQUEST_N || w === 0).toBe(true)
        }
      }),
    )
  })
})

describe('credit over the wire (sniffed)', () => {
  const pool = new Pool()
  let server: RSocketServer
  let client: RSocketClient
  let proxy: Awaited<ReturnType<typeof sniffProxy>>
  const LENGTH = 300

  beforeAll(async () => {
    const payload = bytes('p')
    server = await serve({ port: 0 }, { stream: (route) => (route === 'inf' ? countingSource(payload).flow : Flow.range(0, LENGTH).pipe((s) => new Flow<Uint8Array>((sub) => Flow.from(s).subscribe({ onSubscribe: (x) => sub.onSubscribe(x), onNext: () => sub.onNext(payload), onError: (e) => sub.onError(e), onComplete: () => sub.onComplete() })))) }, { sendBatch: 8 })
    proxy = await sniffProxy(pool, server.port)
    client = await connect({ port: proxy.port })
  })
  afterAll(async () => {
    await client.close({ force: true })
    await server.close({ force: true })
    await pool.closeAll()
  })

  it('property: for random request schedules, payloads ≤ credit at every frame', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.integer({ min: 1, max: 40 }), { minLength: 1, maxLength: 8 }), fc.boolean(), async (schedule, finite) => {
        const r = new Recorder<Uint8Array>(0)
        client.requestStream(finite ? 'finite' : 'inf').subscribe(r)
        let total = 0
        for (const n of schedule) {
          total += n
          r.request(n)
          const expected = finite ? Math.min(total, LENGTH) : total
          await r.until(() => r.values.length >= expected || r.terminated, 3000)
          expect(r.values.length).toBe(expected)
        }
        await delay(5)
        expect(r.values.length).toBe(finite ? Math.min(total, LENGTH) : total)
        r.cancel()
        expect(proxy.violations).toEqual([])
      }),
      { numRuns: 25 },
    )
    expect(proxy.maxRatio()).toBeLessThanOrEqual(1)
    expect(proxy.maxRatio()).toBeGreaterThan(0) // the check did run
  })

  it('request(Infinity) is sent once as 2^31−1', async () => {
    const before = proxy.log.length
    const got = await client.requestStream('finite').toArray()
    expect(got.length).toBe(LENGTH)
    const mine = proxy.log.slice(before).filter((e) => e.dir === 'c2s' && (e.frame.type === 6 || e.frame.type === 8))
    expect(mine.map((e) => (e.frame as { requestN: number }).requestN)).toEqual([MAX_REQUEST_N])
  })
})

describe('a slow remote subscriber', () => {
  const pool = new Pool()
  afterEach(() => pool.closeAll())

  it('request(1) every 10 ms against an infinite source: the source is pulled no further than credit, memory stays flat', async () => {
    const src = countingSource(new Uint8Array(1024))
    const server = await serve({ port: 0 }, { stream: () => src.flow })
    pool.onClose(() => server.close({ force: true }))
    const client = await connect({ port: server.port })
    pool.onClose(() => client.close({ force: true }))
    const r = new Recorder<Uint8Array>(1)
    client.requestStream('slow').subscribe(r)
    await r.until(() => r.values.length === 1)
    const heapBefore = process.memoryUsage().heapUsed
    let granted = 1
    for (let i = 0; i < 100; i++) {
      await delay(10)
      r.request(1)
      granted++
      expect(src.stats.requested).toBeLessThanOrEqual(granted)
    }
    await r.until(() => r.values.length === granted)
    expect(src.stats.requested).toBe(granted)
    expect(src.stats.emitted).toBe(granted)
    const grown = process.memoryUsage().heapUsed - heapBefore
    expect(grown).toBeLessThan(16 * 1024 * 1024) // nothing proportional to time is buffered
    r.cancel()
  })
})
