/**
 * One self-contained HTML report: the Vega and Vega-Lite runtimes inlined, each chart's Vega-Lite
 * spec and the data inlined as compact JSON, compiled and drawn by the page when it opens. Opening it
 * needs no network; the same page data give the same bytes (no timestamps, no random ids, no
 * absolute paths). Compiling in the page keeps Vega-Lite's compiler (~0.1 CPU-s and ~10 MiB a run)
 * out of every command that writes a page; a chart is compiled in Node only to draw an SVG (svg.ts).
 */
import {existsSync, readFileSync} from 'node:fs'
import {createRequire} from 'node:module'
import {dirname, join} from 'node:path'

import {baseSpec, type Chart, type Page, type Section, type Table} from './chart.js'
import type {Dataset} from './dataset.js'

const require = createRequire(import.meta.url)
const runtimes = new Map<string, string>()

function packageRoot(name: string): string {
  let dir = dirname(require.resolve(name))
  while (!existsSync(join(dir, 'package.json')) || (JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as {name?: string}).name !== name) {
    const up = dirname(dir)
    if (up === dir) throw new Error(`cannot find the ${name} package`)
    dir = up
  }
  return dir
}

/** A package's minified browser build (vega.min.js, vega-lite.min.js; both BSD-3-Clause), read once, safe inside <script>. */
function runtime(name: 'vega' | 'vega-lite'): string {
  let text = runtimes.get(name)
  if (text === undefined) {
    // The packages' exports hide build/: find it beside the package.json their main entry resolves to.
    text = readFileSync(join(packageRoot(name), 'build', `${name}.min.js`), 'utf8').replace(/<\/script/gi, '<\\/script')
    runtimes.set(name, text)
  }
  return text
}

/** Marks a page fleetcap wrote (an existing --html file without it is the user's and is not replaced). */
export const GENERATOR = 'fleetcap report'

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

// Runs in the page: compiles each chart's Vega-Lite spec (warnings, such as a dropped format, go
// nowhere) and builds its view with the datasets the compiled spec reads (Vega-Lite drops a named
// source no layer uses). Views are kept in window.fleetcapViews and what each drew in
// window.fleetcapCharts (the browser tests read both); body[data-charts-ready] is set to the number
// of charts drawn, or body[data-charts-error] to the first error.
const BOOT = `(function(){
var specs=JSON.parse(document.getElementById('fleetcap-specs').textContent);
var data=JSON.parse(document.getElementById('fleetcap-data').textContent);
function expand(d){return d.rows.map(function(r){var o={};for(var i=0;i<d.fields.length;i++)o[d.fields[i]]=r[i];return o})}
var quiet={level:function(){return quiet},error:function(){return quiet},warn:function(){return quiet},info:function(){return quiet},debug:function(){return quiet}};
window.fleetcapViews={};window.fleetcapCharts=[];
var runs=specs.map(function(c){try{
var el=document.getElementById('chart-'+c.id);
var compiled=vegaLite.compile(c.spec,{logger:quiet}).spec;
var read={};(compiled.data||[]).forEach(function(d){read[d.name]=true});
var used=c.datasets.filter(function(n){return read[n]});
window.fleetcapCharts.push({id:c.id,datasets:used,series:c.series});
var view=new vega.View(vega.parse(compiled),{renderer:'svg',container:el,hover:true,logLevel:vega.Warn});
used.forEach(function(n){view.data(n,expand(data[n]))});
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
  const specs = charts.map((c) => ({id: c.id, datasets: Object.keys(c.data), series: c.series ?? null, spec: baseSpec(c.spec)}))
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
    '<p class="sub">Made by fleetcap. Charts: Vega and Vega-Lite (BSD-3-Clause), inlined; the page needs no network.</p>',
    `<script id="fleetcap-specs" type="application/json">${scriptJson(specs)}</script>`,
    `<script id="fleetcap-data" type="application/json">${scriptJson(data)}</script>`,
    `<script>${runtime('vega')}</script>`,
    `<script>${runtime('vega-lite')}</script>`,
    `<script>${BOOT}</script>`,
    '</body>',
    '</html>',
    '',
  ].join('\n')
}
