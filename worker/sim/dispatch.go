package sim

import (
	"strconv"
	"strings"
)

// mode is one CLI mode: its prompt and the commands it accepts.
type mode struct {
	name     string
	user     bool // a user EXEC mode (r1>)
	prompt   func(c *cli) string
	commands []*command
}

// command is one entry of a mode's command table. Its syntax is a list of
// words: a keyword (matched by unique prefix, like a real CLI), "<lo-hi>" a
// number in that range, "<word>" any one word, and a final "..." the rest of
// the line (possibly nothing).
type command struct {
	syntax string
	elems  []elem
	run    func(c *cli, args []string, rest []token)
}

type elem struct {
	kw     string
	num    bool
	lo, hi int
	rest   bool
}

// token is one word of a command line and its column in the line.
type token struct {
	s   string
	col int
}

// errKind is why a command line was refused.
type errKind int

const (
	errInvalid    errKind = iota + 1 // a word matches nothing
	errIncomplete                    // the line stops too early
	errAmbiguous                     // a word is a prefix of several keywords
)

// cliError is a refused command line; tok is the offending word (len(toks)
// for incomplete).
type cliError struct {
	kind errKind
	col  int    // column of the offending word in the line
	word string // the offending word
	tok  int
}

// cmd builds a command from its syntax.
func cmd(syntax string, run func(c *cli, args []string, rest []token)) *command {
	cm := &command{syntax: syntax, run: run}
	for _, w := range strings.Fields(syntax) {
		switch {
		case w == "...":
			cm.elems = append(cm.elems, elem{rest: true})
		case strings.HasPrefix(w, "<") && strings.Contains(w, "-") && w != "<word>":
			lo, hi, _ := strings.Cut(strings.Trim(w, "<>"), "-")
			l, _ := strconv.Atoi(lo)
			h, _ := strconv.Atoi(hi)
			cm.elems = append(cm.elems, elem{num: true, lo: l, hi: h})
		case w == "<word>":
			cm.elems = append(cm.elems, elem{})
		default:
			cm.elems = append(cm.elems, elem{kw: w})
		}
	}
	return cm
}

// tokenize splits a command line into words with their columns.
func tokenize(line string) []token {
	var toks []token
	start := -1
	for i := 0; i <= len(line); i++ {
		space := i == len(line) || line[i] == ' ' || line[i] == '\t'
		switch {
		case space && start >= 0:
			toks = append(toks, token{s: line[start:i], col: start})
			start = -1
		case !space && start < 0:
			start = i
		}
	}
	return toks
}

// matches reports whether word w fits element e; exact is set for a keyword
// typed in full.
func (e elem) matches(w string) (ok, exact bool) {
	switch {
	case e.rest:
		return true, false
	case e.kw != "":
		lw := strings.ToLower(w)
		return strings.HasPrefix(e.kw, lw), e.kw == lw
	case e.num:
		n, err := strconv.Atoi(w)
		return err == nil && n >= e.lo && n <= e.hi, true
	}
	return true, true
}

// lookup finds the command a line means in a set of commands.
func lookup(cmds []*command, toks []token) (*command, *cliError) {
	cands := cmds
	for i, t := range toks {
		var next, exact []*command
		kws := map[string]bool{}
		for _, cm := range cands {
			e, ok := elemAt(cm, i)
			if !ok {
				continue
			}
			m, ex := e.matches(t.s)
			if !m {
				continue
			}
			next = append(next, cm)
			if ex || e.rest {
				exact = append(exact, cm)
			}
			if e.kw != "" {
				kws[e.kw] = true
			}
		}
		switch {
		case len(next) == 0:
			return nil, &cliError{kind: errInvalid, col: t.col, word: t.s, tok: i}
		case len(exact) > 0:
			next = exact
		case len(kws) > 1:
			return nil, &cliError{kind: errAmbiguous, col: t.col, word: t.s, tok: i}
		}
		cands = next
	}
	for _, cm := range cands {
		if len(cm.elems) == len(toks) || len(cm.elems) > len(toks) && cm.elems[len(toks)].rest ||
			len(cm.elems) > 0 && len(cm.elems) < len(toks) && cm.elems[len(cm.elems)-1].rest {
			return cm, nil
		}
	}
	return nil, &cliError{kind: errIncomplete, tok: len(toks)}
}

// elemAt is the element of cm that word i meets: a trailing "..." takes
// every word from its position on.
func elemAt(cm *command, i int) (elem, bool) {
	if i < len(cm.elems) {
		return cm.elems[i], true
	}
	if n := len(cm.elems); n > 0 && cm.elems[n-1].rest {
		return cm.elems[n-1], true
	}
	return elem{}, false
}

// args picks the values of a matched command's non-keyword words and the
// words its "..." took.
func (cm *command) args(toks []token) (args []string, rest []token) {
	for i, e := range cm.elems {
		switch {
		case e.rest:
			return args, toks[min(i, len(toks)):]
		case e.kw == "" && i < len(toks):
			args = append(args, toks[i].s)
		}
	}
	return args, nil
}

// execute runs one command line in the current mode.
func (c *cli) execute(line string) {
	c.failed = false
	toks := tokenize(line)
	if len(toks) == 0 {
		return
	}
	c.log.Debug("command", "line", line, "mode", c.mode.name)
	if cm, err := lookup(c.mode.commands, toks); err != nil {
		c.refuse(toks, err)
	} else {
		args, rest := cm.args(toks)
		cm.run(c, args, rest)
	}
	if c.plat.blankAfterOutput && !c.done && !c.exec {
		c.print("\n")
	}
}

// refuse prints the platform's error for a refused line.
func (c *cli) refuse(toks []token, e *cliError) {
	c.failed = true
	if e.kind == errIncomplete && len(toks) > 0 {
		last := toks[len(toks)-1]
		e.col = last.col + len(last.s) + 1
	}
	c.print(c.plat.cliError(c, e))
}

// caret is the marker line under the offending column of the line just
// typed after the prompt.
func (c *cli) caret(col int) string {
	p := c.mode.prompt(c)
	if i := strings.LastIndex(p, "\n"); i >= 0 {
		p = p[i+1:]
	}
	return strings.Repeat(" ", len(p)+col) + "^\n"
}
