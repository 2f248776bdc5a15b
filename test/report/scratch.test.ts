import {it, expect} from 'vitest'
import {ReportBrowser} from './browser.js'
it('opens', async () => {
  const b = new ReportBrowser(); await b.start()
  const r = await b.open('/tmp/r/hpa.html', 'scratch-hpa')
  console.log(JSON.stringify({e: r.consoleErrors, q: r.requests, c: r.charts}, null, 1))
  await r.close(); await b.stop()
})
