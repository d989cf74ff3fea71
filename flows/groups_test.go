package flows_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/loopbot/loopbot/bot"
	"github.com/loopbot/loopbot/flows"
)

// groupRig is a rig with admins on Feishu and DingTalk too, and project
// P1 made in the playground group alpha, then bound in Feishu's oc_first,
// Feishu's oc_alpha (replacing oc_first) and DingTalk's cid_alpha.
func groupRig(t *testing.T, platforms []string) (*rig, []string) {
	t.Helper()
	r := newRig(t, time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC))
	r.platforms = platforms
	r.restart()
	err := r.st.Update(context.Background(), func(tx bot.Tx) error {
		for _, id := range []bot.PersonID{"feishu:ou_alice", "dingtalk:alice01"} {
			if err := tx.PutPerson(bot.Person{ID: id, Name: "Alice", Role: bot.RoleAdmin, CreatedAt: r.clock.Now()}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	var replies []string
	reply := func(ms []queued, chat bot.Target) {
		for _, m := range ms {
			if m.To == chat && m.Text != "" {
				replies = append(replies, m.Text)
			}
		}
	}
	reply(r.do("alice", "alpha", "/project new Alpha"), bot.Group(bot.Playground, "alpha"))
	reply(r.doOn(bot.Feishu, "ou_alice", "oc_first", "/project bind P1"), bot.Group(bot.Feishu, "oc_first"))
	reply(r.doOn(bot.Feishu, "ou_alice", "oc_alpha", "/project bind P1"), bot.Group(bot.Feishu, "oc_alpha"))
	reply(r.doOn(bot.DingTalk, "alice01", "cid_alpha", "/project bind P1"), bot.Group(bot.DingTalk, "cid_alpha"))
	return r, replies
}

// TestGroupPerPlatform: a project binds one group per platform, a bind
// replacing that platform's earlier group (and saying so), and each group
// card goes once to each bound group.
func TestGroupPerPlatform(t *testing.T) {
	r, replies := groupRig(t, nil)
	if len(replies) != 4 {
		t.Fatalf("replies %q", replies)
	}
	wantIn(t, "first Feishu bind", replies[1], "P1", "其他平台上的 1 个群")
	if strings.Contains(replies[1], "取代") {
		t.Errorf("the first Feishu bind says it replaced a group: %q", replies[1])
	}
	wantIn(t, "second Feishu bind", replies[2], "取代了项目此前在飞书上的项目群", "其他平台上的 1 个群")
	wantIn(t, "DingTalk bind", replies[3], "其他平台上的 2 个群")
	if strings.Contains(replies[3], "取代") {
		t.Errorf("binding DingTalk says it replaced a group: %q", replies[3])
	}
	r.view(func(tx bot.Tx) error {
		p, err := tx.Project(1)
		if err != nil {
			return err
		}
		want := []bot.Target{bot.Group(bot.Playground, "alpha"), bot.Group(bot.Feishu, "oc_alpha"), bot.Group(bot.DingTalk, "cid_alpha")}
		if len(p.Groups) != len(want) {
			t.Errorf("groups %v, want %v", p.Groups, want)
		}
		for _, g := range want {
			if got, ok := p.Group(g.Platform); !ok || got != g {
				t.Errorf("group on %s: %v, want %v", g.Platform, got, g)
			}
		}
		// The replaced group is no longer the project's channel.
		if _, err := tx.ProjectByGroup(bot.Group(bot.Feishu, "oc_first")); bot.ErrorCode(err) != bot.ENOTFOUND {
			t.Errorf("oc_first still finds a project: %v", err)
		}
		return nil
	})
	got := summaries(t, r)
	for _, g := range []string{"playground:group:alpha", "feishu:group:oc_alpha", "dingtalk:group:cid_alpha"} {
		if got[g] != 1 {
			t.Errorf("%d summaries to %s, want 1 (all: %v)", got[g], g, got)
		}
	}
	if got["feishu:group:oc_first"] != 0 {
		t.Errorf("the replaced group got the summary: %v", got)
	}
}

// TestGroupOnDisabledPlatform: a group bound on a platform the deployment
// no longer runs gets nothing (rather than dead letters), the others still do.
func TestGroupOnDisabledPlatform(t *testing.T) {
	r, _ := groupRig(t, nil)
	r.platforms = []string{bot.Playground, bot.Feishu}
	r.restart()
	got := summaries(t, r)
	if got["playground:group:alpha"] != 1 || got["feishu:group:oc_alpha"] != 1 || got["dingtalk:group:cid_alpha"] != 0 {
		t.Errorf("summaries %v, want one in alpha and oc_alpha, none to DingTalk", got)
	}
}

// summaries runs the Monday summary of the week and counts the summary
// cards sent to each group chat.
func summaries(t *testing.T, r *rig) map[string]int {
	t.Helper()
	r.drain()
	r.at(2026, 11, 30, 9, 0)
	if err := r.svc.RunSummaries(context.Background(), r.clock.Now()); err != nil {
		t.Fatal(err)
	}
	got := map[string]int{}
	for _, m := range r.drain() {
		if m.Card != nil && !m.To.DM {
			got[m.To.String()]++
		}
	}
	return got
}

// afterRead runs a function once, after the store's n-th read transaction
// from now: a write that commits between a job's read and write ones.
type afterRead struct {
	bot.Store
	n  int
	fn func()
}

func (a *afterRead) View(ctx context.Context, fn func(bot.Tx) error) error {
	err := a.Store.View(ctx, fn)
	if a.n--; a.n == 0 && a.fn != nil {
		a.fn()
	}
	return err
}

// TestSummaryMadeAgainWhenDataChanges: the Monday summary is made in a read
// transaction; when a risk is raised before it is sent, the summary sent
// is made again and lists it.
func TestSummaryMadeAgainWhenDataChanges(t *testing.T) {
	meddle := &afterRead{}
	r := newRigWith(t, time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC), func(c *flows.Config) {
		meddle.Store = c.Store
		c.Store = meddle
	})
	r.do("alice", "alpha", "/project new Alpha")
	r.drain()
	r.at(2026, 11, 30, 9, 0)
	// The job reads the projects, then P1's summary.
	meddle.n = 2
	meddle.fn = func() {
		err := r.st.Update(context.Background(), func(tx bot.Tx) error {
			id, err := tx.NextRiskID()
			if err != nil {
				return err
			}
			now := r.clock.Now()
			return tx.PutRisk(bot.Risk{ID: id, Project: 1, Text: "供应商可能延期交付", Owner: "playground:alice", Impact: bot.ImpactHigh,
				State: bot.RiskOpen, CreatedBy: "playground:alice", CreatedAt: now, ReviewedAt: now})
		})
		if err != nil {
			t.Error(err)
		}
	}
	if err := r.svc.RunSummaries(context.Background(), r.clock.Now()); err != nil {
		t.Fatal(err)
	}
	if meddle.fn == nil || meddle.n > 0 {
		t.Fatalf("the risk was not raised between the reads (%d reads to go)", meddle.n)
	}
	sums := cardsTo(r.drain(), "alice")
	if len(sums) != 1 {
		t.Fatalf("alice got %d summaries, want 1", len(sums))
	}
	wantIn(t, "summary", sums[0].Text, "供应商可能延期交付")
}
