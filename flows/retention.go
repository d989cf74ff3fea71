package flows

import (
	"strconv"
	"strings"
	"time"

	"github.com/loopbot/loopbot/bot"
)

// PruneMarks removes up to limit of the flows' own meta records that are no
// longer needed: the marks of daily digests sent before the given time
// (digest/<project>/<day>), and the links from an escalation to a card
// (esc_card/<escalation>/<card>) whose card record is gone. It is the
// "other" of bot.Prune.
func (s *Service) PruneMarks(tx bot.Tx, before time.Time, limit int) (int, bool, error) {
	cut := bot.DateOf(before.In(s.cfg.Location))
	var victims []string
	marks, err := tx.MetaPrefix("digest/")
	if err != nil {
		return 0, false, err
	}
	for key := range marks {
		if d, ok := bot.MetaDay(key); ok && d.Before(cut) {
			victims = append(victims, key)
		}
	}
	links, err := tx.MetaPrefix(escCardPrefix)
	if err != nil {
		return 0, false, err
	}
	for key := range links {
		id, err := strconv.ParseUint(key[strings.LastIndexByte(key, '/')+1:], 10, 64)
		if err != nil {
			continue
		}
		if ok, err := tx.HasCard(id); err != nil {
			return 0, false, err
		} else if !ok {
			victims = append(victims, key)
		}
	}
	more := len(victims) > limit
	if more {
		victims = victims[:limit]
	}
	for _, key := range victims {
		if err := tx.DeleteMeta(key); err != nil {
			return 0, false, err
		}
	}
	return len(victims), more, nil
}
