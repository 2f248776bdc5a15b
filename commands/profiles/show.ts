import {Args, Flags} from '@oclif/core'

import {FleetcapCommand} from '../../src/cli/base-command.js'
import {numberFlag, pick, sharedFlags} from '../../src/cli/flags.js'
import {type ProfilesShowResult, showProfiles} from '../../src/fleet/profiles-show.js'

export default class ProfilesShow extends FleetcapCommand<typeof ProfilesShow> {
  static override description = `Show one GPU or serving profile with every number's source and the calibration error.

NAME is a GPU (name or alias, e.g. a100) or a serving profile id (llama-3.1-8b@A100-80GB:tp1, with
:ENGINE and :PRECISION after the TP when not the defaults); or give --model and --gpu (and --tp;
default: the smallest TP that fits). --engine (default vllm) and --precision (default fp16) pick the
profile's engine and weight/KV precision. Its status says what stands behind it: measured (fitted on
rows of this GPU, engine and precision), transferred (factors carried from another: it says which)
or roofline; its band is the step-time uncertainty (docs/profiles.md).
Exit codes: 0 ok, 2 unknown name, a model that does not fit, or a broken models/*.yaml.`

  static override examples = [
    '<%= config.bin %> profiles show h100',
    '<%= config.bin %> profiles show llama-2-70b@A100-80GB:tp4',
    '<%= config.bin %> profiles show --model llama-3.1-70b --gpu a100-80gb --tp 8 --json',
    '<%= config.bin %> profiles show --model llama-3.1-8b --gpu l4 --price 0.7',
    '<%= config.bin %> profiles show --model llama-3.1-8b --gpu h100 --engine-overheads blis-vllm',
    '<%= config.bin %> profiles show --model llama-3.1-70b --gpu h100 --tp 4 --engine tensorrt-llm --precision fp8',
    '<%= config.bin %> profiles show llama-3.1-8b@H200:tp1:tensorrt-llm:fp8/fp8',
  ]

  static override args = {
    name: Args.string({description: 'GPU name/alias or serving profile id', required: false}),
  }

  static override flags = {
    model: Flags.string({description: 'Model name (with --gpu).'}),
    gpu: Flags.string({description: 'GPU name or alias (with --model).'}),
    tp: Flags.integer({description: 'Tensor-parallel degree.', min: 1, max: 64}),
    price: numberFlag({above: 0})({description: 'Override the price per GPU-hour (USD).'}),
    'engine-overheads': Flags.string({description: 'Replace the fitted CPU overheads with a named set from models/serving.yaml (e.g. blis-vllm).'}),
    ...pick(sharedFlags, 'engine', 'precision'),
  }

  public async run(): Promise<ProfilesShowResult> {
    const {result, lines} = showProfiles(this.args.name, this.flags)
    for (const line of lines) this.say(line)
    return result
  }
}
