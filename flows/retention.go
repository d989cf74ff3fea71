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
// "other" of bot.Prune. The links are many (one a card that shows an
// escalation, kept as long as the card): a call looks at 8 × limit of them
// at most, from where the previous call stopped, and reports more until it
// has been round them all.
func (s *Service) PruneMarks(tx bot.Tx, before time.Time, limit int) (int, bool, error) {
	if limit <= 0 {
		return 0, false, nil
	}
	s.markMu.Lock()
	defer s.markMu.Unlock()
	cut := bot.DateOf(before.In(s.cfg.Location))
	var victims []string
	marks, err := tx.MetaPrefix("digest/")
	if err != nil {
		return 0, false, err
	}
	for key := range marks {
		if d, ok := bot.MetaDay(key); ok && d.Before(cut) && len(victims) < limit {
			victims = append(victims, key)
		}
	}
	more := len(victims) == limit
	pos := s.markPos // where the next call starts
	if !more {
		links, err := tx.MetaKeysAfter(escCardPrefix, s.markPos, 8*limit)
		if err != nil {
			return 0, false, err
		}
		pos = "" // round them all, unless cut short
		if len(links) == 8*limit {
			pos, more = links[len(links)-1], true
		}
		for i, key := range links {
			if len(victims) == limit { // i > 0: the link before was one
				pos, more = links[i-1], true
				break
			}
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
	}
	for _, key := range victims {
		if err := tx.DeleteMeta(key); err != nil {
			return 0, false, err
		}
	}
	s.markPos = pos
	return len(victims), more, nil
}
