package store

import (
	"slices"
	"testing"
	"time"

	"github.com/loopbot/loopbot/bot"
)

func TestAudit(t *testing.T) {
	db := MustOpen(t)
	update(t, db, func(tx bot.Tx) error {
		for _, e := range []bot.AuditEvent{
			{ID: 99, Kind: "created", Task: 1, Time: t0.Add(-time.Hour)},
			{Kind: "created", Task: 2}, // no time: the store's clock, t0
			{Kind: "progress", Task: 1, Field: "progress", Old: "0", New: "50", Time: t0.Add(time.Hour)},
			{Kind: "project_created", Project: 1, Time: t0.Add(2 * time.Hour)},
			{Kind: "progress", Project: 1, Task: 5, Time: t0.Add(-2 * time.Hour)}, // out of id order
			{Kind: "progress", Project: 2, Task: 6, Time: t0.Add(time.Hour)},
			{Kind: "progress", Project: 1, Task: 5, Time: t0.Add(time.Hour)},
		} {
			if err := tx.AppendAudit(e); err != nil {
				return err
			}
		}
		return nil
	})
	view(t, db, func(tx bot.Tx) error {
		cases := []struct {
			name string
			get  func() ([]bot.AuditEvent, error)
			want []uint64
		}{
			{"history of T1", func() ([]bot.AuditEvent, error) { return tx.TaskHistory(1) }, []uint64{1, 3}},
			{"history of T2", func() ([]bot.AuditEvent, error) { return tx.TaskHistory(2) }, []uint64{2}},
			{"history of T9", func() ([]bot.AuditEvent, error) { return tx.TaskHistory(9) }, nil},
			{"from t0 to +2h, end excluded", func() ([]bot.AuditEvent, error) { return tx.Audit(t0, t0.Add(2*time.Hour)) }, []uint64{2, 3, 6, 7}},
			{"everything", func() ([]bot.AuditEvent, error) { return tx.Audit(time.Time{}, t0.AddDate(1, 0, 0)) }, []uint64{1, 2, 3, 4, 5, 6, 7}},
			{"P1, in time order", func() ([]bot.AuditEvent, error) { return tx.ProjectAudit(1, time.Time{}, t0.AddDate(1, 0, 0)) }, []uint64{5, 7, 4}},
			{"P1 from -1h to +2h, end excluded", func() ([]bot.AuditEvent, error) { return tx.ProjectAudit(1, t0.Add(-time.Hour), t0.Add(2*time.Hour)) }, []uint64{7}},
			{"P2", func() ([]bot.AuditEvent, error) { return tx.ProjectAudit(2, t0, t0.Add(2*time.Hour)) }, []uint64{6}},
			{"P3", func() ([]bot.AuditEvent, error) { return tx.ProjectAudit(3, time.Time{}, t0.AddDate(1, 0, 0)) }, nil},
			{"empty range", func() ([]bot.AuditEvent, error) { return tx.Audit(t0, t0) }, nil},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				events, err := c.get()
				var got []uint64
				for _, e := range events {
					got = append(got, e.ID)
				}
				if err != nil || !slices.Equal(got, c.want) {
					t.Errorf("got %v, %v; want %v", got, err, c.want)
				}
			})
		}
		history, _ := tx.TaskHistory(1)
		if len(history) == 2 && (history[1].New != "50" || !history[0].Time.Equal(t0.Add(-time.Hour))) {
			t.Errorf("history of T1 lost fields: %+v", history)
		}
		second, _ := tx.TaskHistory(2)
		if len(second) == 1 && !second[0].Time.Equal(t0) {
			t.Errorf("event with no time got %v, want the store's clock %v", second[0].Time, t0)
		}
		return nil
	})
}
