package calendar

import (
	"bufio"
	"io"
	"strings"

	"github.com/loopbot/loopbot/bot"
)

// maxRange is the longest run of days that one schedule line may cover.
const maxRange = 366

// Load adds the days of a schedule in the format of the shipped data/cn.txt:
// one "<date>[..<date>] off|work [name]" per line, with # comments. Either
// every line is added or none is. It returns an EINVALID error that names the
// first bad line, or the reader's error.
func (c *Calendar) Load(r io.Reader) error {
	days, err := parseSchedule(r)
	if err != nil {
		return err
	}
	c.add(days...)
	return nil
}

func parseSchedule(r io.Reader) ([]Day, error) {
	var days []Day
	sc := bufio.NewScanner(r)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		more, err := parseScheduleLine(line)
		if err != nil {
			return nil, bot.Errorf(bot.EINVALID, "schedule line %d: %q: %s", n, line, bot.ErrorMessage(err))
		}
		days = append(days, more...)
	}
	return days, sc.Err()
}

// parseScheduleLine reads one "<date>[..<date>] off|work [name]" line.
func parseScheduleLine(line string) ([]Day, error) {
	fields := strings.Fields(line)
	if len(fields) < 2 {
		return nil, bot.Errorf(bot.EINVALID, "want <date>[..<date>] off|work [name]")
	}
	from, to, err := parseScheduleDates(fields[0])
	if err != nil {
		return nil, err
	}
	var workday bool
	switch fields[1] {
	case "off":
	case "work":
		workday = true
	default:
		return nil, bot.Errorf(bot.EINVALID, "%q is neither off nor work", fields[1])
	}
	name := strings.Join(fields[2:], " ")
	var days []Day
	for d := from; !d.After(to); d = d.AddDays(1) {
		days = append(days, Day{Date: d, Workday: workday, Name: name})
	}
	return days, nil
}

func parseScheduleDates(s string) (from, to bot.Date, err error) {
	a, b, isRange := strings.Cut(s, "..")
	if from, err = bot.ParseISODate(a); err != nil {
		return from, to, err
	}
	to = from
	if isRange {
		if to, err = bot.ParseISODate(b); err != nil {
			return from, to, err
		}
	}
	if to.Before(from) || from.DaysUntil(to) >= maxRange {
		return from, to, bot.Errorf(bot.EINVALID, "%s..%s is not a range of at most %d days", from, to, maxRange)
	}
	return from, to, nil
}
