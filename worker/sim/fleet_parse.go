package sim

import (
	"fmt"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/linkwatch/linkwatch/worker/ping"
)

// fleetParser walks the YAML tree of a fleet file by hand so that every
// error can name the device and the field, and unknown keys are errors.
type fleetParser struct {
	problems []Problem
	// keys holds the nodes of the device being parsed by path
	// ("login.lands_in"), for problems found once all of it is read.
	keys map[string]*yaml.Node
}

func (p *fleetParser) addf(n *yaml.Node, format string, args ...any) {
	line := 0
	if n != nil {
		line = n.Line
	}
	p.problems = append(p.problems, Problem{Line: line, Msg: fmt.Sprintf(format, args...)})
}

func (p *fleetParser) document(doc *yaml.Node) *Fleet {
	if doc.Kind == 0 || len(doc.Content) == 0 {
		p.addf(nil, "devices: no device")
		return nil
	}
	root := doc.Content[0]
	if root.Kind != yaml.MappingNode {
		p.addf(root, "the fleet file must be a mapping with a devices list")
		return nil
	}
	var list, bastions *yaml.Node
	for i := 0; i+1 < len(root.Content); i += 2 {
		switch k, v := root.Content[i], root.Content[i+1]; k.Value {
		case "devices":
			list = v
		case "bastions":
			bastions = v
		default:
			p.addf(k, "unknown field %q", k.Value)
		}
	}
	if list == nil || list.Kind == yaml.ScalarNode && list.Tag == "!!null" {
		p.addf(root, "devices: no device")
		return nil
	}
	if list.Kind != yaml.SequenceNode {
		p.addf(list, "devices: must be a list")
		return nil
	}
	if len(list.Content) == 0 {
		p.addf(list, "devices: no device")
		return nil
	}
	f := &Fleet{}
	var nodes []*yaml.Node
	for i, n := range list.Content {
		f.Devices = append(f.Devices, p.device(i, n))
		nodes = append(nodes, n)
	}
	if bastions != nil && !(bastions.Kind == yaml.ScalarNode && bastions.Tag == "!!null") {
		if bastions.Kind != yaml.SequenceNode {
			p.addf(bastions, "bastions: must be a list")
			return f
		}
		for i, n := range bastions.Content {
			f.Bastions = append(f.Bastions, p.bastion(i, n))
			nodes = append(nodes, n)
		}
	}
	p.unique(f, nodes)
	return f
}

// unique checks that names and fixed ports are not used twice, by devices
// and bastions alike; nodes are their entries, in the order of
// Fleet.members.
func (p *fleetParser) unique(f *Fleet, nodes []*yaml.Node) {
	names := map[string]string{}
	ports := map[int]string{}
	for i, m := range f.members() {
		where := m.where()
		if first, ok := names[m.Name]; ok && m.Name != "" {
			p.addf(nodes[i], "%s (%s): name: %q is already used by %s", where, m.Name, m.Name, first)
		} else {
			names[m.Name] = where
		}
		if first, ok := ports[m.Port]; ok && m.Port != 0 {
			p.addf(nodes[i], "%s (%s): port: %d is already used by %s", where, m.Name, m.Port, first)
		} else {
			ports[m.Port] = where
		}
	}
}

// device parses devices[i].
func (p *fleetParser) device(i int, n *yaml.Node) Device {
	d, _ := p.entry(fmt.Sprintf("devices[%d]", i), n, []string{"name", "platform", "username", "password"}, nil)
	return d
}

// entry parses one entry of a list, at, whose keys must include required
// and, when allowed is not nil, be among allowed. It returns the entry and
// how problems name it.
func (p *fleetParser) entry(at string, n *yaml.Node, required []string, allowed map[string]bool) (Device, string) {
	var d Device
	p.keys = map[string]*yaml.Node{}
	if n.Kind != yaml.MappingNode {
		p.addf(n, "%s: must be a mapping", at)
		return d, at
	}
	for j := 0; j+1 < len(n.Content); j += 2 {
		if n.Content[j].Value == "name" {
			d.Name = n.Content[j+1].Value
		}
	}
	where := fmt.Sprintf("%s (%s)", at, d.Name)
	if d.Name == "" {
		where = at
	}
	seen := map[string]bool{}
	for j := 0; j+1 < len(n.Content); j += 2 {
		k, v := n.Content[j], n.Content[j+1]
		switch {
		case seen[k.Value]:
			p.addf(k, "%s: %s: given twice", where, k.Value)
			continue
		case allowed != nil && !allowed[k.Value]:
			p.addf(k, "%s: %s: unknown field", where, k.Value)
			continue
		}
		seen[k.Value] = true
		p.field(&d, where, k, v)
	}
	for _, req := range required {
		if !seen[req] {
			p.addf(n, "%s: %s: missing", where, req)
		}
	}
	p.together(&d, where)
	return d, where
}

// field parses one key of a device.
func (p *fleetParser) field(d *Device, where string, k, v *yaml.Node) {
	at := where + ": " + k.Value
	if sections[k.Value] != nil {
		p.section(d, at, k.Value, v)
		return
	}
	if k.Value != "targets" && v.Kind != yaml.ScalarNode {
		p.addf(v, "%s: must be a single value", at)
		return
	}
	switch k.Value {
	case "name":
		if err := validName(v.Value); err != nil {
			p.addf(v, "%s: %v", at, err)
		}
	case "port":
		n, err := strconv.Atoi(v.Value)
		if err != nil || n < 0 || n > 65535 {
			p.addf(v, "%s: %q is not a port number (0 to 65535)", at, v.Value)
		}
		d.Port = n
	case "platform":
		d.Platform = v.Value
		if !validPlatform(v.Value) {
			p.addf(v, "%s: %q is not a platform (%s)", at, v.Value, strings.Join(ping.Platforms(), ", "))
		}
	case "username":
		d.Username = v.Value
		if v.Value == "" {
			p.addf(v, "%s: is empty", at)
		}
	case "password":
		d.Password = v.Value
		if v.Value == "" {
			p.addf(v, "%s: is empty", at)
		}
	case "enable_password":
		d.EnablePassword = v.Value
		if v.Value == "" {
			p.addf(v, "%s: is empty", at)
		}
	case "delay":
		d.Delay = p.duration(at, v)
	case "targets":
		d.Targets = p.targets(at, v)
	default:
		p.addf(k, "%s: unknown field", at)
	}
}

// targets parses a device's targets mapping.
func (p *fleetParser) targets(at string, n *yaml.Node) map[string]Behaviour {
	if n.Kind == yaml.ScalarNode && n.Tag == "!!null" {
		return nil
	}
	if n.Kind != yaml.MappingNode {
		p.addf(n, "%s: must be a mapping of target to behaviour", at)
		return nil
	}
	m := make(map[string]Behaviour, len(n.Content)/2)
	for j := 0; j+1 < len(n.Content); j += 2 {
		k, v := n.Content[j], n.Content[j+1]
		tat := fmt.Sprintf("%s[%q]", at, k.Value)
		if err := validTarget(k.Value); err != nil {
			p.addf(k, "%s: %v", tat, err)
			continue
		}
		if _, dup := m[k.Value]; dup {
			p.addf(k, "%s: given twice", tat)
			continue
		}
		if v.Kind != yaml.ScalarNode {
			p.addf(v, "%s: must be a single value", tat)
			continue
		}
		b, err := ParseBehaviour(v.Value)
		if err != nil {
			p.addf(v, "%s: %v", tat, err)
			continue
		}
		m[k.Value] = b
	}
	return m
}
