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
			{"from t0 to +2h, end excluded", func() ([]bot.AuditEvent, error) { return tx.Audit(t0, t0.Add(2*time.Hour)) }, []uint64{2, 3}},
			{"everything", func() ([]bot.AuditEvent, error) { return tx.Audit(time.Time{}, t0.AddDate(1, 0, 0)) }, []uint64{1, 2, 3, 4}},
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
