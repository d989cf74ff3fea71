package store_test

import (
	"context"
	"testing"

	"github.com/loopbot/loopbot/bot"
	"github.com/loopbot/loopbot/store/storetest"
)

// BenchmarkRawCommit is the baseline: one bbolt commit of one 200-byte value
// into a fresh file, under the store's bbolt options. Its ns/op is mostly
// the fsync of the commit.
func BenchmarkRawCommit(b *testing.B) {
	storetest.RawCommitBaseline(b)
}

// BenchmarkPutTask is what creating a task costs: one Update that takes a
// new id, stores the task with its assignee and project index entries,
// appends an audit event and queues the assignment message.
func BenchmarkPutTask(b *testing.B) {
	db := storetest.Open(b)
	ctx := context.Background()
	people := []bot.PersonID{"feishu:ou_a", "feishu:ou_b", "feishu:ou_c"}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		i++
		err := db.Update(ctx, func(tx bot.Tx) error {
			id, err := tx.NextTaskID()
			if err != nil {
				return err
			}
			task := bot.Task{
				ID: id, Project: uint64(i%5 + 1), Title: "Write the launch checklist",
				Assignee: people[i%len(people)], Assigner: "feishu:ou_boss",
				Due: bot.NewDate(2026, 3, 20), Priority: bot.PrioNormal, Status: bot.StatusAssigned,
			}
			if err := tx.PutTask(task); err != nil {
				return err
			}
			err = tx.AppendAudit(bot.AuditEvent{Kind: "task_created", Actor: task.Assigner, Project: task.Project, Task: id})
			if err != nil {
				return err
			}
			_, err = tx.Enqueue(bot.OutboxItem{Op: bot.OpSend, Target: bot.DM(task.Assignee), CardID: id})
			return err
		})
		if err != nil {
			b.Fatal(err)
		}
	}
}
