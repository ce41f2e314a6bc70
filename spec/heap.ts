import v8 from 'node:v8'
import vm from 'node:vm'

let gc: (() => void) | undefined

/**
 * A full garbage collection, so that `heapUsed` measures what is retained rather than what
 * V8 has not collected yet (jest workers do not run with --expose-gc: the flag is set at run
 * time and `gc` taken from a fresh context).
 */
export function collectGarbage(): void {
  if (gc === undefined) {
    v8.setFlagsFromString('--expose-gc')
    gc = vm.runInNewContext('gc') as () => void
  }
  gc()
}

/** `process.memoryUsage().heapUsed` right after a full collection. */
export function retainedHeap(): number {
  collectGarbage()
  return process.memoryUsage().heapUsed
}
