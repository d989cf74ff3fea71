package store

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/loopbot/loopbot/bot"
)

// TestEachCheckInLongRead reads thousands of check-ins in one long read
// transaction (bot.LongRead), which gives the memory map's pages back to
// the kernel every few dozen lookups, while a writer keeps adding check-ins: the read sees
// exactly the snapshot it began with, every record intact, and a second
// read sees the writer's too.
func TestEachCheckInLongRead(t *testing.T) {
	db := MustOpen(t)
	const people, days = 200, 20
	for d := range days {
		update(t, db, func(tx bot.Tx) error {
			for i := range people {
				c := bot.CheckIn{Person: bot.PersonID(fmt.Sprintf("playground:p%03d", i)), Day: mon.AddDays(d), SubmittedAt: t0,
					Answers: []bot.CheckInAnswer{{Task: uint64(i + 1), Progress: d, Status: bot.OnTrack, Note: fmt.Sprintf("day %d person %d", d, i)}}}
				if err := tx.PutCheckIn(c); err != nil {
					return err
				}
			}
			return nil
		})
	}
	var wg sync.WaitGroup
	wg.Add(1)
	start := make(chan struct{})
	go func() {
		defer wg.Done()
		<-start
		for d := range 5 {
			err := db.Update(context.Background(), func(tx bot.Tx) error {
				return tx.PutCheckIn(bot.CheckIn{Person: "playground:late", Day: mon.AddDays(d), SubmittedAt: t0})
			})
			if err != nil {
				t.Error(err)
			}
		}
	}()
	n := 0
	err := db.View(bot.LongRead(context.Background()), func(tx bot.Tx) error {
		close(start)
		return tx.EachCheckIn(mon, mon.AddDays(days), func(c bot.CheckIn) error {
			d := mon.DaysUntil(c.Day)
			var i int
			fmt.Sscanf(string(c.Person), "playground:p%03d", &i)
			if len(c.Answers) != 1 || c.Answers[0].Note != fmt.Sprintf("day %d person %d", d, i) || c.Answers[0].Progress != d {
				t.Fatalf("check-in %d: %+v", n, c)
			}
			n++
			return nil
		})
	})
	wg.Wait()
	if err != nil || n != people*days {
		t.Fatalf("read %d check-ins, %v; want %d", n, err, people*days)
	}
	view(t, db, func(tx bot.Tx) error {
		m := 0
		err := tx.EachCheckIn(mon, mon.AddDays(days), func(bot.CheckIn) error { m++; return nil })
		if m != people*days+5 {
			t.Errorf("after the writer: %d check-ins, want %d", m, people*days+5)
		}
		return err
	})
}
