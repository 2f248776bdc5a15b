// A k6 binary with fleetcap's stream reader compiled in: what `xk6 build --with` would generate
// (k6's own main plus a blank import of the extension), written out because the Go module proxy
// this project builds from serves neither xk6-sse nor a recent xk6. See stream/stream.go for why.
//
// License: this file and stream/ are Apache-2.0 like the rest of fleetcap. k6 itself is
// AGPL-3.0: fleetcap never links or ships it. scripts/test-deps/k6-stream.sh builds this separate
// test/measurement program into the user's own cache (~/.cache/fleetcap/k6-stream/...).
package main

import (
	"go.k6.io/k6/cmd"

	_ "fleetcap.dev/k6-stream/stream"
)

func main() {
	cmd.Execute()
}
