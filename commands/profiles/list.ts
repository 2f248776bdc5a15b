import {Flags} from '@oclif/core'

import {FleetcapCommand} from '../../src/cli/base-command.js'
import {pick, sharedFlags} from '../../src/cli/flags.js'
import {listProfiles, type ProfilesListResult, renderProfilesList} from '../../src/fleet/profiles-list.js'

export default class ProfilesList extends FleetcapCommand<typeof ProfilesList> {
  static override description = `List the GPU profiles and the serving profiles shipped in models/.

Prefill tok/s is one 2048-token prompt; decode steps are at 1024 tokens of context per sequence.
Status: measured, transferred or roofline (what stands behind the profile); band: step-time
multipliers at the edges of its uncertainty (fast-slow).
Exit codes: 0 ok, 2 unknown --gpu/--model or a broken models/*.yaml.`

  static override examples = [
    '<%= config.bin %> profiles list',
    '<%= config.bin %> profiles list --gpu a100 --json',
    '<%= config.bin %> profiles list --model llama-3.1-70b',
  ]

  static override flags = {
    gpu: Flags.string({description: 'Only serving profiles on this GPU (name or alias).'}),
    model: Flags.string({description: 'Only serving profiles of this model.'}),
    ...pick(sharedFlags, 'engine', 'precision'),
  }

  public async run(): Promise<ProfilesListResult> {
    const result = listProfiles(this.flags)
    for (const line of renderProfilesList(result)) this.say(line)
    return result
  }
}
