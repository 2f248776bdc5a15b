/**
 * A chart compiled from Vega-Lite to Vega in Node, for the SVGs drawn without a browser (svg.ts). The
 * HTML pages compile in the browser instead (page.ts), so only a command that draws an SVG loads
 * Vega-Lite's compiler.
 */
import {compile} from 'vega-lite'

import {baseSpec, type Chart} from './chart.js'

// Vega-Lite's warnings (a dropped format, an empty log scale) would go to the user's terminal.
const QUIET = {level: () => QUIET, error: () => QUIET, warn: () => QUIET, info: () => QUIET, debug: () => QUIET} as unknown as NonNullable<Parameters<typeof compile>[1]>['logger']

/** The Vega spec of a chart (Vega-Lite compiled with the page's common look). */
export function vegaSpecOf(chart: Chart): Record<string, unknown> {
  return compile(baseSpec(chart.spec) as unknown as Parameters<typeof compile>[0], {logger: QUIET}).spec as unknown as Record<string, unknown>
}

/** The chart's datasets its compiled spec reads (Vega-Lite drops a named source no layer uses). */
export function usedDatasets(chart: Chart, vega: Record<string, unknown>): string[] {
  const names = new Set(((vega.data ?? []) as {name?: string}[]).map((d) => d.name))
  return Object.keys(chart.data).filter((n) => names.has(n))
}
