// Package stream is the k6 extension `k6/x/fleetcap-stream`: it sends one OpenAI-compatible
// streaming request (completions or chat) and reads the server-sent events line by line as they
// arrive, so that time to first token and the gaps between tokens are measured at the client.
//
// Why it exists: k6's http module hands a script the whole body once the response ends, with
// timings for the headers (waiting) and the body (receiving) only. Servers such as llama.cpp's
// llama-server send their headers before the first token, so k6's time to first byte is not the
// time to first token, and the body timing cannot split prefill from decode. fleetcap's calibration
// fits prefill and decode costs separately and needs both. The extensions that read SSE in k6
// (xk6-sse) are not on the Go module proxy this project builds from, hence this small one.
//
// What it records, as k6 metrics carrying the calling VU's tags and metadata plus the `tags`
// option: http_reqs and http_req_duration (k6's built-ins: one request, its time from send to the
// last byte), and, for a complete stream, ttft (first event with text), itl (every gap between
// two events with text), tpot (the request's mean time per output token after the first) and
// output_tokens (the usage the server reports, else the events with text). post() also returns
// those figures to the script.
//
// License: Apache-2.0, like fleetcap. It compiles against k6 (AGPL-3.0) into a separate test and
// measurement program that scripts/test-deps/k6-stream.sh builds in the user's own cache;
// fleetcap neither links nor ships k6.
package stream

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptrace"
	"strings"
	"time"

	"go.k6.io/k6/js/common"
	"go.k6.io/k6/js/modules"
	"go.k6.io/k6/metrics"
)

func init() {
	modules.Register("k6/x/fleetcap-stream", new(RootModule))
}

// RootModule is the module k6 registers; it makes one ModuleInstance per VU.
type RootModule struct{}

// ModuleInstance is the module as one VU sees it.
type ModuleInstance struct {
	vu      modules.VU
	metrics streamMetrics
}

type streamMetrics struct {
	ttft, itl, tpot, outputTokens *metrics.Metric
}

var (
	_ modules.Module   = &RootModule{}
	_ modules.Instance = &ModuleInstance{}
)

// NewModuleInstance registers the metrics (in the init context, where the registry is reachable).
// A script that declares a metric of the same name must give it the same type.
func (*RootModule) NewModuleInstance(vu modules.VU) modules.Instance {
	reg := vu.InitEnv().Registry
	must := func(name string, typ metrics.MetricType, vt ...metrics.ValueType) *metrics.Metric {
		m, err := reg.NewMetric(name, typ, vt...)
		if err != nil {
			common.Throw(vu.Runtime(), fmt.Errorf("k6/x/fleetcap-stream: metric %s: %w", name, err))
		}
		return m
	}
	return &ModuleInstance{vu: vu, metrics: streamMetrics{
		ttft:         must("ttft", metrics.Trend, metrics.Time),
		itl:          must("itl", metrics.Trend, metrics.Time),
		tpot:         must("tpot", metrics.Trend, metrics.Time),
		outputTokens: must("output_tokens", metrics.Counter),
	}}
}

// Exports is the JS API: `import stream from 'k6/x/fleetcap-stream'; stream.post(url, body, opts)`.
func (mi *ModuleInstance) Exports() modules.Exports {
	return modules.Exports{Default: map[string]any{"post": mi.post}}
}

// One `data:` event: completions put text in choices[].text, chat in choices[].delta.content.
type event struct {
	Choices []struct {
		Text  string `json:"text"`
		Delta struct {
			Content string `json:"content"`
		} `json:"delta"`
	} `json:"choices"`
	Usage *struct {
		CompletionTokens int `json:"completion_tokens"`
	} `json:"usage"`
}

func (e *event) hasText() bool {
	for _, c := range e.Choices {
		if c.Text != "" || c.Delta.Content != "" {
			return true
		}
	}
	return false
}

type reading struct {
	status       int
	sse, done    bool
	err          string
	start        time.Time
	first, last  time.Time
	events       int // events with text
	usageTokens  int // -1: the server reported no usage
	gaps         []float64
	responseTime time.Time
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// post(url, body, {headers, timeoutMs, tags}) → {status, error, done, tokens, events, ttftMs, tpotMs, e2eMs, gapsMs}
func (mi *ModuleInstance) post(url, body string, opts map[string]any) map[string]any {
	state := mi.vu.State()
	if state == nil {
		common.Throw(mi.vu.Runtime(), fmt.Errorf("k6/x/fleetcap-stream: post() is only available in VU code"))
	}
	timeout := 60 * time.Second
	if v, ok := opts["timeoutMs"].(int64); ok && v > 0 {
		timeout = time.Duration(v) * time.Millisecond
	} else if v, ok := opts["timeoutMs"].(float64); ok && v > 0 {
		timeout = time.Duration(v * float64(time.Millisecond))
	}
	ctx, cancel := context.WithTimeout(mi.vu.Context(), timeout)
	defer cancel()
	r := mi.read(ctx, state.Transport, url, body, opts)

	ok := r.status == 200 && r.done
	tokens := r.events
	if r.usageTokens >= 0 {
		tokens = r.usageTokens
	}
	ok = ok && tokens > 0
	e2e := ms(r.responseTime.Sub(r.start))

	// Samples: the VU's tags and metadata (e.g. fleetcap_call), plus the request's own tags.
	ctm := state.Tags.GetCurrentValues()
	tags := ctm.Tags
	if t, isMap := opts["tags"].(map[string]any); isMap {
		for k, v := range t {
			tags = tags.With(k, fmt.Sprint(v))
		}
	}
	now := time.Now()
	sample := func(m *metrics.Metric, ts *metrics.TagSet, v float64) metrics.Sample {
		return metrics.Sample{TimeSeries: metrics.TimeSeries{Metric: m, Tags: ts}, Time: now, Value: v, Metadata: ctm.Metadata}
	}
	reqTags := tags.With("method", "POST").With("status", fmt.Sprint(r.status)).
		With("expected_response", fmt.Sprint(r.status >= 200 && r.status < 400))
	samples := []metrics.Sample{
		sample(state.BuiltinMetrics.HTTPReqs, reqTags, 1),
		sample(state.BuiltinMetrics.HTTPReqDuration, reqTags, e2e),
	}
	result := map[string]any{"status": r.status, "error": r.err, "done": r.done, "sse": r.sse, "tokens": tokens, "events": r.events, "e2eMs": e2e}
	if ok {
		samples = append(samples, sample(mi.metrics.outputTokens, tags, float64(tokens)))
		if r.sse && r.events > 0 {
			ttft := ms(r.first.Sub(r.start))
			samples = append(samples, sample(mi.metrics.ttft, tags, ttft))
			result["ttftMs"] = ttft
			result["gapsMs"] = r.gaps
			for _, g := range r.gaps {
				samples = append(samples, sample(mi.metrics.itl, tags, g))
			}
			if tokens > 1 {
				// Tokens after the first over the time they took; with one event per token this is
				// the mean of gapsMs.
				tpot := ms(r.last.Sub(r.first)) / float64(tokens-1)
				samples = append(samples, sample(mi.metrics.tpot, tags, tpot))
				result["tpotMs"] = tpot
			}
		}
	}
	metrics.PushIfNotDone(mi.vu.Context(), state.Samples, metrics.ConnectedSamples{Samples: samples, Tags: tags, Time: now})
	return result
}

func (mi *ModuleInstance) read(ctx context.Context, transport http.RoundTripper, url, body string, opts map[string]any) reading {
	r := reading{usageTokens: -1}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, strings.NewReader(body))
	if err != nil {
		r.err = err.Error()
		r.start = time.Now()
		r.responseTime = r.start
		return r
	}
	req.Header.Set("content-type", "application/json")
	if h, isMap := opts["headers"].(map[string]any); isMap {
		for k, v := range h {
			req.Header.Set(k, fmt.Sprint(v))
		}
	}
	// A kept-alive connection the server closed at the moment it was reused fails with EOF before
	// any response (seen with llama-server, ~1 request in 8): Go retries that only for idempotent
	// methods, so retry once here, on a fresh connection; the request never reached the engine.
	var resp *http.Response
	for attempt := 0; ; attempt++ {
		reused := false
		trace := &httptrace.ClientTrace{GotConn: func(info httptrace.GotConnInfo) { reused = info.Reused }}
		req.Body, _ = req.GetBody()
		r.start = time.Now()
		resp, err = (&http.Client{Transport: transport}).Do(req.WithContext(httptrace.WithClientTrace(ctx, trace)))
		if err == nil || !reused || attempt > 0 || ctx.Err() != nil {
			break
		}
	}
	if err != nil {
		r.err = err.Error()
		r.responseTime = time.Now()
		return r
	}
	defer func() { _ = resp.Body.Close() }()
	r.status = resp.StatusCode
	r.sse = strings.HasPrefix(resp.Header.Get("content-type"), "text/event-stream")
	if !r.sse {
		// A server that ignores stream: true answers with one JSON document.
		data, err := io.ReadAll(io.LimitReader(resp.Body, 16<<20))
		r.responseTime = time.Now()
		var e event
		if err != nil {
			r.err = err.Error()
		} else if json.Unmarshal(data, &e) == nil && r.status == 200 {
			r.done = true
			if e.Usage != nil {
				r.usageTokens = e.Usage.CompletionTokens
			}
		}
		return r
	}
	br := bufio.NewReaderSize(resp.Body, 64<<10)
	for {
		line, err := br.ReadString('\n')
		at := time.Now() // when the line had arrived in full
		if payload, isData := strings.CutPrefix(strings.TrimSpace(line), "data:"); isData {
			payload = strings.TrimSpace(payload)
			if payload == "[DONE]" {
				r.done = true
			} else {
				var e event
				if json.Unmarshal([]byte(payload), &e) == nil {
					if e.hasText() {
						if r.events == 0 {
							r.first = at
						} else {
							r.gaps = append(r.gaps, ms(at.Sub(r.last)))
						}
						r.last = at
						r.events++
					}
					if e.Usage != nil {
						r.usageTokens = e.Usage.CompletionTokens
					}
				}
			}
		}
		if err != nil {
			r.responseTime = at
			if err != io.EOF {
				r.err = err.Error()
				r.done = false
			}
			return r
		}
	}
}
