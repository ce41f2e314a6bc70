// The free names shared by several fragments in README.md and docs/*.md, declared once for
// spec/docs/code-blocks.spec.ts, which loads this file with its `export` keywords removed, as a
// global script (a name used by one block only goes in a `<!-- check: prelude … -->` comment
// before that block instead). For the project's own tsc it is a module: nothing leaks.

/** The orders of the examples (README, amqp.md, operators-*.md). */
export interface Order {
  id: string
  amount: number
}

/** A Flow of orders, e.g. from `consume()` or a database. */
export declare const orders: import('sluice').Flow<Order>

/** The slow consumer of the examples: stores or sends one order (or a decoded message). */
export declare function handle(order: unknown): Promise<void>

/** Some Flow of orders, in the adapter examples. */
export declare const flow: import('sluice').Flow<Order>

/** Sends a value somewhere slow (network), in the adapter and batching examples. */
export declare function send(value: unknown): Promise<void>
