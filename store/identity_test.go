package store

import (
	"slices"
	"testing"
	"time"

	"github.com/loopbot/loopbot/bot"
)

func TestResolvePersonAndIdentityIndex(t *testing.T) {
	db := MustOpen(t)
	t0 := time.Date(2026, 9, 21, 9, 0, 0, 0, time.UTC)
	update(t, db, func(tx bot.Tx) error {
		if err := tx.PutPerson(bot.Person{ID: "feishu:ou_a", Name: "Ann", CreatedAt: t0, Identities: []bot.PersonID{"dingtalk:ann"}}); err != nil {
			return err
		}
		if err := tx.PutPerson(bot.Person{ID: "wecom:bob", Name: "Bob", CreatedAt: t0}); err != nil {
			return err
		}
		// One identity per platform, never the id itself, never someone else's.
		wantCode(t, tx.PutPerson(bot.Person{ID: "wecom:bob", Identities: []bot.PersonID{"wecom:bob2"}}), bot.EINVALID)
		wantCode(t, tx.PutPerson(bot.Person{ID: "wecom:bob", Identities: []bot.PersonID{"dingtalk:ann"}}), bot.ECONFLICT)
		wantCode(t, tx.PutPerson(bot.Person{ID: "wecom:bob", Identities: []bot.PersonID{"feishu:ou_a"}}), bot.ECONFLICT)
		wantCode(t, tx.PutPerson(bot.Person{ID: "dingtalk:ann"}), bot.ECONFLICT)
		return nil
	})
	view(t, db, func(tx bot.Tx) error {
		for in, want := range map[bot.PersonID]bot.PersonID{"dingtalk:ann": "feishu:ou_a", "feishu:ou_a": "feishu:ou_a", "wecom:bob": "wecom:bob", "wecom:nobody": "wecom:nobody"} {
			if got, err := tx.ResolvePerson(in); err != nil || got != want {
				t.Errorf("ResolvePerson(%s) = %s, %v; want %s", in, got, err, want)
			}
		}
		if p, err := tx.Person("dingtalk:ann"); err != nil || p.ID != "feishu:ou_a" {
			t.Errorf("Person(linked identity) = %+v, %v; want Ann's record", p, err)
		}
		return nil
	})
	update(t, db, func(tx bot.Tx) error { // removing an identity unlinks it
		return tx.PutPerson(bot.Person{ID: "feishu:ou_a", Name: "Ann", CreatedAt: t0})
	})
	view(t, db, func(tx bot.Tx) error {
		if got, _ := tx.ResolvePerson("dingtalk:ann"); got != "dingtalk:ann" {
			t.Errorf("after removal ResolvePerson = %s; want itself", got)
		}
		return nil
	})
}

// mergeFixture makes two people with history: Ann (older, feishu) and
// Anna (dingtalk), each with a task, a check-in, a review and settings.
func mergeFixture(t *testing.T, db *DB) (t0 time.Time, mon, tue bot.Date) {
	t0 = time.Date(2026, 9, 21, 9, 0, 0, 0, time.UTC)
	mon, tue = bot.NewDate(2026, 9, 21), bot.NewDate(2026, 9, 22)
	ann, anna := bot.PersonID("feishu:ann"), bot.PersonID("dingtalk:anna")
	update(t, db, func(tx bot.Tx) error {
		must := func(err error) {
			if err != nil {
				t.Fatal(err)
			}
		}
		a := bot.Person{ID: ann, Name: "Ann", Role: bot.RoleMember, Lang: "en", CreatedAt: t0, Leave: []bot.Date{tue}}
		a.Choose(bot.SettingLang)
		b := bot.Person{ID: anna, Name: "Anna", Role: bot.RoleManager, Lang: "zh", CheckinAt: "10:00", CreatedAt: t0.Add(time.Hour), Leave: []bot.Date{mon}}
		b.Choose(bot.SettingLang)
		b.Choose(bot.SettingCheckin)
		must(tx.PutPerson(a))
		must(tx.PutPerson(b))
		must(tx.PutPerson(bot.Person{ID: "dingtalk:dan", Manager: anna, CreatedAt: t0}))
		must(tx.PutProject(bot.Project{ID: 1, Name: "P", Owner: anna, Members: []bot.PersonID{ann, anna}}))
		must(tx.PutTask(bot.Task{ID: 1, Project: 1, Title: "a", Assignee: ann, Assigner: anna, Status: bot.StatusAccepted}))
		must(tx.PutTask(bot.Task{ID: 2, Project: 1, Title: "b", Assignee: anna, Assigner: anna, Status: bot.StatusAccepted}))
		must(tx.PutCheckIn(bot.CheckIn{Person: ann, Day: mon, SubmittedAt: t0}))
		must(tx.PutCheckIn(bot.CheckIn{Person: anna, Day: mon, SubmittedAt: t0, Late: true}))
		must(tx.PutCheckIn(bot.CheckIn{Person: anna, Day: tue, SubmittedAt: t0}))
		must(tx.PutReview(bot.Review{Person: anna, Project: 1, Week: "2026-W39", Done: "b"}))
		must(tx.PutCard(bot.CardRecord{ID: 7, Key: "checkin/dingtalk:anna/2026-09-22", Target: bot.DM(anna), To: anna}))
		// A card long enough to be stored compressed (codec.go).
		big := bigCard(8, "esc/E1")
		big.Target, big.To = bot.DM(anna), anna
		must(tx.PutCard(big))
		must(tx.PutMeta("missed_seen/dingtalk:anna", []byte("x")))
		return nil
	})
	return t0, mon, tue
}

func TestMergeAndSplitPeople(t *testing.T) {
	db := MustOpen(t)
	t0, mon, tue := mergeFixture(t, db)
	ann, anna := bot.PersonID("feishu:ann"), bot.PersonID("dingtalk:anna")
	var m bot.Merge
	update(t, db, func(tx bot.Tx) error {
		var err error
		m, err = tx.MergePeople(ann, anna, ann, t0.Add(2*time.Hour))
		return err
	})
	if m.ID == 0 || !slices.Equal(m.Conflicts, []string{bot.SettingLang}) || !slices.Equal(m.Adopted, []string{bot.SettingCheckin}) {
		t.Errorf("merge = %+v; want lang a conflict (Ann's kept), check-in time adopted", m)
	}
	view(t, db, func(tx bot.Tx) error {
		for _, id := range []uint64{7, 8} {
			if c, err := tx.Card(id); err != nil || c.To != ann {
				t.Errorf("card %d after the merge: to %q, %v; want %s", id, c.To, err, ann)
			}
		}
		return nil
	})
	view(t, db, func(tx bot.Tx) error {
		p, err := tx.Person(anna)
		if err != nil || p.ID != ann || p.Lang != "en" || p.CheckinAt != "10:00" || p.Role != bot.RoleManager ||
			!slices.Equal(p.Identities, []bot.PersonID{anna}) || len(p.Leave) != 2 {
			t.Errorf("merged person = %+v, %v", p, err)
		}
		if tasks, _ := tx.Tasks(bot.TaskFilter{Assignee: ann}); len(tasks) != 2 {
			t.Errorf("Ann's tasks after merge = %d; want both", len(tasks))
		}
		if tasks, _ := tx.Tasks(bot.TaskFilter{Assignee: anna}); len(tasks) != 0 {
			t.Errorf("tasks under the joined id = %d; want none", len(tasks))
		}
		if tk, _ := tx.Task(2); tk.Assigner != ann {
			t.Errorf("T2 assigner = %s; want %s", tk.Assigner, ann)
		}
		if pr, _ := tx.Project(1); pr.Owner != ann || !slices.Equal(pr.Members, []bot.PersonID{ann}) {
			t.Errorf("project after merge = %+v", pr)
		}
		if ci, err := tx.CheckIn(ann, mon); err != nil || ci.Late {
			t.Errorf("Monday = %+v, %v; want Ann's own check-in kept", ci, err)
		}
		if _, err := tx.CheckIn(ann, tue); err != nil {
			t.Errorf("Tuesday's check-in did not move: %v", err)
		}
		if cis, _ := tx.CheckIns("", mon, tue); len(cis) != 2 {
			t.Errorf("check-ins by day = %d; want 2 (the joined Monday one is held)", len(cis))
		}
		if _, err := tx.Review(1, "2026-W39", ann); err != nil {
			t.Errorf("review did not move: %v", err)
		}
		if cards, _ := tx.CardsByKey("checkin/feishu:ann/2026-09-22"); len(cards) != 1 || cards[0].To != ann {
			t.Errorf("card re-keyed = %+v", cards)
		}
		if v, _ := tx.Meta("missed_seen/feishu:ann"); string(v) != "x" {
			t.Errorf("meta not moved")
		}
		if d, _ := tx.Person("dingtalk:dan"); d.Manager != ann {
			t.Errorf("Dan's manager = %s; want %s", d.Manager, ann)
		}
		return nil
	})
	update(t, db, func(tx bot.Tx) error {
		_, err := tx.SplitPerson(ann, ann, t0)
		wantCode(t, err, bot.EINVALID) // the canonical identity is not split off
		_, err = tx.MergePeople(ann, anna, ann, t0)
		wantCode(t, err, bot.ECONFLICT) // already linked
		// A new task for the merged person after the merge stays with Ann.
		return tx.PutTask(bot.Task{ID: 3, Project: 1, Title: "c", Assignee: ann, Assigner: ann, Status: bot.StatusAccepted})
	})
	update(t, db, func(tx bot.Tx) error {
		s, err := tx.SplitPerson(anna, ann, t0.Add(3*time.Hour))
		if err != nil || s.ID != m.ID || s.SplitAt.IsZero() {
			t.Errorf("split = %+v, %v", s, err)
		}
		return err
	})
	view(t, db, func(tx bot.Tx) error {
		a, _ := tx.Person(ann)
		b, err := tx.Person(anna)
		if err != nil || b.ID != anna || b.Name != "Anna" || b.Role != bot.RoleManager || b.CheckinAt != "10:00" || b.Lang != "zh" {
			t.Errorf("split off = %+v, %v; want Anna as she was", b, err)
		}
		if len(a.Identities) != 0 || a.CheckinAt != "" || a.HasChosen(bot.SettingCheckin) || a.Role != bot.RoleMember || !slices.Equal(a.Leave, []bot.Date{tue}) {
			t.Errorf("Ann after split = %+v; want her own settings back", a)
		}
		if tasks, _ := tx.Tasks(bot.TaskFilter{Assignee: anna}); len(tasks) != 1 || tasks[0].ID != 2 || tasks[0].Assigner != anna {
			t.Errorf("Anna's tasks after split = %+v; want T2", tasks)
		}
		if tasks, _ := tx.Tasks(bot.TaskFilter{Assignee: ann}); len(tasks) != 2 {
			t.Errorf("Ann's tasks after split = %+v; want T1 and T3", tasks)
		}
		if tk, _ := tx.Task(1); tk.Assigner != anna {
			t.Errorf("T1 assigner = %s; want %s back", tk.Assigner, anna)
		}
		if pr, _ := tx.Project(1); pr.Owner != anna || !slices.Contains(pr.Members, anna) || !slices.Contains(pr.Members, ann) {
			t.Errorf("project after split = %+v", pr)
		}
		for _, d := range []bot.Date{mon, tue} {
			if _, err := tx.CheckIn(anna, d); err != nil {
				t.Errorf("Anna's check-in of %s not back: %v", d, err)
			}
		}
		if ci, _ := tx.CheckIn(anna, mon); !ci.Late {
			t.Errorf("Anna's Monday = %+v; want her own (late) one", ci)
		}
		if _, err := tx.Review(1, "2026-W39", anna); err != nil {
			t.Errorf("review not back: %v", err)
		}
		if cards, _ := tx.CardsByKey("checkin/dingtalk:anna/2026-09-22"); len(cards) != 1 || cards[0].To != anna {
			t.Errorf("card key back = %+v", cards)
		}
		if d, _ := tx.Person("dingtalk:dan"); d.Manager != anna {
			t.Errorf("Dan's manager = %s; want %s back", d.Manager, anna)
		}
		if got, _ := tx.ResolvePerson(anna); got != anna {
			t.Errorf("ResolvePerson after split = %s", got)
		}
		return nil
	})
}

func TestMergeRefusesTwoIdentitiesOnAPlatform(t *testing.T) {
	db := MustOpen(t)
	update(t, db, func(tx bot.Tx) error {
		for _, id := range []bot.PersonID{"feishu:a", "feishu:b"} {
			if err := tx.PutPerson(bot.Person{ID: id}); err != nil {
				return err
			}
		}
		_, err := tx.MergePeople("feishu:a", "feishu:b", "", time.Time{})
		wantCode(t, err, bot.ECONFLICT)
		_, err = tx.MergePeople("feishu:zz", "dingtalk:b", "", time.Time{})
		wantCode(t, err, bot.ENOTFOUND)
		// An identity nobody knows yet is linked as it is.
		m, err := tx.MergePeople("feishu:a", "dingtalk:new", "", time.Time{})
		if err != nil || len(m.Moved) != 0 {
			t.Errorf("link of a new identity = %+v, %v", m, err)
		}
		return nil
	})
}

func TestLinkCodesKeptHashed(t *testing.T) {
	db := MustOpen(t)
	t0 := time.Date(2026, 9, 21, 9, 0, 0, 0, time.UTC)
	update(t, db, func(tx bot.Tx) error {
		if err := tx.PutLinkCode("ABCD2345", bot.LinkCode{Person: "feishu:a", Identity: "feishu:a", Created: t0, Expires: t0.Add(10 * time.Minute)}); err != nil {
			return err
		}
		if err := tx.UseLinkCode("ABCD2345", "dingtalk:a", t0); err != nil {
			return err
		}
		_, err := tx.LinkCode("ABCD2346")
		wantCode(t, err, bot.ENOTFOUND)
		return nil
	})
	for _, k := range indexKeys(t, db, bucketLinkCodes) {
		if k == "ABCD2345" || len(k) != 64 {
			t.Errorf("link code key %q; want a SHA-256 in hex", k)
		}
	}
	view(t, db, func(tx bot.Tx) error {
		c, err := tx.LinkCode("ABCD2345")
		if err != nil || c.UsedBy != "dingtalk:a" {
			t.Errorf("LinkCode = %+v, %v", c, err)
		}
		return nil
	})
}

func TestSplitAfterTwoMerges(t *testing.T) {
	db := MustOpen(t)
	t0 := time.Date(2026, 9, 21, 9, 0, 0, 0, time.UTC)
	c, a, b := bot.PersonID("wecom:c"), bot.PersonID("feishu:a"), bot.PersonID("dingtalk:b")
	update(t, db, func(tx bot.Tx) error {
		for i, id := range []bot.PersonID{c, a, b} {
			if err := tx.PutPerson(bot.Person{ID: id, CreatedAt: t0.Add(time.Duration(i) * time.Hour)}); err != nil {
				return err
			}
		}
		if err := tx.PutTask(bot.Task{ID: 1, Title: "b's", Assignee: b, Assigner: b, Status: bot.StatusAccepted}); err != nil {
			return err
		}
		if _, err := tx.MergePeople(a, b, a, t0); err != nil { // B into A
			return err
		}
		_, err := tx.MergePeople(c, a, c, t0) // then A (with B) into C
		return err
	})
	view(t, db, func(tx bot.Tx) error {
		p, _ := tx.Person(b)
		if p.ID != c || len(p.Identities) != 2 {
			t.Errorf("after two merges = %+v; want C with A and B", p)
		}
		if tk, _ := tx.Task(1); tk.Assignee != c {
			t.Errorf("T1 assignee = %s; want %s", tk.Assignee, c)
		}
		return nil
	})
	update(t, db, func(tx bot.Tx) error {
		_, err := tx.SplitPerson(b, c, t0)
		return err
	})
	view(t, db, func(tx bot.Tx) error {
		if tk, _ := tx.Task(1); tk.Assignee != b || tk.Assigner != b {
			t.Errorf("T1 after splitting B = %+v; want B's again", tk)
		}
		if p, _ := tx.Person(a); p.ID != c || !slices.Equal(p.Identities, []bot.PersonID{a}) {
			t.Errorf("C after the split = %+v; want A still linked", p)
		}
		return nil
	})
}
