package main

import (
	"context"
	"strings"
	"testing"

	"github.com/loopbot/loopbot/bot"
)

// withAdmins returns testConfig with server.admins set to the given list.
func withAdmins(list string) string {
	return strings.Replace(testConfig, "[server]\n", "[server]\nadmins = "+list+"\n", 1)
}

// role returns the role that the store holds for a person.
func (ta *testApp) role(id bot.PersonID) bot.Role {
	ta.tb.Helper()
	var p bot.Person
	err := ta.app.store.View(context.Background(), func(tx bot.Tx) error {
		var err error
		p, err = tx.Person(id)
		return err
	})
	if err != nil {
		ta.tb.Fatalf("person %s: %v", id, err)
	}
	return p.Role
}

// TestAdminsFromConfig adds a person who already exists as a member to
// server.admins and restarts: the start makes them an admin, without their
// having to be new. Taking them off the list later leaves the role the store
// has, and a listed person the store does not know yet is created an admin.
func TestAdminsFromConfig(t *testing.T) {
	first := startApp(t, testConfig, "")
	if got := first.reply("carol", "alpha", "/role @bob manager"); !strings.Contains(got, "只有管理员") {
		t.Fatalf("/role by carol, a member: %q", got)
	}
	if got := first.role("playground:carol"); got != bot.RoleMember {
		t.Fatalf("carol is %q before the restart, want member", got)
	}
	first.stop()

	second := startApp(t, withAdmins(`["playground:carol"]`), first.db)
	if got := second.role("playground:carol"); got != bot.RoleAdmin {
		t.Fatalf("carol is %q after the restart with server.admins, want admin", got)
	}
	if got := second.reply("carol", "alpha", "/role @bob manager"); !strings.Contains(got, "已设为 manager") {
		t.Fatalf("/role by carol, listed in server.admins: %q", got)
	}
	second.stop()

	third := startApp(t, withAdmins(`["wecom:erin"]`), first.db)
	if got := third.role("playground:carol"); got != bot.RoleAdmin {
		t.Errorf("carol is %q after leaving server.admins, want admin (the store's role stays)", got)
	}
	if got := third.role("wecom:erin"); got != bot.RoleAdmin {
		t.Errorf("erin, listed but never seen, is %q, want admin", got)
	}
	if got := third.reply("carol", "alpha", "/role @dave manager"); !strings.Contains(got, "已设为 manager") {
		t.Fatalf("/role by carol after leaving server.admins: %q", got)
	}
}
