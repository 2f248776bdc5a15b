
import {Flags} from '@oclif/core'

import {FleetcapCommand} from '../../src/cli/base-command.js'
import {durationFlag, numberFlag, pick, rateFlag, sharedFlags} from '../../src/cli/flags.js'
import {numberListFlag} from '../../src/cli/list-flags.js'
import {InputError} from '../../src/errors.js'
import {checkOutputFile} from '../../src/util/atomic-write.js'
import {generateTrace, type GenerateResult, RATE} from '../../src/workload/generate-trace.js'

export default class TraceGenerate extends FleetcapCommand<typeof TraceGenerate> {
  static override description = `Generate a synthetic task trace and write it as fleetcap's trace CSV.

Arrivals are a Poisson process at the given mean rate, shaped by a daily cycle and weekly multipliers
(for bursts, agent chains, mixes and deadlines use --spec with a full workload spec). The output has one
row per LLM call (header arrival_s,input_tokens,output_tokens,task_type,priority,model,task_id,call_index,
delay_s,service_s,deadline_s) and reads back with \`fleetcap trace inspect\` or as a trace workload.
The same seed gives the same file, byte for byte. An existing file is never overwritten without --force.

Exit codes: 0 ok, 2 bad input (bad flag or spec, the output exists), 1 internal error.`

  static override examples = [
    '<%= config.bin %> trace generate --tasks-per-day 5000 --duration 1d --shape daily --input-tokens 1000 --output-tokens 200 --out day.csv',
    '<%= config.bin %> trace generate --rate 2 --duration 1h --tokens-from data/traces/AzureLLMInferenceTrace_conv.csv --seed 7 --out hour.csv',
    '<%= config.bin %> trace generate --spec scenarios/agents.yaml --duration 2h --out agents.csv --force',
  ]

  static override flags = {
    spec: Flags.string({description: 'YAML with a workload spec (bare, or a scenario\'s workload: section); replaces the workload flags.'}),
    'tasks-per-day': rateFlag('day', RATE)({description: 'Mean tasks per day; or a rate in any unit, as --rate.'}),
    rate: rateFlag('s', RATE)({description: 'Mean tasks per second (2, 2/s, 120/min, 50000/day).'}),
    duration: durationFlag()({description: 'Length of the trace (90s, 15m, 2h, 1d; a bare number is seconds).'}),
    shape: Flags.option({options: ['flat', 'daily'] as const, description: 'Rate shape over the day (default flat).'})(),
    'peak-hour': numberFlag({min: 0, max: 24})({description: 'With --shape daily: hour (0-24) of the peak (default 14).'}),
    'peak-to-trough': numberFlag({min: 1})({description: 'With --shape daily: peak rate / trough rate (default 3).'}),
    weekly: numberListFlag({length: 7, min: 0})({description: 'Seven day multipliers, comma-separated, first day first (normalized to mean 1).'}),
    'input-tokens': Flags.integer({description: 'Input tokens per task (constant).', min: 1}),
    'output-tokens': Flags.integer({description: 'Output tokens per task (constant).', min: 1}),
    'tokens-from': Flags.string({description: 'Trace whose (input, output) token pairs are resampled.', exclusive: ['input-tokens', 'output-tokens']}),
    ...pick(sharedFlags, 'seed'),
    out: Flags.string({char: 'o', required: true, description: 'Output CSV file; - for stdout (a FIFO or /dev/stdout is written into, never replaced).'}),
    force: Flags.boolean({description: 'Overwrite the output file if it exists.'}),
  }

  public async run(): Promise<GenerateResult> {
    const target = checkOutputFile(this.flags.out, this.flags.force)
    if (target.kind === 'stdout' && this.jsonEnabled()) throw new InputError({field: '--out'}, '- (stdout) cannot be combined with --json: both would be written to stdout')
    const {result, summary} = await generateTrace(this.flags)
    // The trace itself may be on stdout: the summary then goes to stderr.
    if (target.kind === 'file') this.say(summary)
    else this.note(summary)
    return result
  }
}
