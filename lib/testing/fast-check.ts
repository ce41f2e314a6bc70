/**
 * fast-check, the one peer dependency of `sluice/testing` (the arbitraries and the
 * random-schedule check use it). Loaded here so that a missing install says what to do
 * instead of "Cannot find module 'fast-check'".
 */
import type * as FastCheck from 'fast-check'
import { loadPeer } from '../errors'

// a dev dependency: tests use the kit
// eslint-disable-next-line @typescript-eslint/no-require-imports
export const fc: typeof FastCheck = loadPeer('sluice/testing', 'fast-check', () => require('fast-check') as typeof FastCheck, true)
