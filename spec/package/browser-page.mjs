/* global setTimeout, performance, TextEncoder, Response, navigator, fetch -- a browser page */
// Plain JS (the 'sluice' specifiers resolve only through the exports map, at bundle time).
// Bundled by spec/package/browser.spec.ts (esbuild, platform 'browser', through the exports
// map's `import` condition) and run in headless Chromium. Real timers: the default scheduler.
import { Flow, buffer, map, mapAsync, throttle } from 'sluice'
import { TestSubscriber } from 'sluice/testing'
import { toReadableStream } from 'sluice/web'
import { toObservable } from 'sluice/rxjs'
import { toAsyncIterable } from 'sluice/ix'

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))

async function run() {
  const started = performance.now()
  const flow = Flow.range(1, 20).pipe(
    buffer({ capacity: 8, overflow: 'backpressure' }),
    throttle({ rate: 10, perMs: 50, burst: 5, mode: 'shape' }),
    mapAsync(async (x) => {
      await sleep(2)
      return `${x * x}\n`
    }, { concurrency: 3 }),
    map((line) => new TextEncoder().encode(line)),
  )
  const text = await new Response(toReadableStream(flow)).text()
  const elapsedMs = performance.now() - started

  const ts = new TestSubscriber({ initialRequest: 2 })
  Flow.of(1, 2, 3).subscribe(ts)
  ts.assertValues([1, 2])

  const viaRx = await new Promise((resolve, reject) => {
    const seen = []
    toObservable(Flow.range(0, 4)).subscribe({ next: (x) => seen.push(x), error: reject, complete: () => resolve(seen) })
  })
  const viaIx = []
  for await (const x of toAsyncIterable(Flow.range(0, 3))) viaIx.push(x)

  return {
    lines: text.trim().split('\n').map(Number),
    elapsedMs,
    testSubscriber: ts.values,
    viaRx,
    viaIx,
    userAgent: navigator.userAgent,
    hasProcess: typeof globalThis.process !== 'undefined',
  }
}

run().then(
  (result) => fetch('/result', { method: 'POST', body: JSON.stringify({ ok: true, result }) }),
  (error) => fetch('/result', { method: 'POST', body: JSON.stringify({ ok: false, error: String(error instanceof Error ? (error.stack ?? error.message) : error) }) }),
)
