/**
 * The one hook for errors that cannot be delivered to a Subscriber: a Subscriber that
 * threw from its own `onNext` (§2.13), a signal after a terminal one, a second `onSubscribe`.
 * Default: rethrow asynchronously, so the error reaches `uncaughtException` — never swallowed.
 */

export type UnhandledErrorHook = (error: unknown) => void

const rethrowLater: UnhandledErrorHook = (error) => {
  setTimeout(() => {
    throw error
  }, 0)
}

let hook: UnhandledErrorHook = rethrowLater

/** Replaces the hook; returns the previous one so tests can restore it. Pass `null` for the default. */
export function setUnhandledErrorHook(next: UnhandledErrorHook | null): UnhandledErrorHook {
  const previous = hook
  hook = next ?? rethrowLater
  return previous
}

/** Hands an error that has nowhere to go to the hook. A throwing hook falls back to the default. */
export function reportUnhandled(error: unknown): void {
  try {
    hook(error)
  } catch (hookError) {
    rethrowLater(hookError)
  }
}
