/**
 * Chart data as the page carries it: columnar (field names once, then rows of values), numbers
 * rounded to 5 significant digits, so a long series costs a few bytes a value and the same data
 * always gives the same bytes.
 */

export type Cell = number | string | boolean | null

export interface Dataset {
  fields: string[]
  rows: Cell[][]
}

/** 5 significant digits (integers exact: epoch milliseconds must not round to a day); non-finite numbers become null (a gap). */
export function compactNumber(x: number): number | null {
  if (!Number.isFinite(x)) return null
  if (Number.isSafeInteger(x)) return x
  const r = Number(x.toPrecision(5))
  return Object.is(r, -0) ? 0 : r
}

function cell(v: unknown): Cell {
  if (typeof v === 'number') return compactNumber(v)
  if (typeof v === 'string' || typeof v === 'boolean') return v
  return null
}

/** A dataset from row objects: fields in the order given. */
export function dataset(fields: readonly string[], objects: readonly Record<string, unknown>[]): Dataset {
  return {fields: [...fields], rows: objects.map((o) => fields.map((f) => cell(o[f])))}
}

/** The row objects a chart reads (the page and the SVG renderer expand datasets the same way). */
export function expand(d: Dataset): Record<string, Cell>[] {
  return d.rows.map((row) => {
    const o: Record<string, Cell> = {}
    d.fields.forEach((f, i) => {
      o[f] = row[i]
    })
    return o
  })
}
