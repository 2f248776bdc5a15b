// Command etcd is etcd's server built from the Go module proxy: etcd-io/etcd's server/go.mod uses
// replace directives, so `go install go.etcd.io/etcd/server/v3@v3.6.x` is refused. Its own main only
// calls etcdmain.Main; this one does the same, at the etcd version Kubernetes itself selects.
package main

import (
	"os"

	"go.etcd.io/etcd/server/v3/etcdmain"
)

func main() {
	etcdmain.Main(os.Args)
}
