// Types of the k6 extension k6/x/fleetcap-stream (scripts/k6-stream/stream/stream.go), so that
// scripts `fleetcap k6 export --stream-reader` writes type-check with @types/k6 like the others.
declare module 'k6/x/fleetcap-stream' {
  interface PostOptions {
    /** Request headers; content-type defaults to application/json. */
    headers?: Record<string, string>
    /** Whole-request timeout in milliseconds (default 60 000). */
    timeoutMs?: number
    /** Tags added to every sample of this request (besides the VU's own). */
    tags?: Record<string, string>
  }
  interface StreamResult {
    /** HTTP status; 0 when no response came (then `error` says why). */
    status: number
    error: string
    /** The stream ended with `data: [DONE]` (or a non-streamed JSON answer was read in full). */
    done: boolean
    /** The response was text/event-stream. */
    sse: boolean
    /** Output tokens: the usage the server reported, else the events with text. */
    tokens: number
    /** Events with text. */
    events: number
    /** From sending the request to the last byte. */
    e2eMs: number
    /** From sending the request to the first event with text (complete streams only). */
    ttftMs?: number
    /** Mean time per output token after the first (complete streams of two tokens or more). */
    tpotMs?: number
    /** Each gap between two events with text. */
    gapsMs?: number[]
  }
  interface FleetcapStream {
    post(url: string, body: string, options?: PostOptions): StreamResult
  }
  const stream: FleetcapStream
  export default stream
}
