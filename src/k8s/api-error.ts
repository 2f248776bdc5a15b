import {ExitCode, FleetcapError} from '../errors.js'

/** The API server answered with an error status: kept apart so callers can react to 404, 409 and so on. */
export class ApiError extends FleetcapError {
  /** The server's Retry-After, seconds (429, 503). */
  retryAfterS: number | undefined
  constructor(
    readonly status: number,
    readonly reason: string,
    readonly apiMessage: string,
    readonly details: {causes?: Array<{reason?: string; message?: string; field?: string}>} | undefined,
    readonly what: string,
  ) {
    super(`${what}: ${apiMessage || reason || `HTTP ${status}`}`, {
      exit: status === 401 || status === 403 ? ExitCode.UNREACHABLE : ExitCode.INPUT,
      hint:
        status === 401
          ? 'the cluster refused the credentials in the kubeconfig'
          : status === 403
            ? 'the user lacks permissions: `fleetcap apply-to-cluster PLAN --print-rbac` prints the Role it needs'
            : undefined,
    })
  }
}
