package store

import (
	"bytes"
	"fmt"
	"slices"
	"strings"

	"github.com/loopbot/loopbot/bot"
)

// Prompt returns the prompt that asked person to check in on day, or an
// ENOTFOUND error when none did.
func (t *tx) Prompt(person bot.PersonID, day bot.Date) (bot.Prompt, error) {
	var p bot.Prompt
	ok, err := t.get(bucketPrompts, personDayKey(person, day), &p)
	if err != nil {
		return bot.Prompt{}, err
	} else if !ok {
		return bot.Prompt{}, bot.Errorf(bot.ENOTFOUND, "%s was not asked to check in on %s", person, day)
	}
	return p, nil
}

// PutPrompt stores p under its person and day, replacing the prompt stored
// there, indexes it by day, and files the person's check-ins in the due
// index by the prompt's cut-off (at once when it has none). It returns
// EINVALID for a prompt with no person or no valid day.
func (t *tx) PutPrompt(p bot.Prompt) error {
	if err := t.writable("put prompt"); err != nil {
		return err
	}
	if err := checkPersonDay(p.Person, p.Day, "a check-in prompt"); err != nil {
		return err
	}
	if err := t.putRaw(bucketPromptsByDay, dayPersonKey(p.Day, p.Person), nil); err != nil {
		return err
	}
	// The person's missed check-ins can change only once a prompt's cut-off
	// passes (an answer resolves their warning at once, in its own
	// transaction): they are looked at then, not at the next check, so that
	// the morning's fan-out does not have everyone checked at once.
	if err := t.fileBy(checkinsSubject(p.Person), p.Cutoff); err != nil {
		return err
	}
	return t.put(bucketPrompts, personDayKey(p.Person, p.Day), p)
}

// Prompts returns the prompts of one day, by person.
func (t *tx) Prompts(day bot.Date) ([]bot.Prompt, error) {
	return loadByDay[bot.Prompt](t, bucketPromptsByDay, bucketPrompts, day, day)
}

// PersonPrompts returns the prompts of person with from <= Day <= to,
// oldest first.
func (t *tx) PersonPrompts(person bot.PersonID, from, to bot.Date) ([]bot.Prompt, error) {
	return loadPersonDays[bot.Prompt](t, bucketPrompts, person, from, to)
}

// LatestPrompts returns the last n prompts of person with from <= Day <= to,
// oldest first (fewer when there are not n), reading those n only: a
// person's check of missed check-ins needs their latest few, not a month.
func (t *tx) LatestPrompts(person bot.PersonID, from, to bot.Date, n int) ([]bot.Prompt, error) {
	if n <= 0 {
		return nil, nil
	}
	start := append(strPrefix(string(person)), rangeKey(from)...)
	end := append(strPrefix(string(person)), rangeKey(to)...)
	c := t.bucket(bucketPrompts).Cursor()
	t.read() // the Seek
	k, v := c.Seek(end)
	switch {
	case k == nil:
		k, v = c.Last()
	case bytes.Compare(k, end) > 0:
		k, v = c.Prev()
	}
	var out []bot.Prompt
	for ; k != nil && bytes.Compare(k, start) >= 0 && len(out) < n; k, v = c.Prev() {
		t.read()
		var pr bot.Prompt
		if err := decodeValue(v, &pr); err != nil {
			return nil, fmt.Errorf("store: decode %s %x: %w", bucketPrompts, k, err)
		}
		out = append(out, pr)
	}
	slices.Reverse(out)
	return out, nil
}

// CheckIn returns the check-in of person for day, or an ENOTFOUND error when
// the person has not answered for that day.
func (t *tx) CheckIn(person bot.PersonID, day bot.Date) (bot.CheckIn, error) {
	var c bot.CheckIn
	ok, err := t.get(bucketCheckIns, personDayKey(person, day), &c)
	if err != nil {
		return bot.CheckIn{}, err
	} else if !ok {
		return bot.CheckIn{}, bot.Errorf(bot.ENOTFOUND, "no check-in from %s on %s", person, day)
	}
	return c, nil
}

// PutCheckIn stores c under its person and day and indexes it by day. It
// replaces the check-in stored there as it is: keeping the replaced answer
// in History is the caller's part. It returns EINVALID for a check-in with
// no person or no valid day.
func (t *tx) PutCheckIn(c bot.CheckIn) error {
	if err := t.writable("put check-in"); err != nil {
		return err
	}
	if err := checkPersonDay(c.Person, c.Day, "a check-in"); err != nil {
		return err
	}
	if err := t.putRaw(bucketCheckInsByDay, dayPersonKey(c.Day, c.Person), nil); err != nil {
		return err
	}
	if err := t.markChanged(checkinsSubject(c.Person)); err != nil {
		return err
	}
	return t.put(bucketCheckIns, personDayKey(c.Person, c.Day), c)
}

// CheckIns returns the check-ins with from <= Day <= to, by day then person.
// It reads the person's own keys when person is set, else the day index, so
// that neither reads check-ins outside the range.
func (t *tx) CheckIns(person bot.PersonID, from, to bot.Date) ([]bot.CheckIn, error) {
	if person != "" {
		return loadPersonDays[bot.CheckIn](t, bucketCheckIns, person, from, to)
	}
	return loadByDay[bot.CheckIn](t, bucketCheckInsByDay, bucketCheckIns, from, to)
}

// eachBatch is how many check-ins EachCheckIn reads at a time.
const eachBatch = 4096

// EachCheckIn calls fn with each check-in with from <= Day <= to, by day
// then person. It reads them eachBatch at a time: the next entries of the
// day index, then their records in key order (by person then day), which
// visits each page of a person's records once per batch rather than once a
// day, then calls fn with each in the index's order. An export of millions
// of rows so holds a batch in memory, and gives back the pages it read
// (tx.read). It stops at fn's first error and returns it.
func (t *tx) EachCheckIn(from, to bot.Date, fn func(bot.CheckIn) error) error {
	end := rangeKey(to)
	c := t.bucket(bucketCheckInsByDay).Cursor()
	data := t.bucket(bucketCheckIns)
	shared := map[string]string{}
	var (
		keys  []byte // the batch's record keys, <person>\x00<yyyymmdd>, one after another
		spans [][2]int
		order []int
		batch []bot.CheckIn
	)
	t.read() // the Seek
	k, _ := c.Seek([]byte(rangeKey(from)))
	for k != nil && string(k[:min(len(k), 8)]) <= end {
		keys, spans = keys[:0], spans[:0]
		for ; k != nil && string(k[:min(len(k), 8)]) <= end && len(spans) < eachBatch; k, _ = c.Next() {
			t.read()
			day, person, ok := bytes.Cut(k, []byte{0})
			if !ok {
				return fmt.Errorf("store: %s key %q has no person", bucketCheckInsByDay, k)
			}
			// Copied: k points into the memory map, which tx.read releases.
			at := len(keys)
			keys = append(append(append(keys, person...), 0), day...)
			spans = append(spans, [2]int{at, len(keys)})
		}
		key := func(i int) []byte { return keys[spans[i][0]:spans[i][1]] }
		order = order[:0]
		for i := range spans {
			order = append(order, i)
		}
		slices.SortFunc(order, func(a, b int) int { return bytes.Compare(key(a), key(b)) })
		batch = append(batch[:0], make([]bot.CheckIn, len(spans))...)
		for _, i := range order {
			t.read()
			v := data.Get(key(i))
			if v == nil {
				return fmt.Errorf("store: %s names %s %q, which does not exist", bucketCheckInsByDay, bucketCheckIns, key(i))
			}
			if err := decodeCheckInShared(v, &batch[i], shared); err != nil {
				return fmt.Errorf("store: decode %s %q: %w", bucketCheckIns, key(i), err)
			}
		}
		for i := range batch {
			if err := fn(batch[i]); err != nil {
				return err
			}
		}
	}
	return nil
}

// loadPersonDays decodes the records of a <person>\x00<yyyymmdd> bucket with
// from <= day <= to, oldest first. Every key between the two bounds starts
// with <person>\x00, since both bounds do, and a stored person id never holds
// a zero byte.
func loadPersonDays[T any](t *tx, bucket string, person bot.PersonID, from, to bot.Date) ([]T, error) {
	end := append(strPrefix(string(person)), rangeKey(to)...)
	start := append(strPrefix(string(person)), rangeKey(from)...)
	return loadWhile[T](t, bucket, start, func(k []byte) bool { return bytes.Compare(k, end) <= 0 })
}

// loadByDay decodes the records that a <yyyymmdd>\x00<person> index lists
// with from <= day <= to, by day then person.
func loadByDay[T any](t *tx, index, bucket string, from, to bot.Date) ([]T, error) {
	end := rangeKey(to)
	var out []T
	c := t.bucket(index).Cursor()
	t.read() // the Seek
	for k, _ := c.Seek([]byte(rangeKey(from))); k != nil && string(k[:min(len(k), 8)]) <= end; k, _ = c.Next() {
		t.read()
		day, person, ok := strings.Cut(string(k), "\x00")
		if !ok {
			return nil, fmt.Errorf("store: %s key %q has no person", index, k)
		}
		var x T
		found, err := t.get(bucket, append(strPrefix(person), day...), &x)
		if err != nil {
			return nil, err
		} else if !found {
			return nil, fmt.Errorf("store: %s names %s %q, which does not exist", index, bucket, k)
		}
		out = append(out, x)
	}
	return out, nil
}

// personDayKey returns <person>\x00<yyyymmdd>, the key of a person's record
// for a day.
func personDayKey(person bot.PersonID, day bot.Date) []byte {
	return append(strPrefix(string(person)), day.Key()...)
}

// dayPersonKey returns <yyyymmdd>\x00<person>, the day index key of a
// person's record for a day.
func dayPersonKey(day bot.Date, person bot.PersonID) []byte {
	return append(strPrefix(day.Key()), person...)
}

// rangeKey returns d.Key() as the bound of a range read, with the year held
// to 0…9999 so that the bound has eight digits, as every stored day has.
func rangeKey(d bot.Date) string {
	switch {
	case d.Year < 0:
		return "00000000"
	case d.Year > 9999:
		return "99999999"
	}
	return d.Key()
}

// checkPersonDay returns EINVALID unless person is a person id and day a
// real date with a four-digit year, whose key has the eight digits that
// range reads rely on. what names the record in the message.
func checkPersonDay(person bot.PersonID, day bot.Date, what string) error {
	if err := checkPerson(person, what); err != nil {
		return err
	}
	if day.IsZero() {
		return bot.Errorf(bot.EINVALID, "%s needs a day", what)
	}
	if day.Year < 1 || day.Year > 9999 || bot.NewDate(day.Year, day.Month, day.Day) != day {
		return bot.Errorf(bot.EINVALID, "%04d-%02d-%02d is not a date", day.Year, int(day.Month), day.Day)
	}
	return nil
}

// checkPerson returns EINVALID for an empty person id, or one with a zero
// byte, which would break the composite keys it is part of.
func checkPerson(person bot.PersonID, what string) error {
	if person == "" {
		return bot.Errorf(bot.EINVALID, "%s needs a person", what)
	}
	if strings.ContainsRune(string(person), 0) {
		return bot.Errorf(bot.EINVALID, "%q is not a person id", person)
	}
	return nil
}
