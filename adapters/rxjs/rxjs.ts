import type * as Rx from 'rxjs'
import { loadPeer } from '../../lib/errors'

/**
 * The parts of rxjs, the optional peer dependency of `sluice/rxjs`, that the adapter uses,
 * loaded once: without rxjs, importing `sluice/rxjs` throws `MissingPeerError` ("sluice/rxjs
 * needs rxjs: npm install rxjs") instead of Node's bare "Cannot find module".
 */
// eslint-disable-next-line @typescript-eslint/no-require-imports
const rx = loadPeer('sluice/rxjs', 'rxjs', () => require('rxjs') as typeof Rx)

export const Observable: typeof Rx.Observable = rx.Observable
export type Observable<T> = Rx.Observable<T>
export const from: typeof Rx.from = rx.from
export const isObservable: typeof Rx.isObservable = rx.isObservable
export type { ObservableInput, Subscriber, Subscription } from 'rxjs'
