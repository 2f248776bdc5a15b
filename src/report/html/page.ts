/**
 * One self-contained HTML report: the Vega runtime inlined, every chart compiled from Vega-Lite to
 * Vega here in Node, the data inlined as compact JSON. Opening it needs no network; the same page
 * data give the same bytes (no timestamps, no random ids, no absolute paths).
 */
import {existsSync, readFileSync} from 'node:fs'
import {createRequire} from 'node:module'
import {dirname, join} from 'node:path'

import {compile} from 'vega-lite'

import {baseSpec, type Chart, type Page, type Section, type Table} from './chart.js'
import type {Dataset} from './dataset.js'

const require = createRequire(import.meta.url)
let vegaBundle: string | undefined

function packageRoot(name: string): string {
  let dir = dirname(require.resolve(name))
  while (!existsSync(join(dir, 'package.json')) || (JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as {name?: string}).name !== name) {
    const up = dirname(dir)
    if (up === dir) throw new Error(`cannot find the ${name} package`)
    dir = up
  }
  return dir
}

/** vega.min.js as shipped in the vega package (BSD-3-Clause), read once. */
function vegaRuntime(): string {
  // The package's exports hide build/: find it beside the package.json its main entry resolves to.
  vegaBundle ??= readFileSync(join(packageRoot('vega'), 'build', 'vega.min.js'), 'utf8')
  return vegaBundle
}

// Vega-Lite's warnings (a dropped format, an empty log scale) would go to the user's terminal.
const QUIET = {level: () => QUIET, error: () => QUIET, warn: () => QUIET, info: () => QUIET, debug: () => QUIET} as unknown as NonNullable<Parameters<typeof compile>[1]>['logger']

/** The Vega spec of a chart (Vega-Lite compiled with the page's common look). */
export function vegaSpecOf(chart: Chart): Record<string, unknown> {
  return compile(baseSpec(chart.spec) as unknown as Parameters<typeof compile>[0], {logger: QUIET}).spec as unknown as Record<string, unknown>
}

/** Marks a page fleetcap wrote (an existing --html file without it is the user's and is not replaced). */
export const GENERATOR = 'fleetcap report'

/** The chart's datasets its compiled spec reads (Vega-Lite drops a named source no layer uses). */
export function usedDatasets(chart: Chart, vega: Record<string, unknown>): string[] {
  const names = new Set(((vega.data ?? []) as {name?: string}[]).map((d) => d.name))
  return Object.keys(chart.data).filter((n) => names.has(n))
}

const escapeHtml = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;')

/** JSON safe inside a <script> element: "</" and U+2028/9 cannot end or break it. */
function scriptJson(value: unknown): string {
  return JSON.stringify(value).replace(/<\//g, '<\\/').replace(/<!--/g, '<\\!--').replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029')
}

function tableHtml(t: Table): string {
  const head = `<tr>${t.headers.map((h) => `<th>${escapeHtml(h)}</th>`).join('')}</tr>`
  const body = t.rows
    .map((r, i) => {
      const cls = t.rowClass?.[i]
      return `<tr${cls ? ` class="${cls}"` : ''}>${r.map((c) => `<td>${escapeHtml(c)}</td>`).join('')}</tr>`
    })
    .join('\n')
  return `<table>${t.caption ? `<caption>${escapeHtml(t.caption)}</caption>` : ''}\n<thead>${head}</thead>\n<tbody>\n${body}\n</tbody></table>`
}

function chartHtml(c: Chart): string {
  return `<figure class="chart" id="figure-${c.id}">\n<h3>${escapeHtml(c.title)}</h3>\n<div class="view" id="chart-${c.id}" data-chart="${c.id}"></div>\n<figcaption>${escapeHtml(c.caption)}</figcaption>\n</figure>`
}

function sectionHtml(s: Section, index: number): string {
  const parts = [`<section id="s${index}">`, `<h2>${escapeHtml(s.heading)}</h2>`]
  for (const p of s.paragraphs ?? []) parts.push(`<p>${escapeHtml(p)}</p>`)
  for (const t of s.tables ?? []) parts.push(tableHtml(t))
  for (const c of s.charts ?? []) parts.push(chartHtml(c))
  parts.push('</section>')
  return parts.join('\n')
}

const CSS = `
body{font-family:"DejaVu Sans",Helvetica,Arial,sans-serif;margin:0 auto;max-width:1000px;padding:1rem 1.5rem;color:#222;background:#fff}
h1{font-size:1.5rem;margin:.5rem 0}h2{font-size:1.2rem;border-bottom:1px solid #ddd;padding-bottom:.2rem;margin-top:2rem}h3{font-size:1rem;margin:.8rem 0 .3rem}
p.sub{margin:.1rem 0;color:#555;font-size:.9rem}
table{border-collapse:collapse;margin:.6rem 0;font-size:.85rem}caption{text-align:left;font-weight:bold;padding:.2rem 0}
th,td{border:1px solid #ddd;padding:.2rem .5rem;text-align:right}th:first-child,td:first-child{text-align:left}th{background:#f4f4f4}
tr.pass td:last-child{color:#1a7f37;font-weight:bold}tr.fail td:last-child{color:#c62828;font-weight:bold}tr.chosen{background:#eef6ee}
figure.chart{margin:.5rem 0 1.5rem}figcaption{font-size:.85rem;color:#555;max-width:52rem}
nav a{margin-right:.8rem;font-size:.9rem}
`

// Runs in the page: builds each chart's view from its compiled spec and its datasets. Views are
// kept in window.fleetcapViews (the browser tests read their data); body[data-charts-ready] is set
// to the number of charts drawn, or body[data-charts-error] to the first error.
const BOOT = `(function(){
var specs=JSON.parse(document.getElementById('fleetcap-specs').textContent);
var data=JSON.parse(document.getElementById('fleetcap-data').textContent);
function expand(d){return d.rows.map(function(r){var o={};for(var i=0;i<d.fields.length;i++)o[d.fields[i]]=r[i];return o})}
window.fleetcapViews={};
var runs=specs.map(function(c){try{
var el=document.getElementById('chart-'+c.id);
var view=new vega.View(vega.parse(c.vega),{renderer:'svg',container:el,hover:true,logLevel:vega.Warn});
c.datasets.forEach(function(n){view.data(n,expand(data[n]))});
window.fleetcapViews[c.id]=view;
return view.runAsync().then(function(){el.setAttribute('data-rendered','true')});
}catch(e){return Promise.reject(e)}});
Promise.all(runs).then(function(){document.body.setAttribute('data-charts-ready',String(runs.length))},function(e){console.error(e);document.body.setAttribute('data-charts-error',String(e&&e.message||e))});
})();`

/** The page as HTML text. */
export function renderPage(page: Page): string {
  const charts = page.sections.flatMap((s) => s.charts ?? [])
  const ids = new Set<string>()
  const data: Record<string, Dataset> = {}
  for (const c of charts) {
    if (ids.has(c.id)) throw new Error(`duplicate chart id ${c.id}`)
    ids.add(c.id)
    for (const [name, d] of Object.entries(c.data)) {
      if (name in data && data[name] !== d) throw new Error(`dataset ${name} given twice`)
      data[name] = d
    }
  }
  const specs = charts.map((c) => {
    const vega = vegaSpecOf(c)
    return {id: c.id, datasets: usedDatasets(c, vega), series: c.series ?? null, vega}
  })
  const nav = page.sections.map((s, i) => `<a href="#s${i}">${escapeHtml(s.heading)}</a>`).join('')
  return [
    '<!DOCTYPE html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<meta name="generator" content="${GENERATOR}">`,
    // Nothing may be fetched: inline scripts and styles, images from data: only.
    `<meta http-equiv="Content-Security-Policy" content="default-src 'none'; script-src 'unsafe-inline' 'unsafe-eval'; style-src 'unsafe-inline'; img-src data:">`,
    `<title>${escapeHtml(`${page.kind}: ${page.title}`)}</title>`,
    `<style>${CSS}</style>`,
    '</head>',
    '<body>',
    `<h1>${escapeHtml(`${page.kind}: ${page.title}`)}</h1>`,
    ...page.subtitle.map((l) => `<p class="sub">${escapeHtml(l)}</p>`),
    `<nav>${nav}</nav>`,
    ...page.sections.map((s, i) => sectionHtml(s, i)),
    '<p class="sub">Made by fleetcap. Charts: Vega (BSD-3-Clause), inlined; the page needs no network.</p>',
    `<script id="fleetcap-specs" type="application/json">${scriptJson(specs)}</script>`,
    `<script id="fleetcap-data" type="application/json">${scriptJson(data)}</script>`,
    `<script>${vegaRuntime().replace(/<\/script/gi, '<\\/script')}</script>`,
    `<script>${BOOT}</script>`,
    '</body>',
    '</html>',
    '',
  ].join('\n')
}
