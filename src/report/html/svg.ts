/**
 * A chart as a standalone SVG, drawn in Node by Vega's headless renderer (no browser, no canvas):
 * what PLAN.md shows in a pull request. Deterministic for the same chart.
 */
import * as vega from 'vega'

import type {Chart} from './chart.js'
import {expand} from './dataset.js'
import {usedDatasets, vegaSpecOf} from './vega-spec.js'

export async function renderSvg(chart: Chart): Promise<string> {
  const spec = vegaSpecOf(chart)
  const view = new vega.View(vega.parse(spec as vega.Spec), {renderer: 'none', logLevel: vega.Error})
  for (const name of usedDatasets(chart, spec)) view.data(name, expand(chart.data[name]))
  try {
    const svg = await view.toSVG()
    return `${svg}\n`
  } finally {
    view.finalize()
  }
}
