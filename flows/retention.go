package flows

import (
	"strconv"
	"strings"
	"time"

	"github.com/loopbot/loopbot/bot"
)

// PruneMarks removes up to limit of the flows' own meta records that are no
// longer needed: the marks of daily digests sent before the given time
// (digest/<project>/<day>), and links from an escalation to a card
// (esc_card/<escalation>/<card>) whose card record is gone. It is the Marks
// of bot.PruneHooks. A pruned card's links go with it (CardPruned), so the
// walk over the links is only a safety net for links left by a store that
// pruned without it: a call looks at 8 × limit of them, from where the
// previous call stopped, and goes round them over many calls. It reports
// more while digest marks are due, never for the links, so that a pruning
// run's work follows what is due, not how many links are kept.
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
			pos = links[len(links)-1]
		}
		for i, key := range links {
			if len(victims) == limit { // i > 0: the link before was one
				pos = links[i-1]
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

// CardPruned removes the links from escalations to card rec (escCardKey)
// as retention removes the card, and reports how many: the CardGone of
// bot.PruneHooks. A group warning names its escalations in its
// "escalations" ref, a blue or yellow card in its key (esc/E<id>).
func (s *Service) CardPruned(tx bot.Tx, rec bot.CardRecord) (int, error) {
	var ids []string
	if rec.Card.Kind == bot.CardGroupWarning {
		ids = strings.Split(rec.Card.Refs["escalations"], ",")
	} else if code, ok := strings.CutPrefix(rec.Key, "esc/E"); ok {
		ids = []string{code}
	}
	n := 0
	for _, id := range ids {
		if _, err := strconv.ParseUint(id, 10, 64); err != nil {
			continue
		}
		if err := tx.DeleteMeta(escCardPrefix + id + "/" + strconv.FormatUint(rec.ID, 10)); err != nil {
			return n, err
		}
		n++
	}
	return n, nil
}
