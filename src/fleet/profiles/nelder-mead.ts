/**
 * Nelder–Mead simplex minimisation (Nelder & Mead 1965; the standard reflection 1, expansion 2,
 * contraction ½, shrink ½ coefficients). Deterministic: same start, same answer.
 */
export interface MinimizeResult {
  x: number[]
  fx: number
  iterations: number
}

export function nelderMead(
  f: (x: readonly number[]) => number,
  start: readonly number[],
  options: {step?: number; maxIterations?: number; tolerance?: number} = {},
): MinimizeResult {
  const n = start.length
  const step = options.step ?? 0.5
  const maxIterations = options.maxIterations ?? 4000
  const tolerance = options.tolerance ?? 1e-12
  let simplex: {x: number[]; fx: number}[] = [{x: [...start], fx: f(start)}]
  for (let i = 0; i < n; i++) {
    const x = [...start]
    x[i] += step
    simplex.push({x, fx: f(x)})
  }
  const combine = (a: readonly number[], b: readonly number[], t: number): number[] => a.map((ai, i) => ai + t * (b[i] - ai))
  let it = 0
  for (; it < maxIterations; it++) {
    simplex.sort((p, q) => p.fx - q.fx)
    const best = simplex[0]
    const worst = simplex[n]
    if (Math.abs(worst.fx - best.fx) <= tolerance * (Math.abs(best.fx) + tolerance)) break
    const centroid = new Array<number>(n).fill(0)
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) centroid[j] += simplex[i].x[j] / n
    const xr = combine(centroid, worst.x, -1)
    const fr = f(xr)
    if (fr < best.fx) {
      const xe = combine(centroid, worst.x, -2)
      const fe = f(xe)
      simplex[n] = fe < fr ? {x: xe, fx: fe} : {x: xr, fx: fr}
    } else if (fr < simplex[n - 1].fx) {
      simplex[n] = {x: xr, fx: fr}
    } else {
      const outside = fr < worst.fx
      const xc = combine(centroid, outside ? xr : worst.x, 0.5)
      const fc = f(xc)
      if (fc < (outside ? fr : worst.fx)) {
        simplex[n] = {x: xc, fx: fc}
      } else {
        simplex = simplex.map((p, i) => {
          if (i === 0) return p
          const x = combine(best.x, p.x, 0.5)
          return {x, fx: f(x)}
        })
      }
    }
  }
  simplex.sort((p, q) => p.fx - q.fx)
  return {x: simplex[0].x, fx: simplex[0].fx, iterations: it}
}
