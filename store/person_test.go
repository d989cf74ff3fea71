package store

import (
	"testing"

	"github.com/loopbot/loopbot/bot"
)

func TestPeople(t *testing.T) {
	db := MustOpen(t)
	view(t, db, func(tx bot.Tx) error {
		_, err := tx.Person("feishu:ou_1")
		wantCode(t, err, bot.ENOTFOUND)
		return nil
	})
	update(t, db, func(tx bot.Tx) error {
		wantCode(t, tx.PutPerson(bot.Person{Name: "nobody"}), bot.EINVALID)
		for _, p := range []bot.Person{
			{ID: "wecom:zhang", Name: "张三"},
			{ID: "feishu:ou_1", Name: "Ann", Role: bot.RoleManager},
			{ID: "feishu:ou_1", Name: "Ann Lee", Role: bot.RoleManager},
		} {
			if err := tx.PutPerson(p); err != nil {
				return err
			}
		}
		return nil
	})
	view(t, db, func(tx bot.Tx) error {
		p, err := tx.Person("feishu:ou_1")
		if err != nil || p.Name != "Ann Lee" || !p.IsManager() {
			t.Errorf("Person: %+v, %v; want the second put", p, err)
		}
		people, _ := tx.People()
		if len(people) != 2 || people[0].ID != "feishu:ou_1" || people[1].ID != "wecom:zhang" {
			t.Errorf("People: %+v; want Ann then 张三, by id", people)
		}
		return nil
	})
}
