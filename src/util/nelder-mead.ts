/**
 * Nelder–Mead simplex minimisation (Nelder & Mead 1965; reflection 1, expansion 2, contraction ½,
 * shrink ½): derivative-free, for the few parameters of a profile fit or a Holt-Winters model.
 * Deterministic (fixed initial simplex): same start, same answer. A non-finite value counts as the
 * largest number, so a parameter set the objective cannot score is never preferred.
 */
export interface MinimizeResult {
  x: number[]
  fx: number
  /** Simplex steps taken. */
  iterations: number
  /** Times the objective was evaluated. */
  evaluations: number
}

export interface MinimizeOptions {
  /** Size of the initial simplex along each axis (default 0.5). */
  step?: number
  /** Stop after this many simplex steps (default: no limit). */
  maxIterations?: number
  /** Stop once the objective has been evaluated this many times (default 200 × dimensions). */
  maxEvaluations?: number
  /** Stop when best and worst differ by at most tolerance × (|best| + tolerance) (default 1e-7). */
  tolerance?: number
}

export function nelderMead(f: (x: number[]) => number, start: readonly number[], options: MinimizeOptions = {}): MinimizeResult {
  const n = start.length
  const step = options.step ?? 0.5
  const maxIterations = options.maxIterations ?? Number.POSITIVE_INFINITY
  const maxEvaluations = options.maxEvaluations ?? 200 * n
  const tolerance = options.tolerance ?? 1e-7
  let evaluations = 0
  const value = (x: number[]): number => {
    evaluations++
    const v = f(x)
    return Number.isFinite(v) ? v : Number.MAX_VALUE
  }
  const first = [...start]
  const simplex: {x: number[]; fx: number}[] = [{x: first, fx: value(first)}]
  for (let i = 0; i < n; i++) {
    const x = [...start]
    x[i] += step
    simplex.push({x, fx: value(x)})
  }
  const combine = (a: readonly number[], b: readonly number[], t: number): number[] => a.map((ai, i) => ai + t * (b[i] - ai))
  let iterations = 0
  for (; iterations < maxIterations && evaluations < maxEvaluations; iterations++) {
    simplex.sort((p, q) => p.fx - q.fx)
    const best = simplex[0]
    const worst = simplex[n]
    if (Math.abs(worst.fx - best.fx) <= tolerance * (Math.abs(best.fx) + tolerance)) break
    const centroid = new Array<number>(n).fill(0)
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) centroid[j] += simplex[i].x[j] / n
    const reflected = combine(centroid, worst.x, -1)
    const fr = value(reflected)
    if (fr < best.fx) {
      const expanded = combine(centroid, worst.x, -2)
      const fe = value(expanded)
      simplex[n] = fe < fr ? {x: expanded, fx: fe} : {x: reflected, fx: fr}
    } else if (fr < simplex[n - 1].fx) {
      simplex[n] = {x: reflected, fx: fr}
    } else {
      // Contract towards the better of the reflected and the worst point.
      const outside = fr < worst.fx
      const contracted = combine(centroid, worst.x, outside ? -0.5 : 0.5)
      const fc = value(contracted)
      if (fc < Math.min(fr, worst.fx)) {
        simplex[n] = {x: contracted, fx: fc}
      } else {
        for (let i = 1; i <= n; i++) {
          const x = combine(best.x, simplex[i].x, 0.5)
          simplex[i] = {x, fx: value(x)}
        }
      }
    }
  }
  simplex.sort((p, q) => p.fx - q.fx)
  return {x: simplex[0].x, fx: simplex[0].fx, iterations, evaluations}
}
