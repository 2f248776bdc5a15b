import {Args, Flags} from '@oclif/core'

import {FleetcapCommand} from '../../src/cli/base-command.js'
import {durationFlag} from '../../src/cli/flags.js'
import {TRACE_FORMATS, type TraceInspection} from '../../src/workload/index.js'
import {inspectTraceWithFlags} from '../../src/workload/inspect-flags.js'
import {renderInspection} from '../../src/workload/render.js'

export default class TraceInspect extends FleetcapCommand<typeof TraceInspect> {
  static override description = `Summarize a task trace: rows, span, arrival rate over time, token percentiles.

Reads the file in one streaming pass (CSV, or JSONL for Mooncake). Public formats (Azure LLM inference
trace, Mooncake, BurstGPT) are recognised by extension and header; any other CSV is mapped by header
aliases or --map.

Exit codes: 0 ok, 2 bad input (unreadable file, bad row: the message names file, line and column), 1 internal error.`

  static override examples = [
    '<%= config.bin %> trace inspect data/traces/AzureLLMInferenceTrace_conv.csv',
    '<%= config.bin %> trace inspect requests.csv --map time=ts,input=prompt,output=completion --bucket 5m',
    '<%= config.bin %> trace inspect messy.csv --skip-invalid --reorder-window 30 --json',
  ]

  static override args = {
    file: Args.string({description: 'Trace file (CSV or JSONL).', required: true}),
  }

  static override flags = {
    format: Flags.option({options: TRACE_FORMATS, default: 'auto', description: 'Trace format.'})(),
    map: Flags.string({description: 'Column mapping, FIELD=COLUMN pairs: time, input, output, type, priority, model.'}),
    'time-unit': Flags.option({
      options: ['auto', 'iso', 's', 'ms'] as const,
      default: 'auto',
      description: 'How to read times (auto detects ISO-8601, epoch s/ms, relative s).',
    })(),
    bucket: durationFlag()({default: '60s', description: 'Width of a rate bucket (90s, 5m, 1h; a bare number is seconds).'}),
    'skip-invalid': Flags.boolean({description: 'Skip and count bad rows instead of stopping at the first.'}),
    'reorder-window': durationFlag({min: 0})({default: '0s', description: 'How much disorder to put back in order (a duration).'}),
  }

  public async run(): Promise<TraceInspection> {
    const inspection = await inspectTraceWithFlags(this.args.file, this.flags)
    if (!this.jsonEnabled()) this.say(renderInspection(inspection))
    return inspection
  }
}
