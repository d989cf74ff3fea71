package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/loopbot/loopbot/bot"
	"github.com/loopbot/loopbot/store"
)

// backupPrefix and backupExt name the daily backups, so that pruning
// touches only them: loopbot-20261123-030000.db.
const (
	backupPrefix = "loopbot-"
	backupExt    = ".db"
)

// backupJob writes, each day at store.backup_at (calendar.timezone), a
// verified backup into the backup folder and keeps the last
// store.backup_keep of them. Nil when backup_keep is 0.
func (a *App) backupJob(loc *time.Location) *bot.Job {
	keep := a.cfg.Store.BackupKeep
	if keep <= 0 {
		return nil
	}
	minute, _ := clockMinutes(a.cfg.Store.BackupAt)
	dir := a.cfg.Store.Backups()
	return &bot.Job{
		Name: "backup",
		Next: func(after time.Time) time.Time {
			d := bot.DateOf(after.In(loc))
			for {
				if t := d.At(minute/60, minute%60, loc); t.After(after) {
					return t
				}
				d = d.AddDays(1)
			}
		},
		Grace: func(slot time.Time) time.Time { return slot.Add(24 * time.Hour) },
		Run: func(ctx context.Context, slot time.Time) error {
			path, n, err := backupInto(ctx, a.store, dir, slot.In(loc))
			if err != nil {
				a.logger.Error("daily backup failed", "dir", dir, slog.Any("error", err))
				return err
			}
			a.logger.Info("daily backup", "file", path, "bytes", n)
			return pruneBackups(dir, keep)
		},
	}
}

// backupInto writes a consistent copy of st into dir, named by the time at,
// verified (store.Verify) before it takes its name, so that a backup file
// that exists is a good one.
func backupInto(ctx context.Context, st bot.Store, dir string, at time.Time) (string, int64, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", 0, fmt.Errorf("backup: %w", err)
	}
	path := filepath.Join(dir, backupPrefix+at.Format("20060102-150405")+backupExt)
	n, err := writeVerified(ctx, path, func(w io.Writer) (int64, error) { return st.Backup(ctx, w) })
	return path, n, err
}

// writeVerified writes a store file through write into path+".tmp", syncs
// it, verifies it with store.Verify, and renames it to path. On any failure
// the temporary file is removed and path is left as it was.
func writeVerified(ctx context.Context, path string, write func(io.Writer) (int64, error)) (int64, error) {
	tmp := path + ".tmp"
	f, err := os.OpenFile(tmp, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o600)
	if err != nil {
		return 0, fmt.Errorf("backup: %w", err)
	}
	fail := func(err error) (int64, error) {
		f.Close()
		os.Remove(tmp)
		return 0, err
	}
	n, err := write(f)
	if err != nil {
		return fail(fmt.Errorf("backup: %w", err))
	}
	if err := f.Sync(); err != nil {
		return fail(fmt.Errorf("backup: %w", err))
	}
	if err := f.Close(); err != nil {
		return fail(fmt.Errorf("backup: %w", err))
	}
	if err := store.Verify(ctx, tmp); err != nil {
		os.Remove(tmp)
		return 0, fmt.Errorf("backup: the copy does not verify: %w", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return 0, fmt.Errorf("backup: %w", err)
	}
	return n, nil
}

// pruneBackups removes the oldest daily backups in dir beyond the newest
// keep. Their names sort by time.
func pruneBackups(dir string, keep int) error {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return fmt.Errorf("backup: prune: %w", err)
	}
	var names []string
	for _, e := range entries {
		if n := e.Name(); !e.IsDir() && strings.HasPrefix(n, backupPrefix) && strings.HasSuffix(n, backupExt) {
			names = append(names, n)
		}
	}
	slices.Sort(names)
	for len(names) > keep {
		if err := os.Remove(filepath.Join(dir, names[0])); err != nil {
			return fmt.Errorf("backup: prune: %w", err)
		}
		names = names[1:]
	}
	return nil
}
