package config

import (
	"reflect"
	"testing"
	"time"

	"github.com/linkwatch/linkwatch/notifier/state"
)

func TestMaintenance(t *testing.T) {
	cfg, err := Parse("linkwatch.yaml", []byte(device+`notify:
  timezone: Europe/Paris
  maintenance:
    - name: sunday-dc1
      sites: [default]
      weekly: { days: [sun, Wednesday], start: "02:30", duration: 2h }
    - name: r1-nightly
      devices: [r1]
      weekly: { days: [MON], start: "23:00", duration: 90m }
`))
	if err != nil {
		t.Fatal(err)
	}
	paris, _ := time.LoadLocation("Europe/Paris")
	want := []state.Window{
		{Name: "sunday-dc1", Sites: []string{"default"}, Days: []time.Weekday{time.Sunday, time.Wednesday},
			Start: 2*time.Hour + 30*time.Minute, Duration: 2 * time.Hour, Location: paris},
		{Name: "r1-nightly", Devices: []string{"r1"}, Days: []time.Weekday{time.Monday}, Start: 23 * time.Hour,
			Duration: 90 * time.Minute, Location: paris},
	}
	if got := cfg.Notify.Windows(); !reflect.DeepEqual(got, want) {
		t.Errorf("Windows() =\n%+v\nwant\n%+v", got, want)
	}
}

func TestMaintenanceErrors(t *testing.T) {
	testProblems(t, []problemsCase{
		{"everything wrong", device + `notify:
  maintenance:
    - name: "bad name"
      sites: [dc9, default, default]
      devices: [r9, "r1.x"]
      weekly: { days: [sun, dimanche, sunday], start: "2:00", duration: 170h }
    - name: w
      weekly: { days: [], start: "24:00", duration: 0s }
    - { name: w, devices: [r1] }
`, []string{
			`linkwatch.yaml:7:13: notify.maintenance[0].name: "bad name" is not a valid name (letters, digits, '-' and '_', at most 63, starting with a letter or digit)`,
			`linkwatch.yaml:8:15: notify.maintenance[0].sites[0]: site "dc9" has no device in the inventory`,
			`linkwatch.yaml:8:29: notify.maintenance[0].sites[2]: site "default" is listed twice`,
			`linkwatch.yaml:9:17: notify.maintenance[0].devices[0]: device "r9" is not in the inventory`,
			`linkwatch.yaml:9:21: notify.maintenance[0].devices[1]: "r1.x" is not a valid name (letters, digits, '-' and '_', at most 63, starting with a letter or digit)`,
			`linkwatch.yaml:10:29: notify.maintenance[0].weekly.days[1]: "dimanche" is not a day (mon, tue, wed, thu, fri, sat, sun)`,
			`linkwatch.yaml:10:39: notify.maintenance[0].weekly.days[2]: "sunday" is listed twice`,
			`linkwatch.yaml:10:55: notify.maintenance[0].weekly.start: "2:00" is not a time of day HH:MM (00:00 to 23:59) in notify.timezone`,
			`linkwatch.yaml:10:73: notify.maintenance[0].weekly.duration: 170h is out of range (1m..168h)`,
			`linkwatch.yaml:11:7: notify.maintenance[1]: give sites or devices (or both)`,
			`linkwatch.yaml:12:23: notify.maintenance[1].weekly.days: is required (mon, tue, wed, thu, fri, sat, sun)`,
			`linkwatch.yaml:12:34: notify.maintenance[1].weekly.start: "24:00" is not a time of day HH:MM (00:00 to 23:59) in notify.timezone`,
			`linkwatch.yaml:12:53: notify.maintenance[1].weekly.duration: 0s is out of range (1m..168h)`,
			`linkwatch.yaml:13:7: notify.maintenance[2].weekly: is required: { days: [sun], start: "02:00", duration: 2h }`,
			`linkwatch.yaml:13:15: notify.maintenance[2].name: "w" names another window already`,
		}},
		{"unknown key", device + "notify:\n  maintenance:\n    - { name: w, sites: [default], weekly: { days: [sun], start: \"02:00\", duration: 1h, every: 2 } }\n", []string{
			`linkwatch.yaml:7:89: notify.maintenance[0].weekly: unknown field "every"`,
		}},
	})
}
