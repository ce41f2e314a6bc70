/**
 * fast-check, the one peer dependency of `sluice/testing` (the arbitraries and the
 * random-schedule check use it). Loaded here so that a missing install says what to do
 * instead of "Cannot find module 'fast-check'".
 */
import type * as FastCheck from 'fast-check'

/** The message when fast-check is not installed. */
export const MISSING_FAST_CHECK = 'sluice/testing needs fast-check: npm install -D fast-check'

function load(): typeof FastCheck {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return require('fast-check') as typeof FastCheck
  } catch (error) {
    const code = (error as { code?: unknown } | null)?.code
    if ((code === 'MODULE_NOT_FOUND' || code === 'ERR_MODULE_NOT_FOUND') && String((error as Error).message).includes("'fast-check'")) {
      throw new Error(MISSING_FAST_CHECK, { cause: error })
    }
    throw error
  }
}

export const fc: typeof FastCheck = load()
