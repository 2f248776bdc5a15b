// metrics-adapter serves custom.metrics.k8s.io and external.metrics.k8s.io for fleetcap's loopback
// test cluster, built on sigs.k8s.io/custom-metrics-apiserver. Tests set metric values over plain
// HTTP on a loopback port, and the real HPA controller reads them through the aggregation layer:
//
//	PUT /values/custom/{namespace}/{metric}    body: a quantity ("250m", "12")
//	PUT /values/external/{namespace}/{metric}
//	DELETE /values/{custom|external}/{namespace}/{metric}
//	GET /reads/{namespace}                     every value served for the namespace: JSON lines
//	                                           {"t":unix ms,"kind":..,"metric":..,"value":milli-units}
//
// The read log tells a differential test when the HPA controller synced and what it saw, to the
// millisecond (the controller reads its metrics at the start of each sync). It keeps the latest
// 4096 reads per namespace.
//
// A custom value set for a namespace is the value of that metric for every object of the namespace
// (each pod for a Pods metric, the described object for an Object metric): the harness drives one
// HPA per namespace, so per-namespace values are all it needs, and pods it has not seen yet (created
// by a scale-up) report the same value at once, as a workload's pods do under shared load.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"time"

	apierr "k8s.io/apimachinery/pkg/api/errors"
	apimeta "k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/dynamic"
	"k8s.io/component-base/logs"
	"k8s.io/klog/v2"
	"k8s.io/metrics/pkg/apis/custom_metrics"
	"k8s.io/metrics/pkg/apis/external_metrics"

	basecmd "sigs.k8s.io/custom-metrics-apiserver/pkg/cmd"
	"sigs.k8s.io/custom-metrics-apiserver/pkg/provider"
	"sigs.k8s.io/custom-metrics-apiserver/pkg/provider/defaults"
	"sigs.k8s.io/custom-metrics-apiserver/pkg/provider/helpers"
)

type key struct{ kind, namespace, metric string }

type sample struct {
	value resource.Quantity
	at    metav1.Time
}

type read struct {
	T      int64  `json:"t"`
	Kind   string `json:"kind"`
	Metric string `json:"metric"`
	Value  int64  `json:"value"`
}

const readsKept = 4096

type settableProvider struct {
	defaults.DefaultCustomMetricsProvider
	defaults.DefaultExternalMetricsProvider
	client dynamic.Interface
	mapper apimeta.RESTMapper

	mu     sync.Mutex
	values map[key]sample
	reads  map[string][]read
}

// lookup returns the value and, when found, logs the read (one per object: a Pods metric over n pods
// logs n reads at the same millisecond).
func (p *settableProvider) lookup(k key) (sample, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	s, ok := p.values[k]
	if ok {
		log := append(p.reads[k.namespace], read{T: time.Now().UnixMilli(), Kind: k.kind, Metric: k.metric, Value: s.value.MilliValue()})
		if len(log) > readsKept {
			log = append([]read(nil), log[len(log)-readsKept:]...)
		}
		p.reads[k.namespace] = log
	}
	return s, ok
}

func (p *settableProvider) serveReads(w http.ResponseWriter, r *http.Request) {
	ns := strings.TrimPrefix(r.URL.Path, "/reads/")
	p.mu.Lock()
	log := append([]read(nil), p.reads[ns]...)
	p.mu.Unlock()
	w.Header().Set("Content-Type", "application/x-ndjson")
	enc := json.NewEncoder(w)
	for _, e := range log {
		if err := enc.Encode(e); err != nil {
			return
		}
	}
}

func (p *settableProvider) valueFor(info provider.CustomMetricInfo, name types.NamespacedName) (*custom_metrics.MetricValue, error) {
	s, ok := p.lookup(key{"custom", name.Namespace, info.Metric})
	if !ok {
		return nil, provider.NewMetricNotFoundForError(info.GroupResource, info.Metric, name.Name)
	}
	ref, err := helpers.ReferenceFor(p.mapper, name, info)
	if err != nil {
		return nil, err
	}
	return &custom_metrics.MetricValue{
		DescribedObject: ref,
		Metric:          custom_metrics.MetricIdentifier{Name: info.Metric},
		Timestamp:       s.at,
		Value:           s.value,
	}, nil
}

func (p *settableProvider) GetMetricByName(_ context.Context, name types.NamespacedName, info provider.CustomMetricInfo, _ labels.Selector) (*custom_metrics.MetricValue, error) {
	return p.valueFor(info, name)
}

func (p *settableProvider) GetMetricBySelector(_ context.Context, namespace string, selector labels.Selector, info provider.CustomMetricInfo, _ labels.Selector) (*custom_metrics.MetricValueList, error) {
	names, err := helpers.ListObjectNames(p.mapper, p.client, namespace, selector, info)
	if err != nil {
		return nil, err
	}
	items := make([]custom_metrics.MetricValue, 0, len(names))
	for _, n := range names {
		v, err := p.valueFor(info, types.NamespacedName{Namespace: namespace, Name: n})
		if apierr.IsNotFound(err) {
			continue
		}
		if err != nil {
			return nil, err
		}
		items = append(items, *v)
	}
	return &custom_metrics.MetricValueList{Items: items}, nil
}

func (p *settableProvider) GetExternalMetric(_ context.Context, namespace string, _ labels.Selector, info provider.ExternalMetricInfo) (*external_metrics.ExternalMetricValueList, error) {
	s, ok := p.lookup(key{"external", namespace, info.Metric})
	if !ok {
		return &external_metrics.ExternalMetricValueList{}, nil
	}
	return &external_metrics.ExternalMetricValueList{Items: []external_metrics.ExternalMetricValue{{
		MetricName: info.Metric, Timestamp: s.at, Value: s.value,
	}}}, nil
}

// ServeHTTP is the loopback write API: PUT/DELETE /values/{custom|external}/{namespace}/{metric}.
func (p *settableProvider) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	parts := strings.Split(strings.TrimPrefix(r.URL.Path, "/values/"), "/")
	if len(parts) != 3 || (parts[0] != "custom" && parts[0] != "external") || parts[1] == "" || parts[2] == "" {
		http.Error(w, "path must be /values/{custom|external}/{namespace}/{metric}", http.StatusNotFound)
		return
	}
	k := key{parts[0], parts[1], parts[2]}
	switch r.Method {
	case http.MethodPut, http.MethodPost:
		body, err := io.ReadAll(io.LimitReader(r.Body, 256))
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		q, err := resource.ParseQuantity(strings.TrimSpace(string(body)))
		if err != nil {
			http.Error(w, fmt.Sprintf("value %q: %v", body, err), http.StatusBadRequest)
			return
		}
		p.mu.Lock()
		p.values[k] = sample{value: q, at: metav1.Now()}
		p.mu.Unlock()
	case http.MethodDelete:
		p.mu.Lock()
		delete(p.values, k)
		p.mu.Unlock()
	default:
		http.Error(w, "PUT or DELETE", http.StatusMethodNotAllowed)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func main() {
	logs.InitLogs()
	defer logs.FlushLogs()
	adapter := &basecmd.AdapterBase{Name: "fleetcap-metrics-adapter"}
	valuesAddr := adapter.Flags().String("values-address", "127.0.0.1:0", "loopback address of the PUT /values API")
	portFile := adapter.Flags().String("values-port-file", "", "file to write the values API's port to once it listens")
	adapter.Flags().AddGoFlagSet(flag.CommandLine)
	if err := adapter.Flags().Parse(os.Args); err != nil {
		klog.Fatalf("flags: %v", err)
	}
	client, err := adapter.DynamicClient()
	if err != nil {
		klog.Fatalf("dynamic client: %v", err)
	}
	mapper, err := adapter.RESTMapper()
	if err != nil {
		klog.Fatalf("REST mapper: %v", err)
	}
	p := &settableProvider{client: client, mapper: mapper, values: map[key]sample{}, reads: map[string][]read{}}
	adapter.WithCustomMetrics(p)
	adapter.WithExternalMetrics(p)

	ln, err := net.Listen("tcp", *valuesAddr)
	if err != nil {
		klog.Fatalf("values API: %v", err)
	}
	if *portFile != "" {
		port := fmt.Sprint(ln.Addr().(*net.TCPAddr).Port)
		if err := os.WriteFile(*portFile+".tmp", []byte(port+"\n"), 0o644); err != nil {
			klog.Fatalf("values port file: %v", err)
		}
		if err := os.Rename(*portFile+".tmp", *portFile); err != nil {
			klog.Fatalf("values port file: %v", err)
		}
	}
	mux := http.NewServeMux()
	mux.Handle("/values/", p)
	mux.HandleFunc("/reads/", p.serveReads)
	go func() {
		srv := &http.Server{Handler: mux, ReadHeaderTimeout: 3 * time.Second}
		klog.Fatal(srv.Serve(ln))
	}()
	if err := adapter.Run(context.Background()); err != nil {
		klog.Fatalf("adapter: %v", err)
	}
}
