/** The plain-JSON shapes the client (client.ts) reads and writes, and how an object is named. */

/** A Kubernetes object as JSON; the API server validates the rest. */
export interface KubeObject {
  apiVersion: string
  kind: string
  metadata: {
    name: string
    namespace?: string
    labels?: Record<string, string>
    annotations?: Record<string, string>
    resourceVersion?: string
    generation?: number
    [key: string]: unknown
  }
  [key: string]: unknown
}

export interface KubeList<T = KubeObject> {
  items: T[]
  metadata: {resourceVersion?: string; continue?: string}
}

/** Which cluster a client talks to, as the user should see it before anything changes. No credentials. */
export interface ClusterTarget {
  server: string
  context: string
  cluster: string
  user: string
  namespace: string
  kubeconfig: string
}

export interface ObjectRef {
  apiVersion: string
  kind: string
  namespace?: string
  name: string
}

export function refOf(object: KubeObject): ObjectRef {
  return {apiVersion: object.apiVersion, kind: object.kind, namespace: object.metadata.namespace, name: object.metadata.name}
}

export function describe(ref: ObjectRef): string {
  return `${ref.kind} ${ref.namespace ? `${ref.namespace}/` : ''}${ref.name}`
}
