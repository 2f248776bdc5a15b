import {existsSync} from 'node:fs'
import {homedir} from 'node:os'
import {delimiter, join} from 'node:path'

import {InputError} from '../errors.js'

/** Which kubeconfig the client reads: the one named, $KUBECONFIG, ~/.kube/config, or the pod's own account. */

export const SERVICEACCOUNT_DIR = '/var/run/secrets/kubernetes.io/serviceaccount'

/** Running in a pod (the service environment and a mounted token) with no kubeconfig named. */
export function inPodWithoutKubeconfig(): boolean {
  return !process.env.KUBECONFIG && process.env.KUBERNETES_SERVICE_HOST !== undefined && existsSync(`${SERVICEACCOUNT_DIR}/token`)
}

export function resolveKubeconfigPath(explicit: string | undefined): string {
  if (explicit !== undefined) {
    if (!existsSync(explicit)) throw new InputError({file: explicit}, 'kubeconfig not found')
    return explicit
  }
  const fromEnv = (process.env.KUBECONFIG ?? '').split(delimiter).filter(Boolean)
  const candidates = fromEnv.length > 0 ? fromEnv : [join(homedir(), '.kube', 'config')]
  const found = candidates.find((p) => existsSync(p))
  if (!found) {
    throw new InputError({file: candidates.join(delimiter)}, 'no kubeconfig found', {hint: 'pass --kubeconfig FILE or set KUBECONFIG'})
  }
  return found
}
