package calendar

import (
	"fmt"
	"math"
	"regexp"
	"time"

	"github.com/loopbot/loopbot/bot"
)

// SpanForms lists the span forms that ParseSpan reads.
const SpanForms = "5m, 2h, 3d (calendar days 自然日), 1wd/1个工作日 (working days 工作日), 4wh/4工作小时 (working hours 工作小时), 30s"

// Span is a configured duration such as 5m, 2h, 3d, 1wd or 4wh. Unit is one
// of "s", "m", "h", "d" (calendar days), "wd" (working days, each
// WorkdayLength of working time) and "wh" (working hours).
//
// Den divides the span: N/Den units. Div sets it when no finer unit holds
// the quotient exactly, as in 1wd/2 (half a working day, which has no exact
// unit without knowing the calendar's hours), and String and ParseSpan write
// and read it as "/Den". Zero and one both mean whole units. The zero Span
// is "not set".
type Span struct {
	N    int
	Unit string
	Den  int
}

// spanUnits maps the unit words that ParseSpan reads to units.
var spanUnits = map[string]string{
	"s": "s", "sec": "s", "秒": "s", "秒钟": "s",
	"m": "m", "min": "m", "分": "m", "分钟": "m",
	"h": "h", "hr": "h", "小时": "h", "个小时": "h", "钟头": "h", "个钟头": "h",
	"d": "d", "天": "d",
	"wd": "wd", "工作日": "wd", "个工作日": "wd",
	"wh": "wh", "工作小时": "wh", "个工作小时": "wh",
}

// maxSpan is the largest N of each unit that ParseSpan takes, about ten
// years, so that every span fits in a time.Duration.
var maxSpan = map[string]int{
	"s": 315_360_000, "m": 5_256_000, "h": 87_600, "d": 3_650, "wd": 2_600, "wh": 23_400,
}

var reSpan = regexp.MustCompile(`^(\d{1,9}) ?([a-z\p{Han}]+)(?:/(\d{1,9}))?$`)

// ParseSpan reads a span: a whole number and a unit, such as 5m, 2h, 3d,
// 1wd, 4wh, 3个工作日 or 4工作小时, optionally divided as Div writes it
// (1wd/2). It returns an EINVALID error that names s and lists SpanForms for
// anything else, and for spans longer than about ten years.
func ParseSpan(s string) (Span, error) {
	if len(s) > 4*maxInput {
		return Span{}, spanError(s)
	}
	m := reSpan.FindStringSubmatch(normalize(s))
	if m == nil {
		return Span{}, spanError(s)
	}
	unit, ok := spanUnits[m[2]]
	if !ok {
		return Span{}, spanError(s)
	}
	sp := Span{N: atoi(m[1]), Unit: unit}
	if m[3] != "" {
		sp.Den = atoi(m[3])
	}
	if sp.N > maxSpan[unit] || m[3] != "" && sp.Den < 1 {
		return Span{}, spanError(s)
	}
	return sp.reduce(), nil
}

func spanError(s string) error {
	q := quote(s)
	return bot.Bilingual(bot.EINVALID, q+" is not a duration; write a number and a unit.\nAccepted forms: "+SpanForms,
		q+" 不是有效的时长，请写数字加单位。\n可用格式: "+SpanForms)
}

// String writes s as ParseSpan reads it: 5m, 1wd, or 1wd/2 when divided. The
// zero Span is "".
func (s Span) String() string {
	if s.Unit == "" {
		return ""
	}
	if s.den() > 1 {
		return fmt.Sprintf("%d%s/%d", s.N, s.Unit, s.den())
	}
	return fmt.Sprintf("%d%s", s.N, s.Unit)
}

// IsZero reports whether s is not set.
func (s Span) IsZero() bool { return s.Unit == "" }

// IsWorking reports whether s counts working time (wd or wh).
func (s Span) IsWorking() bool { return s.Unit == "wd" || s.Unit == "wh" }

// MarshalText writes s as String does, for TOML and JSON.
func (s Span) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// UnmarshalText reads s as ParseSpan does; empty text is the zero Span. It
// returns ParseSpan's EINVALID error.
func (s *Span) UnmarshalText(b []byte) error {
	if len(b) == 0 {
		*s = Span{}
		return nil
	}
	v, err := ParseSpan(string(b))
	if err != nil {
		return err
	}
	*s = v
	return nil
}

func (s Span) den() int {
	if s.Den < 1 {
		return 1
	}
	return s.Den
}

// Duration returns the plain length of s, a day being 24h, and false for
// working-time spans, whose length depends on when they start.
func (s Span) Duration() (time.Duration, bool) {
	unit, ok := plainUnits[s.Unit]
	if !ok {
		return 0, false
	}
	return mulDuration(s.N, unit) / time.Duration(s.den()), true
}

var plainUnits = map[string]time.Duration{
	"s": time.Second, "m": time.Minute, "h": time.Hour, "d": 24 * time.Hour,
}

// After returns the instant s after t. Working days add N times the
// calendar's WorkdayLength of working time and working hours add N hours of
// working time, both counted on c in loc from the next working period when t
// is outside working hours (AddWorkingTime). Whole calendar days keep the
// time of day on loc's clock across daylight-saving changes; the other units
// add plain time. A nil c is the default calendar and a nil loc is c's zone.
// A span with an unknown unit adds nothing.
func (s Span) After(c *Calendar, t time.Time, loc *time.Location) time.Time {
	if s.IsWorking() {
		if c == nil {
			c = New(Config{})
		}
		return c.AddWorkingTime(t, s.working(c), loc)
	}
	if s.Unit == "d" && s.den() == 1 {
		// Not AddDate: it leaves a time in a gap wherever time.Date puts
		// it; Date.At moves it past the gap, and takes a repeated time's
		// first occurrence.
		z := spanZone(c, loc, t)
		l := t.In(z)
		sub := time.Duration(l.Second())*time.Second + time.Duration(l.Nanosecond())
		return bot.DateOf(l).AddDays(s.N).At(l.Hour(), l.Minute(), z).Add(sub)
	}
	d, _ := s.Duration()
	return t.Add(d)
}

// working returns the working time of a wd or wh span on c.
func (s Span) working(c *Calendar) time.Duration {
	unit := time.Hour
	if s.Unit == "wd" {
		unit = c.WorkdayLength()
	}
	return mulDuration(s.N, unit) / time.Duration(s.den())
}

func spanZone(c *Calendar, loc *time.Location, t time.Time) *time.Location {
	switch {
	case loc != nil:
		return loc
	case c != nil:
		return c.loc
	}
	return t.Location()
}

// mulDuration returns n*unit, held at the largest Duration when it would
// overflow.
func mulDuration(n int, unit time.Duration) time.Duration {
	if n != 0 && unit != 0 && (int64(n) > math.MaxInt64/int64(unit) || int64(n) < -math.MaxInt64/int64(unit)) {
		if (n < 0) != (unit < 0) {
			return math.MinInt64
		}
		return math.MaxInt64
	}
	return time.Duration(n) * unit
}
