import { Jitter } from '../../lib/adaptive/algorithm'

/**
 * The library's seeded generator (mulberry32, `Jitter`) and the distributions the simulator
 * draws from. Same seed, same sequence, on any machine: the simulator never calls
 * `Math.random()`.
 */
export class Prng extends Jitter {
  /** An exponential draw with the given mean. */
  exponential(mean: number): number {
    return -Math.log(1 - this.next()) * mean
  }

  /** A Pareto (heavy-tailed) draw with shape `alpha` (> 1) scaled to the given mean. */
  pareto(mean: number, alpha: number): number {
    const scale = (mean * (alpha - 1)) / alpha
    return scale / Math.pow(1 - this.next(), 1 / alpha)
  }

  /** A new generator derived from this one's seed and a label, so that streams stay independent. */
  static derive(seed: number, label: string): Prng {
    let h = seed >>> 0
    for (let i = 0; i < label.length; i++) h = Math.imul(h ^ label.charCodeAt(i), 0x9e3779b1) >>> 0
    return new Prng(h ^ (h >>> 16))
  }
}
