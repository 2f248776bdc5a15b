/**
 * A chart: a Vega-Lite spec whose data are named datasets (carried beside it, columnar), a title,
 * a caption that says what it shows, and what a test should find in it once drawn.
 */
import type {Dataset} from './dataset.js'

export type VegaLiteSpec = Record<string, unknown>

export interface Chart {
  /** Unique within a page: letters, digits and dashes (the element id and the SVG file name). */
  id: string
  title: string
  caption: string
  /** The spec; `data: {name}` refers to a dataset of the chart's `data`. */
  spec: VegaLiteSpec
  /** Dataset name → data. Names must be unique within a page. */
  data: Record<string, Dataset>
  /** The series the chart draws (distinct values of its colour field), for the browser tests. */
  series?: string[]
}

/** Sections of a page: a heading, paragraphs, tables and charts, in order. */
export interface Section {
  heading: string
  paragraphs?: string[]
  tables?: Table[]
  charts?: Chart[]
}

export interface Table {
  caption?: string
  headers: string[]
  rows: string[][]
  /** Per row: a CSS class ('pass' | 'fail') for verdict rows. */
  rowClass?: (string | undefined)[]
}

export interface Page {
  /** The kind of report, e.g. "simulation": the page's title starts with it. */
  kind: string
  title: string
  /** Lines under the title (inputs, seed, what the figures rest on). */
  subtitle: string[]
  sections: Section[]
}

const WIDTH = 640
const HEIGHT = 180

/** The common look: width, height, fonts; the caller's spec wins. */
export function baseSpec(spec: VegaLiteSpec): VegaLiteSpec {
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    width: WIDTH,
    height: HEIGHT,
    config: {
      font: 'DejaVu Sans, Helvetica, Arial, sans-serif',
      axis: {labelFontSize: 11, titleFontSize: 11, grid: true, gridOpacity: 0.5},
      legend: {labelFontSize: 11, titleFontSize: 11, orient: 'right', labelLimit: 280},
      view: {stroke: null},
      line: {strokeWidth: 1.5},
    },
    ...spec,
  }
}

/** A time axis in hours (the simulator's clock starts at 0). */
export const hoursAxis = {field: 'h', type: 'quantitative', title: 'time (h)', axis: {tickMinStep: 0.25}} as const
