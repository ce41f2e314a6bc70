// The part of rsocket-flowable@0.0.27 (untyped: Flow annotations only) that the fixture uses.
declare module 'rsocket-flowable' {
  import type { Publisher } from '../../lib/protocol'
  export class Flowable<T> implements Publisher<T> {
    static just<U>(...values: U[]): Flowable<U>
    static error<U = never>(error: Error): Flowable<U>
    static never<U = never>(): Flowable<U>
    subscribe(subscriber: import('../../lib/protocol').Subscriber<T>): void
    map<R>(fn: (value: T) => R): Flowable<R>
    take(n: number): Flowable<T>
  }
}
