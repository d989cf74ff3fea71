package flows

import (
	"context"
	"strconv"
	"time"

	"github.com/loopbot/loopbot/bot"
	"github.com/loopbot/loopbot/cards"
)

// noDataWarnedKey is the meta key that records that admins were told about
// a year without holiday data, so that they are told once.
func noDataWarnedKey(year int) string { return "calendar/no_data_warned/" + strconv.Itoa(year) }

// holidayDataJob looks for a year without holiday data at the start of
// each working day, in the calendar's zone (WarnMissingHolidayData).
func (s *Service) holidayDataJob() bot.Job {
	return bot.Job{
		Name:  "holiday_data",
		Next:  s.nextDayStart,
		Grace: func(slot time.Time) time.Time { return slot.Add(24 * time.Hour) },
		Run:   func(ctx context.Context, _ time.Time) error { return s.WarnMissingHolidayData(ctx) },
		Sweep: true,
	}
}

// nextDayStart returns the start of the first working day that starts
// after `after`, in the calendar's zone.
func (s *Service) nextDayStart(after time.Time) time.Time {
	loc := s.cfg.Location
	d := bot.DateOf(after.In(loc))
	for range 800 {
		if t := s.cfg.Calendar.DayStart(d, loc); t.After(after) && s.cfg.Calendar.IsWorkday(d) {
			return t
		}
		d = d.AddDays(1)
	}
	return time.Time{}
}

// WarnMissingHolidayData tells every admin, once for each year, that the
// current year has no holiday data, or in December that the next one has
// none (SPEC §5: such a year is the plain working week). It runs at start
// and at the start of each working day; the years told are kept in the
// store. With no admin yet, nobody is told and the next run tries again.
func (s *Service) WarnMissingHolidayData(ctx context.Context) error {
	now := s.cfg.Clock.Now().In(s.cfg.Location)
	var years []int
	if !s.cfg.Calendar.HasData(now.Year()) {
		years = append(years, now.Year())
	}
	if now.Month() == time.December && !s.cfg.Calendar.HasData(now.Year()+1) {
		years = append(years, now.Year()+1)
	}
	if len(years) == 0 {
		return nil
	}
	return s.update(ctx, func(tx bot.Tx) error {
		for _, y := range years {
			if err := s.warnNoData(tx, y, now); err != nil {
				return err
			}
		}
		return nil
	})
}

// warnNoData sends the notice about year to every admin, unless they were
// told already.
func (s *Service) warnNoData(tx bot.Tx, year int, now time.Time) error {
	key := noDataWarnedKey(year)
	if _, err := tx.Meta(key); err == nil || bot.ErrorCode(err) != bot.ENOTFOUND {
		return err
	}
	people, err := tx.People()
	if err != nil {
		return err
	}
	told := 0
	for _, p := range people {
		if !p.IsAdmin() {
			continue
		}
		c := cards.NoHolidayData(s.lang(p), year, s.cfg.Calendar.Workdays())
		if _, err := s.sendDM(tx, p.ID, key, c); err != nil {
			return err
		}
		told++
	}
	if told == 0 {
		return nil
	}
	s.logger.Warn("no holiday data for a year; admins told", "year", year, "admins", told)
	stamp, _ := now.MarshalText()
	return tx.PutMeta(key, stamp)
}
