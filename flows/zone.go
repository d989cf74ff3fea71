package flows

import (
	"context"
	"time"

	"github.com/loopbot/loopbot/bot"
)

// Zone returns the time zone the bot reads a person's days and times in:
// their own (/settings timezone, or the config's), else the calendar's. The
// empty id, or a person the bot does not know yet, gets the calendar's. A
// page that shows the time for a person (the playground's clock) uses it
// so that it and the bot agree on the day.
func (s *Service) Zone(ctx context.Context, id bot.PersonID) *time.Location {
	if id == "" {
		return s.cfg.Location
	}
	var p bot.Person
	err := s.cfg.Store.View(ctx, func(tx bot.Tx) error {
		var err error
		p, err = tx.Person(id)
		return err
	})
	if err != nil {
		return s.cfg.Location
	}
	return s.loc(p)
}
