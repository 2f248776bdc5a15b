/**
 * Kubernetes resource quantities ("500m", "100", "1k", "1.5Gi", "2e3"), as
 * k8s.io/apimachinery/pkg/api/resource parses them. The HPA controller compares metric values in
 * milli-units (int64), so this module returns both the value and its milli-value, the latter
 * rounded up as Quantity.MilliValue() rounds.
 */

const SUFFIX: Record<string, number> = {
  n: 1e-9,
  u: 1e-6,
  m: 1e-3,
  '': 1,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  P: 1e15,
  E: 1e18,
  Ki: 2 ** 10,
  Mi: 2 ** 20,
  Gi: 2 ** 30,
  Ti: 2 ** 40,
  Pi: 2 ** 50,
  Ei: 2 ** 60,
}

const QUANTITY = /^([+-]?)(\d+(?:\.\d*)?|\.\d+)(?:([eE][+-]?\d+)|(Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E))?$/

/** Parse a quantity; returns undefined when `text` is not one. */
export function parseQuantity(text: string | number): number | undefined {
  if (typeof text === 'number') return Number.isFinite(text) ? text : undefined
  const m = QUANTITY.exec(text.trim())
  if (m === null) return undefined
  const sign = m[1] === '-' ? -1 : 1
  const mantissa = Number(m[2])
  if (m[3] !== undefined) return sign * mantissa * 10 ** Number(m[3].slice(1))
  return sign * mantissa * SUFFIX[m[4] ?? '']
}

/** The milli-value the controller computes with: value × 1000, rounded up (Quantity.MilliValue). */
export function toMilli(value: number): number {
  // Remove binary-float noise (0.1 × 1000 = 100.00000000000001) before rounding up.
  const scaled = value * 1000
  const nearest = Math.round(scaled)
  return Math.abs(scaled - nearest) < 1e-6 ? nearest : Math.ceil(scaled)
}

/** Render a milli-value the way kubectl prints it: "500m", "100", "1500m". */
export function formatMilli(milli: number): string {
  return milli % 1000 === 0 ? String(milli / 1000) : `${milli}m`
}
