/** One element or none: the holder of the one-slot time operators (debounce, throttleFirst, sample). */
export type Slot<T> = { readonly full: false } | { readonly full: true; readonly value: T }

/** The empty slot. */
export const EMPTY: Slot<never> = { full: false }
