/**
 * Nelder–Mead simplex minimisation: derivative-free, enough for the 2–4 smoothing parameters of
 * Holt-Winters. Deterministic (fixed initial simplex), bounded by an evaluation budget.
 */
export interface MinimizeResult {
  x: number[]
  fx: number
  evaluations: number
}

export function nelderMead(f: (x: number[]) => number, x0: number[], options: {step?: number; maxEvaluations?: number; tolerance?: number} = {}): MinimizeResult {
  const dim = x0.length
  const step = options.step ?? 0.5
  const maxEval = options.maxEvaluations ?? 200 * dim
  const tol = options.tolerance ?? 1e-7
  let evaluations = 0
  const value = (x: number[]): number => {
    evaluations++
    const v = f(x)
    return Number.isFinite(v) ? v : Number.MAX_VALUE
  }
  const simplex: {x: number[]; fx: number}[] = [{x: [...x0], fx: value(x0)}]
  for (let i = 0; i < dim; i++) {
    const x = [...x0]
    x[i] += step
    simplex.push({x, fx: value(x)})
  }
  const combine = (a: number[], b: number[], t: number): number[] => a.map((ai, i) => ai + t * (b[i] - ai))
  while (evaluations < maxEval) {
    simplex.sort((a, b) => a.fx - b.fx)
    const best = simplex[0]
    const worst = simplex[dim]
    if (Math.abs(worst.fx - best.fx) <= tol * (Math.abs(best.fx) + tol)) break
    const centroid = new Array<number>(dim).fill(0)
    for (let i = 0; i < dim; i++) for (let j = 0; j < dim; j++) centroid[j] += simplex[i].x[j] / dim
    const reflected = combine(centroid, worst.x, -1)
    const fr = value(reflected)
    if (fr < best.fx) {
      const expanded = combine(centroid, worst.x, -2)
      const fe = value(expanded)
      simplex[dim] = fe < fr ? {x: expanded, fx: fe} : {x: reflected, fx: fr}
    } else if (fr < simplex[dim - 1].fx) {
      simplex[dim] = {x: reflected, fx: fr}
    } else {
      const outside = fr < worst.fx
      const contracted = combine(centroid, worst.x, outside ? -0.5 : 0.5)
      const fc = value(contracted)
      if (fc < Math.min(fr, worst.fx)) {
        simplex[dim] = {x: contracted, fx: fc}
      } else {
        for (let i = 1; i <= dim; i++) {
          const x = combine(best.x, simplex[i].x, 0.5)
          simplex[i] = {x, fx: value(x)}
        }
      }
    }
  }
  simplex.sort((a, b) => a.fx - b.fx)
  return {x: simplex[0].x, fx: simplex[0].fx, evaluations}
}
