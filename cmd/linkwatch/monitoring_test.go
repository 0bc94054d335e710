package main

// The monitoring of the compose deployment checked against the code: each
// service's metrics pass client_golang's lint; every query of the Grafana
// dashboard (deploy/grafana/dashboards) names only metrics the services
// export; and Prometheus (deploy/prometheus/prometheus.yml) scrapes the
// metrics port of every linkwatch service of docker-compose.yml it can
// reach, and nothing else.

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"maps"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	dto "github.com/prometheus/client_model/go"
	"gopkg.in/yaml.v3"

	"github.com/linkwatch/linkwatch/cmd/linkwatch/internal/app"
	"github.com/linkwatch/linkwatch/cmd/linkwatch/internal/config"
	"github.com/linkwatch/linkwatch/notifier/store"
	"github.com/linkwatch/linkwatch/scheduler"
	"github.com/linkwatch/linkwatch/worker"
)

// recorder is a service's registry that remembers the collectors
// registered on it, so that their metrics are known before they have a
// series (a vector with no label values yet gathers nothing).
type recorder struct {
	*prometheus.Registry
	collectors []prometheus.Collector
}

func (r *recorder) Register(c prometheus.Collector) error {
	r.collectors = append(r.collectors, c)
	return r.Registry.Register(c)
}

func (r *recorder) MustRegister(cs ...prometheus.Collector) {
	for _, c := range cs {
		if err := r.Register(c); err != nil {
			panic(err)
		}
	}
}

// serviceRegistries are the registries of the services that serve
// --metrics-listen, each with the metrics its command registers, the
// notifier's reading an empty store with the inventory of cfg.
func serviceRegistries(t *testing.T) map[string]*recorder {
	t.Helper()
	dir := t.TempDir()
	cfg, err := config.Load(writeFile(t, dir, "linkwatch.yaml", testConfig(dir+"/data", `listen: "127.0.0.1:4222"`,
		"  - { name: r1, host: 127.0.0.1, port: 22, platform: cisco_iosxe, site: dc1, targets: [10.0.0.1] }\n")))
	if err != nil {
		t.Fatal(err)
	}
	st, err := store.OpenEmbedded(filepath.Join(dir, "state.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	regs := map[string]*recorder{}
	for _, name := range []string{"notifier", "worker", "scheduler"} {
		regs[name] = &recorder{Registry: app.NewRegistry()}
	}
	log := slog.New(slog.DiscardHandler)
	app.Notifier(nil, nil, st, nil, app.NewLive(cfg), regs["notifier"], log)
	worker.NewMetrics(regs["worker"])
	scheduler.NewMetrics(regs["scheduler"])
	return regs
}

func TestServiceMetricsLint(t *testing.T) {
	for name, reg := range serviceRegistries(t) {
		problems, err := testutil.GatherAndLint(reg)
		if err != nil {
			t.Errorf("%s: gather: %v", name, err)
		}
		for _, p := range problems {
			t.Errorf("%s: %s: %s", name, p.Metric, p.Text)
		}
	}
}

// exportedNames are the names of every series the services can export:
// each metric's name, and for a histogram or summary its _bucket, _sum
// and _count.
func exportedNames(t *testing.T) map[string]bool {
	t.Helper()
	names := map[string]bool{}
	observed := func(name string) {
		for _, suffix := range []string{"_bucket", "_sum", "_count"} {
			names[name+suffix] = true
		}
	}
	fqName := regexp.MustCompile(`fqName: "([^"]+)"`)
	for _, reg := range serviceRegistries(t) {
		families, err := reg.Gather()
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range families {
			names[f.GetName()] = true
			if f.GetType() == dto.MetricType_HISTOGRAM || f.GetType() == dto.MetricType_SUMMARY {
				observed(f.GetName())
			}
		}
		for _, c := range reg.collectors {
			descs := make(chan *prometheus.Desc, 16)
			go func() { c.Describe(descs); close(descs) }()
			for d := range descs {
				m := fqName.FindStringSubmatch(d.String())
				if m == nil {
					t.Fatalf("no name in %s", d)
				}
				names[m[1]] = true
				switch c.(type) {
				case prometheus.ObserverVec, prometheus.Observer:
					observed(m[1])
				}
			}
		}
	}
	return names
}

// The words of PromQL that are not metric names: functions, aggregations,
// operators and modifiers, and the Grafana functions of template queries.
var promqlWords = map[string]bool{}

func init() {
	for _, w := range strings.Fields(`abs absent absent_over_time avg avg_over_time bottomk ceil changes clamp clamp_max
		clamp_min count count_over_time count_values deriv delta exp floor group histogram_quantile holt_winters idelta
		increase irate label_join label_replace last_over_time ln log2 log10 max max_over_time min min_over_time
		predict_linear quantile quantile_over_time rate resets round scalar sgn sort sort_desc sqrt stddev stdvar
		stddev_over_time stdvar_over_time sum sum_over_time time timestamp topk vector and or unless by without on
		ignoring group_left group_right bool offset label_values inf nan`) {
		promqlWords[w] = true
	}
}

var (
	promqlStrings  = regexp.MustCompile(`"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'`)
	promqlMatchers = regexp.MustCompile(`\{[^}]*\}`)
	promqlGrouping = regexp.MustCompile(`\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)`)
	promqlRanges   = regexp.MustCompile(`\[[^\]]*\]`)
	grafanaVars    = regexp.MustCompile(`\$\{?\w+\}?`)
	labelValuesArg = regexp.MustCompile(`,\s*[a-zA-Z_]\w*\s*\)`)
	promqlIdent    = regexp.MustCompile(`[a-zA-Z_:][a-zA-Z0-9_:]*`)
	numberLiteral  = regexp.MustCompile(`\b\d[0-9a-zA-Z.]*([eE][+-]\d+)?`) // 0.95, 2e3, 1e-3, 5m, 1h30m
)

// metricNames returns the metric names expr names. It is a scan of
// identifiers, not a PromQL parser: it drops string literals, label
// matchers ({...}), grouping label lists (by (...), on (...), ...), range
// selectors ([5m]), Grafana variables ($site, $__rate_interval), numbers,
// the label argument of label_values(metric, label), and PromQL's words
// (promqlWords); what is left is taken as metric names. It does not know
// a function this list lacks (reported as an unknown metric: add it), nor
// a metric name written as {__name__="..."}, which it does not see.
func metricNames(expr string) []string {
	for _, re := range []*regexp.Regexp{promqlStrings, promqlMatchers, promqlGrouping, promqlRanges, grafanaVars, labelValuesArg, numberLiteral} {
		expr = re.ReplaceAllString(expr, " ")
	}
	var names []string
	for _, id := range promqlIdent.FindAllString(expr, -1) {
		if !promqlWords[id] {
			names = append(names, id)
		}
	}
	return names
}

func TestMetricNamesOfPromQL(t *testing.T) {
	tests := []struct{ expr, want string }{
		{`sum by (state) (linkwatch_link_state{site=~"$site", state="UP"})`, "linkwatch_link_state"},
		{`histogram_quantile(0.95, sum by (le, site) (rate(a_bucket{x="by (y)"}[$__rate_interval])))`, "a_bucket"},
		{`max(a) or on (site) b * 2e3 + c offset 1h30m - 1e-3`, "a b c"},
		{`label_values(linkwatch_device_up{site=~"$site"}, device)`, "linkwatch_device_up"},
		{`foo_bar(x)`, "foo_bar x"}, // a function it does not know is a name
	}
	for _, tt := range tests {
		if got := strings.Join(metricNames(tt.expr), " "); got != tt.want {
			t.Errorf("metricNames(%q) = %q, want %q", tt.expr, got, tt.want)
		}
	}
}

// dashboardQueries returns every query of the dashboard JSON: each
// target's expr, and each template variable's query.
func dashboardQueries(t *testing.T, path string) []string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var dash struct {
		Panels []struct {
			Title   string `json:"title"`
			Targets []struct {
				Expr string `json:"expr"`
			} `json:"targets"`
		} `json:"panels"`
		Templating struct {
			List []struct {
				Query json.RawMessage `json:"query"`
			} `json:"list"`
		} `json:"templating"`
	}
	if err := json.Unmarshal(data, &dash); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	var queries []string
	for _, p := range dash.Panels {
		for _, target := range p.Targets {
			if target.Expr == "" {
				t.Errorf("%s: panel %q has a target without a query", path, p.Title)
			}
			queries = append(queries, target.Expr)
		}
	}
	for _, v := range dash.Templating.List {
		var q struct{ Query string }
		if err := json.Unmarshal(v.Query, &q); err != nil {
			t.Fatalf("%s: template query %s: %v", path, v.Query, err)
		}
		queries = append(queries, q.Query)
	}
	return queries
}

func TestDashboardQueriesNameExportedMetrics(t *testing.T) {
	exported := exportedNames(t)
	paths, err := filepath.Glob(filepath.Join("..", "..", "deploy", "grafana", "dashboards", "*.json"))
	if err != nil || len(paths) == 0 {
		t.Fatalf("no dashboard in deploy/grafana/dashboards: %v", err)
	}
	for _, path := range paths {
		queries := dashboardQueries(t, path)
		if len(queries) == 0 {
			t.Errorf("%s: no query", path)
		}
		for _, q := range queries {
			names := metricNames(q)
			if len(names) == 0 {
				t.Errorf("%s: query %q names no metric", path, q)
			}
			for _, name := range names {
				if !exported[name] {
					t.Errorf("%s: query %q: %s is not a metric linkwatch exports", path, q, name)
				}
			}
		}
	}
}

// prometheusConfig is the part of prometheus.yml the test reads, decoded
// strictly: a key it does not know fails the test rather than go unread.
type prometheusConfig struct {
	Global        map[string]string `yaml:"global"`
	ScrapeConfigs []struct {
		JobName      string `yaml:"job_name"`
		DNSSDConfigs []struct {
			Names []string `yaml:"names"`
			Type  string   `yaml:"type"`
			Port  int      `yaml:"port"`
		} `yaml:"dns_sd_configs"`
	} `yaml:"scrape_configs"`
}

func TestPrometheusScrapesComposeServices(t *testing.T) {
	d := newComposeDeployment(t)
	project, err := d.load(t.Context(), d.compose)
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(filepath.Join(d.root, "deploy", "prometheus", "prometheus.yml"))
	if err != nil {
		t.Fatal(err)
	}
	var prom prometheusConfig
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&prom); err != nil {
		t.Fatalf("prometheus.yml: %v", err)
	}
	promSpec, ok := project.Services["prometheus"]
	if !ok {
		t.Fatal("docker-compose.yml: no prometheus service")
	}
	if !slices.Contains(promSpec.Profiles, "monitoring") {
		t.Errorf("prometheus: profiles %v, want monitoring (started only when asked for)", promSpec.Profiles)
	}
	// The metrics port of each linkwatch service Prometheus shares a network with.
	want := map[string]string{}
	for _, name := range project.ServiceNames() {
		spec := project.Services[name]
		if spec.Image != d.env["LINKWATCH_IMAGE"] || !sharesNetwork(spec.Networks, promSpec.Networks) {
			continue
		}
		cmd, err := parseLinkwatch(spec.Command)
		if err != nil {
			t.Fatalf("%s: command %q: %v", name, spec.Command, err)
		}
		if listen := flagValue(cmd, "metrics-listen"); listen != "" {
			_, port, err := net.SplitHostPort(listen)
			if err != nil {
				t.Fatalf("%s: --metrics-listen %q: %v", name, listen, err)
			}
			want[name] = port
		}
	}
	got := map[string]string{}
	for _, sc := range prom.ScrapeConfigs {
		for _, sd := range sc.DNSSDConfigs {
			if sd.Type != "A" {
				t.Errorf("job %s: dns_sd type %q, want A (every replica's address)", sc.JobName, sd.Type)
			}
			for _, n := range sd.Names {
				got[n] = fmt.Sprint(sd.Port)
			}
		}
	}
	if !maps.Equal(got, want) {
		t.Errorf("prometheus.yml scrapes %v (service: port), want the metrics port of every linkwatch service it can reach: %v", got, want)
	}
	if len(want) < 3 {
		t.Errorf("Prometheus reaches %v only: want the schedulers, notifiers and a site's workers", want)
	}
}

func sharesNetwork[V any](a, b map[string]V) bool {
	for n := range a {
		if _, ok := b[n]; ok {
			return true
		}
	}
	return false
}
