package bot_test

import (
	"testing"

	"github.com/loopbot/loopbot/bot"
)

// TestPersonSeed checks that seeding fills and updates a person's fields
// but leaves the ones they chose with a command, and empty seed fields.
func TestPersonSeed(t *testing.T) {
	p := bot.Person{ID: "playground:dave", Name: "Dave", Manager: "playground:bob", Role: bot.RoleMember}
	p.Timezone, p.CheckinAt, p.Lang = "America/Los_Angeles", "07:15", "en"
	p.Choose(bot.SettingTimezone)
	p.Choose(bot.SettingCheckin)
	p.Choose(bot.SettingTimezone) // twice is once
	if len(p.Chosen) != 2 {
		t.Fatalf("Chosen = %v", p.Chosen)
	}
	changed := p.Seed(bot.Person{Name: "Dave Miller", Timezone: "Asia/Shanghai", CheckinAt: "09:30", Lang: "zh", Role: bot.RoleManager})
	want := bot.Person{ID: "playground:dave", Name: "Dave Miller", Manager: "playground:bob", Role: bot.RoleManager,
		Timezone: "America/Los_Angeles", CheckinAt: "07:15", Lang: "zh"}
	if !changed || p.Name != want.Name || p.Manager != want.Manager || p.Role != want.Role ||
		p.Timezone != want.Timezone || p.CheckinAt != want.CheckinAt || p.Lang != want.Lang {
		t.Errorf("seeded = %+v (changed %v), want %+v", p, changed, want)
	}
	if p.Seed(bot.Person{}) {
		t.Error("an empty seed changed the person")
	}
}
