/**
 * Vega-Lite without all of Vega. Vega-Lite's build imports four helpers (stringValue,
 * hasOwnProperty, isObject, isString) from 'vega', which only re-exports them from vega-util;
 * loading Vega for them cost every page written ~0.13 CPU-s and 12 MiB. Once this is called,
 * that one import resolves to the vega-util module Vega re-exports: the same functions. Other
 * imports of 'vega' (plan's SVG charts) are untouched. Call it before the page's modules first load.
 */
import {registerHooks} from 'node:module'

let registered = false

export function loadVegaLiteAlone(): void {
  if (registered) return
  registered = true
  // Registered only when a page is written: a resolve hook slows every later module load a little.
  registerHooks({
    resolve(specifier, context, nextResolve) {
      if (specifier === 'vega' && context.parentURL?.includes('/node_modules/vega-lite/')) {
        return nextResolve('vega-util', {...context, parentURL: nextResolve('vega', context).url})
      }
      return nextResolve(specifier, context)
    },
  })
}
