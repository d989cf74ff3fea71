package flows

import (
	"cmp"
	"context"
	"encoding/json"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/loopbot/loopbot/bot"
)

// The directory: names, emails, mobiles, departments and direct managers
// from each platform's contact API (bot.Directory), kept on the people in
// the store. A scheduled job finds who is due (met and never looked up, or
// looked up a day ago or more), calls the APIs outside any transaction, and
// writes what it learnt in short transactions with bot.Person.Seed, so that
// what people chose with commands wins. The manager becomes Person.Manager,
// whom escalations go to when the task's assigner is its assignee
// (managerOf, SPEC §1).
//
// A refused permission, or a platform that is down, changes nothing else:
// the refusal is logged once a day per platform (at warn, naming the
// permission), and the platform is left alone until the next day.

// Meta keys of the directory.
const (
	// metaDirPerson + person id holds the last lookup of an identity:
	// {"at": time, "outcome": "ok"|"forbidden"|"not_found"}.
	metaDirPerson = "directory/person/"
	// metaDirPlatform + platform holds {"off_until": time, "warned_at":
	// time, "reason": …}: when the platform is tried again after refusing,
	// and when its refusal was last logged.
	metaDirPlatform = "directory/platform/"
)

const (
	// DirectoryRefresh is how often a person is looked up again.
	DirectoryRefresh = 24 * time.Hour
	// dirPerRun caps the lookups of one run, so that a run stays short and
	// a large deployment is paced over the day.
	dirPerRun = 50
	// dirBatch is how many results one write transaction applies.
	dirBatch = 20
	// dirRefusals is how many refusals in a row, with no success between,
	// turn a platform's directory off until the next day.
	dirRefusals = 3
	// dirDownPause is how long a platform that failed (network, 5xx) is
	// left alone before it is tried again.
	dirDownPause = time.Hour
	// dirRescan is the longest the job goes without looking for people it
	// has not met through ensurePerson (linked identities, imports).
	dirRescan = time.Hour
	// dirLookupTimeout bounds one lookup.
	dirLookupTimeout = 15 * time.Second
)

// Outcomes of a lookup, as metrics and the person's record name them.
const (
	DirOK        = "ok"
	DirForbidden = "forbidden"
	DirNotFound  = "not_found"
	DirError     = "error"
)

// dirPersonState is the record of an identity's last lookup.
type dirPersonState struct {
	At      time.Time `json:"at"`
	Outcome string    `json:"outcome"`
}

// dirPlatformState is the record of a platform's refusals.
type dirPlatformState struct {
	OffUntil time.Time `json:"off_until,omitzero"`
	WarnedAt time.Time `json:"warned_at,omitzero"`
	Reason   string    `json:"reason,omitempty"`
}

// dirState is the directory's memory of this run of the process.
type dirState struct {
	sync.Mutex
	// met is set when someone new is met, so that the next run looks
	// for them at once.
	met bool
	// next is when the next lookup falls due, as far as the last scan
	// knows.
	next time.Time
	// refusals counts each platform's refusals in a row.
	refusals map[string]int
	// downUntil is when a failing platform is tried again.
	downUntil map[string]time.Time
}

// dirItem is one identity due for a lookup, and the person it belongs to.
type dirItem struct {
	person bot.PersonID // the canonical id
	id     bot.PersonID // the identity to look up
	never  bool
	at     time.Time
}

// dirResult is what one lookup found.
type dirResult struct {
	dirItem
	entry   bot.DirectoryEntry
	outcome string
}

func (s *Service) directoryJob() bot.Job {
	every := s.cfg.Schedule.CheckEvery
	return bot.Job{
		Name:  "directory",
		Next:  func(after time.Time) time.Time { return after.Truncate(every).Add(every) },
		Grace: func(slot time.Time) time.Time { return slot.Add(every) },
		Run:   func(ctx context.Context, _ time.Time) error { return s.RunDirectory(ctx) },
		Sweep: true,
	}
}

// metPerson tells the directory that someone new was met.
func (s *Service) metPerson() {
	s.dir.Lock()
	s.dir.met = true
	s.dir.Unlock()
}

// RunDirectory looks up the people who are due in the platforms' contact
// APIs and applies what it learns. It calls the APIs outside any
// transaction. Refusals and failures are not errors: they are logged (once
// a day per platform) and the platform is left alone for a while; only a
// store failure is returned.
func (s *Service) RunDirectory(ctx context.Context) error {
	if len(s.cfg.Directories) == 0 {
		return nil
	}
	now := s.cfg.Clock.Now()
	if !s.dirScanDue(now) {
		return nil
	}
	due, platforms, err := s.directoryDue(ctx, now)
	if err != nil {
		return err
	}
	var batch []dirResult
	for _, it := range due {
		if ctx.Err() != nil {
			break
		}
		platform := it.id.Platform()
		if s.dirBlocked(platform, platforms, now) {
			continue
		}
		r, ok := s.lookUp(ctx, it, platforms, now)
		if !ok {
			continue
		}
		if batch = append(batch, r); len(batch) >= dirBatch {
			if err := s.applyDirectory(ctx, batch, now); err != nil {
				return err
			}
			batch = nil
		}
	}
	if err := s.applyDirectory(ctx, batch, now); err != nil {
		return err
	}
	return s.savePlatforms(ctx, platforms)
}

// dirScanDue reports whether a run should look for due people: someone new
// was met, a lookup falls due, or an hour passed since the last scan.
func (s *Service) dirScanDue(now time.Time) bool {
	s.dir.Lock()
	defer s.dir.Unlock()
	if !s.dir.met && !s.dir.next.IsZero() && now.Before(s.dir.next) {
		return false
	}
	s.dir.met = false
	s.dir.next = now.Add(dirRescan)
	return true
}

// directoryDue reads who is due, oldest lookup first (never first of all),
// at most dirPerRun, and the platforms' records.
func (s *Service) directoryDue(ctx context.Context, now time.Time) ([]dirItem, map[string]*dirPlatformState, error) {
	var due []dirItem
	platforms := map[string]*dirPlatformState{}
	next := now.Add(dirRescan)
	err := s.cfg.Store.View(ctx, func(tx bot.Tx) error {
		people, err := tx.People()
		if err != nil {
			return err
		}
		states, err := tx.MetaPrefix(metaDirPerson)
		if err != nil {
			return err
		}
		plats, err := tx.MetaPrefix(metaDirPlatform)
		if err != nil {
			return err
		}
		for platform := range s.cfg.Directories {
			st := &dirPlatformState{}
			if raw, ok := plats[metaDirPlatform+platform]; ok {
				_ = json.Unmarshal(raw, st)
			}
			platforms[platform] = st
		}
		for _, p := range people {
			for _, id := range identities(p) {
				if s.cfg.Directories[id.Platform()] == nil {
					continue
				}
				it := dirItem{person: p.ID, id: id, never: true}
				var st dirPersonState
				if raw, ok := states[metaDirPerson+string(id)]; ok && json.Unmarshal(raw, &st) == nil {
					it.never, it.at = false, st.At
				}
				if !it.never && !st.At.After(now) && now.Sub(st.At) < DirectoryRefresh {
					next = minTime(next, st.At.Add(DirectoryRefresh))
					continue
				}
				due = append(due, it)
			}
		}
		return nil
	})
	slices.SortFunc(due, func(a, b dirItem) int {
		if a.never != b.never {
			if a.never {
				return -1
			}
			return 1
		}
		return cmp.Or(a.at.Compare(b.at), cmp.Compare(a.id, b.id))
	})
	if len(due) > dirPerRun {
		due, next = due[:dirPerRun], now // more are due: look again next run
	}
	s.dir.Lock()
	s.dir.next = minTime(s.dir.next, next)
	s.dir.Unlock()
	return due, platforms, err
}

// identities returns the platform identities of a person: the canonical
// one first, then those linked with /link.
func identities(p bot.Person) []bot.PersonID {
	return append([]bot.PersonID{p.ID}, p.Identities...)
}

func minTime(a, b time.Time) time.Time {
	if a.IsZero() || b.Before(a) {
		return b
	}
	return a
}

// dirBlocked reports whether a platform's directory is resting: refused
// until the next day, or down for a while.
func (s *Service) dirBlocked(platform string, platforms map[string]*dirPlatformState, now time.Time) bool {
	if st := platforms[platform]; st != nil && now.Before(st.OffUntil) {
		return true
	}
	s.dir.Lock()
	defer s.dir.Unlock()
	return now.Before(s.dir.downUntil[platform])
}

// lookUp asks the platform about one identity. It reports false when
// nothing is to be recorded (the platform failed: the person stays due).
func (s *Service) lookUp(ctx context.Context, it dirItem, platforms map[string]*dirPlatformState, now time.Time) (dirResult, bool) {
	platform := it.id.Platform()
	lctx, cancel := context.WithTimeout(ctx, dirLookupTimeout)
	entry, err := s.cfg.Directories[platform].LookUp(lctx, it.id.Local())
	cancel()
	r := dirResult{dirItem: it, entry: entry, outcome: DirOK}
	switch bot.ErrorCode(err) {
	case "":
		s.dirCount(platform, 0)
	case bot.EFORBIDDEN:
		r.outcome = DirForbidden
		st := platforms[platform]
		if s.dirCount(platform, 1) >= dirRefusals {
			st.OffUntil = now.Add(DirectoryRefresh)
		}
		s.dirWarn(platform, st, now, "the contact API refused the app; names, departments and managers stay as imported until the permission is granted",
			slog.String("permission", bot.ErrorMessage(err)))
	case bot.ENOTFOUND:
		r.outcome = DirNotFound
	default:
		if ctx.Err() != nil {
			return r, false
		}
		r.outcome = DirError
		s.dir.Lock()
		if s.dir.downUntil == nil {
			s.dir.downUntil = map[string]time.Time{}
		}
		s.dir.downUntil[platform] = now.Add(dirDownPause)
		s.dir.Unlock()
		s.dirWarn(platform, platforms[platform], now, "the contact API failed; trying again in an hour", slog.Any("error", err))
	}
	if s.cfg.DirectoryObserved != nil {
		s.cfg.DirectoryObserved(platform, r.outcome)
	}
	return r, r.outcome != DirError
}

// dirCount adds a refusal (1) to a platform's refusals in a row, or resets
// them (0), and returns the count.
func (s *Service) dirCount(platform string, refused int) int {
	s.dir.Lock()
	defer s.dir.Unlock()
	if s.dir.refusals == nil {
		s.dir.refusals = map[string]int{}
	}
	if refused == 0 {
		s.dir.refusals[platform] = 0
	} else {
		s.dir.refusals[platform]++
	}
	return s.dir.refusals[platform]
}

// dirWarn logs a platform's trouble, at most once a day per platform.
func (s *Service) dirWarn(platform string, st *dirPlatformState, now time.Time, msg string, attrs ...any) {
	if !st.WarnedAt.IsZero() && !st.WarnedAt.After(now) && now.Sub(st.WarnedAt) < DirectoryRefresh {
		return
	}
	st.WarnedAt, st.Reason = now, msg
	s.logger.Warn("directory: "+msg, append([]any{slog.String("platform", platform)}, attrs...)...)
}

// savePlatforms records the platforms' refusals, so that a restart neither
// asks a refusing platform again nor logs the refusal again that day.
func (s *Service) savePlatforms(ctx context.Context, platforms map[string]*dirPlatformState) error {
	return s.cfg.Store.Update(ctx, func(tx bot.Tx) error {
		for platform, st := range platforms {
			if st.WarnedAt.IsZero() && st.OffUntil.IsZero() {
				continue
			}
			raw, err := json.Marshal(st)
			if err != nil {
				return err
			}
			if old, err := tx.Meta(metaDirPlatform + platform); err == nil && string(old) == string(raw) {
				continue
			}
			if err := tx.PutMeta(metaDirPlatform+platform, raw); err != nil {
				return err
			}
		}
		return nil
	})
}

// applyDirectory writes the results of one batch of lookups in one short
// transaction: each person seeded with what their platform said, and each
// identity's lookup recorded.
func (s *Service) applyDirectory(ctx context.Context, batch []dirResult, now time.Time) error {
	if len(batch) == 0 {
		return nil
	}
	return s.cfg.Store.Update(ctx, func(tx bot.Tx) error {
		for _, r := range batch {
			if r.outcome == DirOK {
				if err := s.applyEntry(tx, r, now); err != nil {
					return err
				}
			}
			raw, err := json.Marshal(dirPersonState{At: now, Outcome: r.outcome})
			if err != nil {
				return err
			}
			if err := tx.PutMeta(metaDirPerson+string(r.id), raw); err != nil {
				return err
			}
		}
		return nil
	})
}

// applyEntry seeds a person with a directory entry. The manager's identity
// on the same platform is resolved to their canonical person and met (so
// that their own name is looked up next). An entry of a linked identity
// other than the person's canonical one only fills what is unknown.
func (s *Service) applyEntry(tx bot.Tx, r dirResult, now time.Time) error {
	p, err := tx.Person(r.person)
	if bot.ErrorCode(err) == bot.ENOTFOUND {
		return nil
	} else if err != nil {
		return err
	}
	e := r.entry
	seed := bot.Person{Name: e.Name, Email: e.Email, Mobile: e.Mobile, Department: e.Department}
	if e.Manager != "" {
		m := resolvePerson(tx, bot.PersonID(r.id.Platform()+":"+e.Manager))
		if m != p.ID && m != r.id {
			if _, err := s.ensurePerson(tx, m, ""); err != nil {
				return err
			}
			seed.Manager = m
		}
	}
	if r.id != p.ID {
		seed = onlyUnknown(p, seed)
	}
	if !p.Seed(seed) {
		return nil
	}
	p.UpdatedAt = now
	return tx.PutPerson(p)
}

// onlyUnknown keeps the fields of seed that p does not know yet.
func onlyUnknown(p, seed bot.Person) bot.Person {
	keep := func(have, v string) string {
		if have != "" {
			return ""
		}
		return v
	}
	seed.Name = keep(p.Name, seed.Name)
	seed.Email = keep(p.Email, seed.Email)
	seed.Mobile = keep(p.Mobile, seed.Mobile)
	seed.Department = keep(p.Department, seed.Department)
	seed.Manager = bot.PersonID(keep(string(p.Manager), string(seed.Manager)))
	return seed
}

// resolvePerson returns the canonical id of an identity (Tx.ResolvePerson):
// id itself when it is no one's linked identity, or when the store cannot
// tell.
func resolvePerson(tx bot.Tx, id bot.PersonID) bot.PersonID {
	if c, err := tx.ResolvePerson(id); err == nil && c != "" {
		return c
	}
	return id
}
