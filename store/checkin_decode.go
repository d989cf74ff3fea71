package store

import (
	"encoding/json"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/loopbot/loopbot/bot"
)

// unmarshal decodes a stored record into v: a check-in by decodeCheckIn,
// anything else by decodeJSON.
func unmarshal(data []byte, v any) error {
	if ci, ok := v.(*bot.CheckIn); ok {
		return decodeCheckIn(data, ci)
	}
	return decodeJSON(data, v)
}

// decodeCheckIn decodes a stored check-in into ci exactly as
// json.Unmarshal(data, ci) does, but without reflection: an export reads a
// million of them, and encoding/json was most of its CPU time. It takes the
// JSON that json.Marshal writes for a bot.CheckIn (its own field names, each
// once; strings without escapes; numbers in the fields' types); anything else
// (an escape, null, an unknown or repeated key, a key in other case, a
// malformed document) goes to json.Unmarshal, so that the result and the
// errors are encoding/json's own. FuzzDecodeCheckIn checks the two agree.
func decodeCheckIn(data []byte, ci *bot.CheckIn) error {
	return decodeCheckInShared(data, ci, nil)
}

// decodeCheckInShared is decodeCheckIn sharing the strings it makes (the
// person ids, statuses and notes that many check-ins repeat) through
// shared, when it is not nil, instead of allocating each again.
func decodeCheckInShared(data []byte, ci *bot.CheckIn, shared map[string]string) error {
	d := jsonScan{b: data, shared: shared}
	var c bot.CheckIn
	if d.checkIn(&c) && d.end() {
		*ci = c
		return nil
	}
	return json.Unmarshal(data, ci)
}

// jsonScan reads a JSON document from b at i. Its methods report false for
// anything outside the subset decodeCheckIn takes.
type jsonScan struct {
	b     []byte
	i     int
	depth int // of nested check-ins (History)
	// shared, when not nil, holds strings already made (sharedMax at
	// most, each up to sharedLen bytes), to give out again.
	shared map[string]string
}

const (
	sharedMax = 1 << 14
	sharedLen = 64
)

// ws skips white space.
func (s *jsonScan) ws() {
	for s.i < len(s.b) {
		switch s.b[s.i] {
		case ' ', '\t', '\n', '\r':
			s.i++
		default:
			return
		}
	}
}

// next consumes c after white space, if it is there.
func (s *jsonScan) next(c byte) bool {
	s.ws()
	if s.i < len(s.b) && s.b[s.i] == c {
		s.i++
		return true
	}
	return false
}

// end reports whether only white space is left.
func (s *jsonScan) end() bool {
	s.ws()
	return s.i == len(s.b)
}

// str reads a string without escapes, control characters or invalid
// UTF-8, and returns its bytes (which point into b) and the whole literal,
// quotes included.
func (s *jsonScan) str() (v, raw []byte, ok bool) {
	s.ws()
	if s.i >= len(s.b) || s.b[s.i] != '"' {
		return nil, nil, false
	}
	start := s.i
	for j := start + 1; j < len(s.b); j++ {
		switch c := s.b[j]; {
		case c == '"':
			v = s.b[start+1 : j]
			if !utf8.Valid(v) {
				return nil, nil, false
			}
			s.i = j + 1
			return v, s.b[start:s.i], true
		case c == '\\' || c < 0x20:
			return nil, nil, false
		}
	}
	return nil, nil, false
}

// number reads a number as JSON writes them: -?(0|[1-9][0-9]*)(.[0-9]+)?
// ([eE][+-]?[0-9]+)?, and reports whether it is an integer (no fraction,
// no exponent).
func (s *jsonScan) number() (lit []byte, integer, ok bool) {
	s.ws()
	b, i := s.b, s.i
	digits := func() int {
		n := 0
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
			n++
		}
		return n
	}
	if i < len(b) && b[i] == '-' {
		i++
	}
	switch {
	case i < len(b) && b[i] == '0':
		i++
	case digits() == 0:
		return nil, false, false
	}
	integer = true
	if i < len(b) && b[i] == '.' {
		i++
		if digits() == 0 {
			return nil, false, false
		}
		integer = false
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		if digits() == 0 {
			return nil, false, false
		}
		integer = false
	}
	lit, s.i = b[s.i:i], i
	return lit, integer, true
}

// int reads an integer into an int, as encoding/json would.
func (s *jsonScan) int() (int, bool) {
	lit, integer, ok := s.number()
	if !ok || !integer {
		return 0, false
	}
	n, err := strconv.ParseInt(string(lit), 10, strconv.IntSize)
	return int(n), err == nil
}

// uint reads a non-negative integer into a uint64.
func (s *jsonScan) uint() (uint64, bool) {
	lit, integer, ok := s.number()
	if !ok || !integer || lit[0] == '-' {
		return 0, false
	}
	n, err := strconv.ParseUint(string(lit), 10, 64)
	return n, err == nil
}

// float reads a number into a float64.
func (s *jsonScan) float() (float64, bool) {
	lit, _, ok := s.number()
	if !ok {
		return 0, false
	}
	f, err := strconv.ParseFloat(string(lit), 64)
	return f, err == nil
}

// bool reads true or false.
func (s *jsonScan) bool() (v, ok bool) {
	s.ws()
	rest := s.b[s.i:]
	switch {
	case len(rest) >= 4 && string(rest[:4]) == "true":
		s.i += 4
		return true, true
	case len(rest) >= 5 && string(rest[:5]) == "false":
		s.i += 5
		return false, true
	}
	return false, false
}

// text reads a string into a Go string (a copy: b may be the store's
// memory map).
func (s *jsonScan) text() (string, bool) {
	v, _, ok := s.str()
	if !ok || s.shared == nil || len(v) > sharedLen {
		return string(v), ok
	}
	if x, found := s.shared[string(v)]; found {
		return x, true
	}
	x := string(v)
	if len(s.shared) < sharedMax {
		s.shared[x] = x
	}
	return x, true
}

// date reads a bot.Date as its UnmarshalText does.
func (s *jsonScan) date() (bot.Date, bool) {
	v, _, ok := s.str()
	if !ok {
		return bot.Date{}, false
	}
	if len(v) == 10 && v[4] == '-' && v[7] == '-' {
		y, m, d := digitsOf(v[0:4]), digitsOf(v[5:7]), digitsOf(v[8:10])
		if y > 0 && m > 0 && d > 0 {
			if day := (bot.Date{Year: y, Month: time.Month(m), Day: d}); bot.NewDate(y, time.Month(m), d) == day {
				return day, true
			}
		}
	}
	var day bot.Date
	return day, day.UnmarshalText(v) == nil
}

// digitsOf returns the number that the ASCII digits b spell, or -1.
func digitsOf(b []byte) int {
	n := 0
	for _, c := range b {
		if c < '0' || c > '9' {
			return -1
		}
		n = n*10 + int(c-'0')
	}
	return n
}

// time reads a time.Time as its UnmarshalJSON does (RFC 3339).
func (s *jsonScan) time() (time.Time, bool) {
	_, raw, ok := s.str()
	if !ok {
		return time.Time{}, false
	}
	var t time.Time
	return t, t.UnmarshalJSON(raw) == nil
}

// object reads an object, calling field with each key (its bytes) to read
// the value; a key seen twice, or one field does not take, ends it (false).
// field returns the key's bit in seen, 0 when it does not know the key.
func (s *jsonScan) object(field func(key []byte) (bit uint, ok bool)) bool {
	if !s.next('{') {
		return false
	}
	if s.next('}') {
		return true
	}
	var seen uint
	for {
		k, _, ok := s.str()
		if !ok || !s.next(':') {
			return false
		}
		bit, ok := field(k)
		if !ok || seen&bit != 0 {
			return false
		}
		seen |= bit
		if s.next(',') {
			continue
		}
		return s.next('}')
	}
}

// array reads an array, calling elem for each element; an empty array
// gives an empty, non-nil slice, as encoding/json does (the caller makes
// it).
func (s *jsonScan) array(elem func() bool) bool {
	if !s.next('[') {
		return false
	}
	if s.next(']') {
		return true
	}
	for {
		if !elem() {
			return false
		}
		if s.next(',') {
			continue
		}
		return s.next(']')
	}
}

// checkIn reads a bot.CheckIn (its json tags). History nested deeper
// than a hundred check-ins goes to encoding/json, which has its own limit.
func (s *jsonScan) checkIn(ci *bot.CheckIn) bool {
	if s.depth++; s.depth > 100 {
		return false
	}
	defer func() { s.depth-- }()
	return s.object(func(k []byte) (uint, bool) {
		var ok bool
		switch string(k) {
		case "person":
			var v string
			v, ok = s.text()
			ci.Person = bot.PersonID(v)
			return 1 << 0, ok
		case "day":
			ci.Day, ok = s.date()
			return 1 << 1, ok
		case "answers":
			ci.Answers = make([]bot.CheckInAnswer, 0, 4)
			return 1 << 2, s.array(func() bool {
				var a bot.CheckInAnswer
				if !s.answer(&a) {
					return false
				}
				ci.Answers = append(ci.Answers, a)
				return true
			})
		case "submitted_at":
			ci.SubmittedAt, ok = s.time()
			return 1 << 3, ok
		case "late":
			ci.Late, ok = s.bool()
			return 1 << 4, ok
		case "leave":
			ci.Leave, ok = s.bool()
			return 1 << 5, ok
		case "no_change":
			ci.NoChange, ok = s.bool()
			return 1 << 6, ok
		case "history":
			ci.History = []bot.CheckIn{}
			return 1 << 7, s.array(func() bool {
				var h bot.CheckIn
				if !s.checkIn(&h) {
					return false
				}
				ci.History = append(ci.History, h)
				return true
			})
		}
		return 0, false
	})
}

// answer reads a bot.CheckInAnswer.
func (s *jsonScan) answer(a *bot.CheckInAnswer) bool {
	return s.object(func(k []byte) (uint, bool) {
		var ok bool
		switch string(k) {
		case "task":
			a.Task, ok = s.uint()
			return 1 << 0, ok
		case "progress":
			a.Progress, ok = s.int()
			return 1 << 1, ok
		case "status":
			a.Status, ok = s.text()
			return 1 << 2, ok
		case "hours":
			a.Hours, ok = s.float()
			return 1 << 3, ok
		case "note":
			a.Note, ok = s.text()
			return 1 << 4, ok
		}
		return 0, false
	})
}
