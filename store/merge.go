package store

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/loopbot/loopbot/bot"
)

// This file moves a person's records to another person (a merge) and back
// (a split). Every kind of record that names a person is listed here; the
// audit log is not, since it is append-only: it keeps the identity that
// acted.

// field is one person field of a record, by the name a bot.MergeRef gives it.
type field struct {
	name string
	ptr  *bot.PersonID
}

func taskFields(t *bot.Task) []field {
	return []field{{"assignee", &t.Assignee}, {"assigner", &t.Assigner}}
}

func escalationFields(e *bot.Escalation) []field {
	return []field{{"person", &e.Person}, {"acknowledged_by", &e.AcknowledgedBy}, {"snoozed_by", &e.SnoozedBy}, {"resolved_by", &e.ResolvedBy}}
}

func riskFields(r *bot.Risk) []field {
	return []field{{"owner", &r.Owner}, {"created_by", &r.CreatedBy}, {"closed_by", &r.ClosedBy}}
}

func changeFields(c *bot.ChangeRequest) []field {
	return []field{{"requester", &c.Requester}, {"asked_of", &c.AskedOf}, {"decider", &c.Decider}}
}

func cardFields(c *bot.CardRecord) []field { return []field{{"to", &c.To}} }

// swapFields re-points the fields of a record named in names (all when
// names is nil) from one person to another, and returns the names of those
// it changed.
func swapFields(fs []field, names []string, from, to bot.PersonID) []string {
	var out []string
	for _, f := range fs {
		if *f.ptr == from && (names == nil || slices.Contains(names, f.name)) {
			*f.ptr = to
			out = append(out, f.name)
		}
	}
	return out
}

// idRecord is how moveIDRecords reads and writes one kind of record kept
// by id.
type idRecord[T any] struct {
	kind, bucket string
	fields       func(*T) []field
	put          func(T) error
}

// moveIDRecords re-points the records of one kind from one person to
// another, appending a ref for each field moved.
func moveIDRecords[T any](t *tx, m *bot.Merge, k idRecord[T], from, to bot.PersonID) error {
	// A cheap look at the JSON first: decode only the records that may
	// name from (as encoding/json writes it, with its escapes).
	quoted, _ := json.Marshal(string(from))
	needle := quoted[1 : len(quoted)-1]
	var ids []uint64
	err := t.bucket(k.bucket).ForEach(func(key, v []byte) error {
		raw, err := valueJSON(v) // a compressed record's JSON
		if err != nil {
			return fmt.Errorf("store: decode %s %x: %w", k.bucket, key, err)
		}
		if bytes.Contains(raw, needle) && len(key) == 8 {
			ids = append(ids, btoi(key))
		}
		return nil
	})
	if err != nil {
		return err
	}
	recs, err := loadIDs[T](t, k.bucket, ids)
	if err != nil {
		return err
	}
	for i := range recs {
		moved := swapFields(k.fields(&recs[i]), nil, from, to)
		if len(moved) == 0 {
			continue
		}
		if err := k.put(recs[i]); err != nil {
			return fmt.Errorf("store: merge %s %d: %w", k.kind, ids[i], err)
		}
		for _, f := range moved {
			m.Moved = append(m.Moved, bot.MergeRef{Kind: k.kind, ID: ids[i], Field: f})
		}
	}
	return nil
}

// moveIDBack re-points one record's field back, when it still names from.
func moveIDBack[T any](t *tx, k idRecord[T], ref bot.MergeRef, from, to bot.PersonID) error {
	var rec T
	ok, err := t.get(k.bucket, itob(ref.ID), &rec)
	if err != nil || !ok {
		return err // a record pruned since (a card) has nothing to move
	}
	if len(swapFields(k.fields(&rec), []string{ref.Field}, from, to)) == 0 {
		return nil
	}
	return k.put(rec)
}

// moveRecords re-points every record of from to to, for MergePeople.
func (t *tx) moveRecords(m *bot.Merge, from, to bot.PersonID) error {
	steps := []func() error{
		func() error { return moveIDRecords(t, m, t.taskKind(), from, to) },
		func() error { return t.moveEscalations(m, from, to) },
		func() error { return moveIDRecords(t, m, t.riskKind(), from, to) },
		func() error { return moveIDRecords(t, m, t.changeKind(), from, to) },
		func() error { return t.moveCards(m, from, to) },
		func() error { return t.moveProjects(m, from, to) },
		func() error { return t.moveDays(m, bot.RefCheckIn, from, to) },
		func() error { return t.moveDays(m, bot.RefPrompt, from, to) },
		func() error { return t.moveReviews(m, from, to) },
		func() error { return t.moveManagers(m, from, to) },
		func() error { return t.moveMeta(m, from, to) },
	}
	for _, step := range steps {
		if err := step(); err != nil {
			return err
		}
	}
	return nil
}

func (t *tx) taskKind() idRecord[bot.Task] {
	return idRecord[bot.Task]{bot.RefTask, bucketTasks, taskFields, t.PutTask}
}

func (t *tx) escalationKind() idRecord[bot.Escalation] {
	return idRecord[bot.Escalation]{bot.RefEscalation, bucketEscalations, escalationFields, t.PutEscalation}
}

func (t *tx) riskKind() idRecord[bot.Risk] {
	return idRecord[bot.Risk]{bot.RefRisk, bucketRisks, riskFields, t.PutRisk}
}

func (t *tx) changeKind() idRecord[bot.ChangeRequest] {
	return idRecord[bot.ChangeRequest]{bot.RefChange, bucketChanges, changeFields, t.PutChange}
}

func (t *tx) cardKind() idRecord[bot.CardRecord] {
	return idRecord[bot.CardRecord]{bot.RefCard, bucketCards, cardFields, t.PutCard}
}

// moveEscalations re-points escalations. An open missed check-ins
// escalation of from, when to has one open too, is resolved first: a
// person has one at a time.
func (t *tx) moveEscalations(m *bot.Merge, from, to bot.PersonID) error {
	open, err := t.OpenEscalation(string(from), bot.RuleMissedCheckins)
	if err == nil {
		if _, err := t.OpenEscalation(string(to), bot.RuleMissedCheckins); err == nil {
			open.ResolvedAt, open.ResolvedBy = m.Time, m.By
			if err := t.PutEscalation(open); err != nil {
				return err
			}
		} else if bot.ErrorCode(err) != bot.ENOTFOUND {
			return err
		}
	} else if bot.ErrorCode(err) != bot.ENOTFOUND {
		return err
	}
	return moveIDRecords(t, m, t.escalationKind(), from, to)
}

// moveCards re-points the cards sent to from, and re-keys the cards whose
// key names from (a check-in card's "checkin/<person>/<day>"), so that the
// flows find them under the person's canonical id.
func (t *tx) moveCards(m *bot.Merge, from, to bot.PersonID) error {
	if err := moveIDRecords(t, m, t.cardKind(), from, to); err != nil {
		return err
	}
	var ids []uint64
	var keys []string
	err := t.bucket(bucketCardsByKey).ForEach(func(k, _ []byte) error {
		key, id, ok := bytes.Cut(k, []byte{0})
		if ok && len(id) == 8 && bytes.Contains(key, []byte(from)) {
			ids, keys = append(ids, btoi(id)), append(keys, string(key))
		}
		return nil
	})
	if err != nil {
		return err
	}
	for i, id := range ids {
		newKey, ok := swapKeySegment(keys[i], from, to)
		if !ok {
			continue
		}
		if err := t.rekeyCard(id, newKey); err != nil {
			return err
		}
		m.Moved = append(m.Moved, bot.MergeRef{Kind: bot.RefCard, ID: id, Field: "key", Key: keys[i]})
	}
	return nil
}

// rekeyCard gives a card a new key.
func (t *tx) rekeyCard(id uint64, key string) error {
	var c bot.CardRecord
	if ok, err := t.get(bucketCards, itob(id), &c); err != nil || !ok {
		return err
	}
	c.Key = key
	return t.PutCard(c)
}

// moveProjects re-points the owner, managers and members of projects. A
// list that names both people loses from (the field then ends in "_dup",
// so that a split adds from back without taking to out).
func (t *tx) moveProjects(m *bot.Merge, from, to bot.PersonID) error {
	projects, err := t.Projects()
	if err != nil {
		return err
	}
	for _, p := range projects {
		var moved []string
		if p.Owner == from {
			p.Owner, moved = to, append(moved, "owner")
		}
		for _, l := range []struct {
			name string
			list *[]bot.PersonID
		}{{"manager", &p.Managers}, {"member", &p.Members}} {
			i := slices.Index(*l.list, from)
			if i < 0 {
				continue
			}
			if slices.Contains(*l.list, to) {
				*l.list = slices.Delete(*l.list, i, i+1)
				moved = append(moved, l.name+"_dup")
			} else {
				(*l.list)[i] = to
				moved = append(moved, l.name)
			}
		}
		if len(moved) == 0 {
			continue
		}
		if err := t.PutProject(p); err != nil {
			return err
		}
		for _, f := range moved {
			m.Moved = append(m.Moved, bot.MergeRef{Kind: bot.RefProject, ID: p.ID, Field: f})
		}
	}
	return nil
}

// projectBack moves one project field back from the person from to to.
func (t *tx) projectBack(ref bot.MergeRef, from, to bot.PersonID) error {
	p, err := t.Project(ref.ID)
	if bot.ErrorCode(err) == bot.ENOTFOUND {
		return nil
	} else if err != nil {
		return err
	}
	list := &p.Members
	if strings.HasPrefix(ref.Field, "manager") {
		list = &p.Managers
	}
	switch ref.Field {
	case "owner":
		if p.Owner != from {
			return nil
		}
		p.Owner = to
	case "manager", "member":
		i := slices.Index(*list, from)
		if i < 0 || slices.Contains(*list, to) {
			return nil
		}
		(*list)[i] = to
	case "manager_dup", "member_dup":
		if slices.Contains(*list, to) {
			return nil
		}
		*list = append(*list, to)
	}
	return t.PutProject(p)
}

// dayKind is the bucket and day index of per-day records.
func dayBuckets(kind string) (data, byDay string) {
	if kind == bot.RefPrompt {
		return bucketPrompts, bucketPromptsByDay
	}
	return bucketCheckIns, bucketCheckInsByDay
}

// moveDays moves from's check-ins (or prompts) to to. A day on which to
// has their own keeps to's; from's is held in the merge record.
func (t *tx) moveDays(m *bot.Merge, kind string, from, to bot.PersonID) error {
	data, _ := dayBuckets(kind)
	prefix := strPrefix(string(from))
	var days []bot.Date
	err := t.bucket(data).ForEach(func(k, _ []byte) error {
		if bytes.HasPrefix(k, prefix) {
			d, err := keyDay(k[len(prefix):])
			if err != nil {
				return err
			}
			days = append(days, d)
		}
		return nil
	})
	if err != nil {
		return err
	}
	for _, d := range days {
		held, err := t.moveDay(kind, d, from, to, true)
		if err != nil {
			return err
		}
		if held != nil {
			switch v := held.(type) {
			case bot.CheckIn:
				m.HeldCheckIns = append(m.HeldCheckIns, v)
			case bot.Prompt:
				m.HeldPrompts = append(m.HeldPrompts, v)
			}
			continue
		}
		m.Moved = append(m.Moved, bot.MergeRef{Kind: kind, Key: d.String()})
	}
	return nil
}

// keyDay reads the yyyymmdd of a key.
func keyDay(k []byte) (bot.Date, error) {
	s := string(k)
	if len(s) != 8 {
		return bot.Date{}, fmt.Errorf("store: %q is not a day key", s)
	}
	return bot.ParseISODate(s[:4] + "-" + s[4:6] + "-" + s[6:])
}

// moveDay moves from's record of a day to to. When to has one already,
// from's is removed and returned (held), if hold is set, else left alone.
func (t *tx) moveDay(kind string, d bot.Date, from, to bot.PersonID, hold bool) (any, error) {
	data, byDay := dayBuckets(kind)
	if t.bucket(data).Get(personDayKey(from, d)) == nil {
		return nil, nil
	}
	var held any
	if kind == bot.RefPrompt {
		var p bot.Prompt
		if err := t.get2(data, personDayKey(from, d), &p); err != nil {
			return nil, err
		}
		if t.bucket(data).Get(personDayKey(to, d)) != nil {
			if !hold {
				return nil, nil
			}
			held = p
		} else {
			p.Person = to
			if err := t.PutPrompt(p); err != nil {
				return nil, err
			}
		}
	} else {
		var c bot.CheckIn
		if err := t.get2(data, personDayKey(from, d), &c); err != nil {
			return nil, err
		}
		if t.bucket(data).Get(personDayKey(to, d)) != nil {
			if !hold {
				return nil, nil
			}
			// Both answered that day: to's check-in takes from's answers
			// about other tasks, and from's is held for a split.
			held = c
			if err := t.combineCheckIn(c, to); err != nil {
				return nil, err
			}
		} else {
			c.Person = to
			if err := t.PutCheckIn(c); err != nil {
				return nil, err
			}
		}
	}
	if err := t.del(data, personDayKey(from, d)); err != nil {
		return nil, err
	}
	return held, t.del(byDay, dayPersonKey(d, from))
}

// combineCheckIn adds to to's check-in of c's day c's answers about the
// tasks to's does not answer for.
func (t *tx) combineCheckIn(c bot.CheckIn, to bot.PersonID) error {
	mine, err := t.CheckIn(to, c.Day)
	if err != nil {
		return err
	}
	for _, a := range c.Answers {
		if !slices.ContainsFunc(mine.Answers, func(x bot.CheckInAnswer) bool { return x.Task == a.Task }) {
			mine.Answers = append(mine.Answers, a)
		}
	}
	return t.PutCheckIn(mine)
}

// uncombineCheckIn takes out of from's check-in of c's day the answers
// that combineCheckIn added from c.
func (t *tx) uncombineCheckIn(c bot.CheckIn, from bot.PersonID) error {
	mine, err := t.CheckIn(from, c.Day)
	if err != nil {
		return nil // none left to take from
	}
	n := len(mine.Answers)
	mine.Answers = slices.DeleteFunc(mine.Answers, func(x bot.CheckInAnswer) bool {
		return slices.Contains(c.Answers, x)
	})
	if len(mine.Answers) == n {
		return nil
	}
	return t.PutCheckIn(mine)
}

// moveReviews moves from's weekly reviews to to; a week of a project that
// to reviewed too keeps to's, and holds from's in the merge record.
func (t *tx) moveReviews(m *bot.Merge, from, to bot.PersonID) error {
	suffix := append([]byte{0}, from...)
	var found []bot.Review
	err := t.bucket(bucketReviews).ForEach(func(k, v []byte) error {
		if !bytes.HasSuffix(k, suffix) {
			return nil
		}
		var r bot.Review
		if err := decodeValue(v, &r); err != nil {
			return fmt.Errorf("store: decode %s %x: %w", bucketReviews, k, err)
		}
		found = append(found, r)
		return nil
	})
	if err != nil {
		return err
	}
	for _, r := range found {
		if err := t.del(bucketReviews, append(reviewPrefix(r.Project, r.Week), from...)); err != nil {
			return err
		}
		if _, err := t.Review(r.Project, r.Week, to); err == nil {
			m.HeldReviews = append(m.HeldReviews, r)
			continue
		}
		r.Person = to
		if err := t.PutReview(r); err != nil {
			return err
		}
		m.Moved = append(m.Moved, bot.MergeRef{Kind: bot.RefReview, ID: r.Project, Key: r.Week})
	}
	return nil
}

// moveReviewBack moves one review back.
func (t *tx) moveReviewBack(ref bot.MergeRef, from, to bot.PersonID) error {
	r, err := t.Review(ref.ID, ref.Key, from)
	if err != nil {
		return nil // gone, or never moved
	}
	if _, err := t.Review(ref.ID, ref.Key, to); err == nil {
		return nil
	}
	if err := t.del(bucketReviews, append(reviewPrefix(r.Project, r.Week), from...)); err != nil {
		return err
	}
	r.Person = to
	return t.PutReview(r)
}

// moveManagers re-points the people whose manager from was.
func (t *tx) moveManagers(m *bot.Merge, from, to bot.PersonID) error {
	people, err := t.People()
	if err != nil {
		return err
	}
	for _, p := range people {
		if p.Manager != from || p.ID == to {
			continue
		}
		p.Manager = to
		if err := t.putPersonRaw(p); err != nil {
			return err
		}
		m.Moved = append(m.Moved, bot.MergeRef{Kind: bot.RefManager, Key: string(p.ID)})
	}
	return nil
}

// moveMeta re-keys the meta keys that name from as a segment (the flows'
// missed_seen/<person>), unless to has the same key already.
func (t *tx) moveMeta(m *bot.Merge, from, to bot.PersonID) error {
	type kv struct{ k, v []byte }
	var found []kv
	err := t.bucket(bucketMeta).ForEach(func(k, v []byte) error {
		if bytes.Contains(k, []byte(from)) {
			found = append(found, kv{bytes.Clone(k), bytes.Clone(v)})
		}
		return nil
	})
	if err != nil {
		return err
	}
	for _, e := range found {
		if moved, err := t.rekeyMeta(string(e.k), e.v, from, to); err != nil {
			return err
		} else if moved {
			m.Moved = append(m.Moved, bot.MergeRef{Kind: bot.RefMeta, Key: string(e.k)})
		}
	}
	return nil
}

// rekeyMeta moves a meta value from key to the key that names to instead of
// from, unless that one is taken, and reports whether it did.
func (t *tx) rekeyMeta(key string, value []byte, from, to bot.PersonID) (bool, error) {
	newKey, ok := swapKeySegment(key, from, to)
	if !ok || reservedMetaKey(key) || has(t.bucket(bucketMeta), []byte(newKey)) {
		return false, nil
	}
	if err := t.putRaw(bucketMeta, []byte(newKey), value); err != nil {
		return false, err
	}
	return true, t.del(bucketMeta, []byte(key))
}

// moveBack moves what merge m moved, and still names from, to to, and puts
// the held records back: SplitPerson's part.
func (t *tx) moveBack(m bot.Merge, from, to bot.PersonID) error {
	for _, ref := range m.Moved {
		if err := t.moveRefBack(ref, from, to); err != nil {
			return fmt.Errorf("store: split %s %d %s: %w", ref.Kind, ref.ID, ref.Key, err)
		}
	}
	for _, c := range m.HeldCheckIns {
		if err := t.uncombineCheckIn(c, from); err != nil {
			return err
		}
		if _, err := t.CheckIn(to, c.Day); err == nil {
			continue
		}
		c.Person = to
		if err := t.PutCheckIn(c); err != nil {
			return err
		}
	}
	for _, p := range m.HeldPrompts {
		if _, err := t.Prompt(to, p.Day); err == nil {
			continue
		}
		p.Person = to
		if err := t.PutPrompt(p); err != nil {
			return err
		}
	}
	for _, r := range m.HeldReviews {
		if _, err := t.Review(r.Project, r.Week, to); err == nil {
			continue
		}
		r.Person = to
		if err := t.PutReview(r); err != nil {
			return err
		}
	}
	return nil
}

// moveRefBack moves one record of a merge back.
func (t *tx) moveRefBack(ref bot.MergeRef, from, to bot.PersonID) error {
	switch ref.Kind {
	case bot.RefTask:
		return moveIDBack(t, t.taskKind(), ref, from, to)
	case bot.RefEscalation:
		err := moveIDBack(t, t.escalationKind(), ref, from, to)
		if bot.ErrorCode(err) == bot.ECONFLICT {
			return nil // to has an open one of the rule again; this one stays
		}
		return err
	case bot.RefRisk:
		return moveIDBack(t, t.riskKind(), ref, from, to)
	case bot.RefChange:
		return moveIDBack(t, t.changeKind(), ref, from, to)
	case bot.RefCard:
		if ref.Field == "key" {
			return t.cardKeyBack(ref, from, to)
		}
		return moveIDBack(t, t.cardKind(), ref, from, to)
	case bot.RefProject:
		return t.projectBack(ref, from, to)
	case bot.RefCheckIn, bot.RefPrompt:
		d, err := bot.ParseISODate(ref.Key)
		if err != nil {
			return err
		}
		_, err = t.moveDay(ref.Kind, d, from, to, false)
		return err
	case bot.RefReview:
		return t.moveReviewBack(ref, from, to)
	case bot.RefManager:
		var p bot.Person
		if ok, err := t.get(bucketPeople, []byte(ref.Key), &p); err != nil || !ok || p.Manager != from {
			return err
		}
		p.Manager = to
		return t.putPersonRaw(p)
	case bot.RefMeta:
		// ref.Key is the key as it named the joined person, to.
		moved, _ := swapKeySegment(ref.Key, to, from)
		v, ok := lookup(t.bucket(bucketMeta), []byte(moved))
		if !ok || has(t.bucket(bucketMeta), []byte(ref.Key)) {
			return nil
		}
		if err := t.putRaw(bucketMeta, []byte(ref.Key), bytes.Clone(v)); err != nil {
			return err
		}
		return t.del(bucketMeta, []byte(moved))
	}
	return nil
}

// cardKeyBack gives a re-keyed card its key under to again, when its key
// still names from.
func (t *tx) cardKeyBack(ref bot.MergeRef, from, to bot.PersonID) error {
	var c bot.CardRecord
	if ok, err := t.get(bucketCards, itob(ref.ID), &c); err != nil || !ok {
		return err
	}
	key, ok := swapKeySegment(c.Key, from, to)
	if !ok {
		return nil
	}
	c.Key = key
	return t.PutCard(c)
}
