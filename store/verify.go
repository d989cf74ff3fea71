package store

import (
	"context"
	"errors"
	"fmt"
	"os"

	"go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"
)

// Verify checks a backup (or any store file) without changing it: that it
// is not shorter than its last commit, that bbolt opens it read-only, that
// its schema is one this code reads, and that bbolt's Check finds no
// problem. It returns an error naming path and what is wrong.
func Verify(ctx context.Context, path string) (err error) {
	if _, err := os.Stat(path); err != nil {
		return fmt.Errorf("store: verify: %w", err)
	}
	if err := checkSize(path); err != nil {
		return err
	}
	defer guard(path, &err)()
	b, err := bbolt.Open(path, 0o600, &bbolt.Options{ReadOnly: true, Timeout: defaultTimeout, OpenFile: openExisting})
	if errors.Is(err, berrors.ErrTimeout) {
		return fmt.Errorf("store: %s is %w", path, ErrInUse)
	} else if err != nil {
		return fmt.Errorf("store: verify %s: %w", path, err)
	}
	defer b.Close()
	var problems []error
	err = b.View(func(btx *bbolt.Tx) error {
		if err := checkVersion(btx, path); err != nil {
			return err
		}
		for p := range btx.Check() {
			problems = append(problems, p) // drained to the end: the checker stops only then
		}
		return nil
	})
	if err != nil {
		return err
	}
	if len(problems) > 0 {
		return fmt.Errorf("store: verify %s: %w", path, errors.Join(problems...))
	}
	return ctx.Err()
}

// checkVersion refuses a file with no schema version (not a loopbot store)
// or one newer than this code.
func checkVersion(btx *bbolt.Tx, path string) error {
	v, err := schemaVersion(btx)
	switch {
	case err != nil:
		return fmt.Errorf("store: %s: %w", path, err)
	case v == 0:
		return fmt.Errorf("store: %s is not a loopbot database (no schema version)", path)
	case v > len(migrations()):
		return fmt.Errorf("store: %s has schema version %d, newer than this loopbot (%d); upgrade loopbot", path, v, len(migrations()))
	}
	return nil
}
