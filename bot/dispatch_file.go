package bot

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"
)

// errFileTooLarge is the cause of a file the platform does not take.
var errFileTooLarge = errors.New("the file is larger than the platform takes")

// prepareFile reads the file of an item that carries one, making and keeping
// its bytes at the first try. A messenger that cannot send files, a file
// that is gone or too large, or one that cannot be made for good is a
// permanent error, which sends the item's link instead.
func (d *Dispatcher) prepareFile(ctx context.Context, m Messenger, dv *delivery) error {
	fs, ok := m.(FileSender)
	if !ok {
		return Permanent(fmt.Errorf("the %s messenger cannot send files", dv.item.Target.Platform))
	}
	var (
		f    File
		data []byte
	)
	err := d.cfg.Store.View(ctx, func(tx Tx) (err error) {
		if f, err = tx.File(dv.item.FileID); err != nil {
			return err
		}
		data, err = tx.FileData(f.ID)
		return err
	})
	if ErrorCode(err) == ENOTFOUND {
		return Permanent(fmt.Errorf("file %d not found", dv.item.FileID))
	} else if err != nil {
		return fmt.Errorf("outbox: read file: %w", err)
	}
	if !fs.TakesFile(f.Name) {
		return Permanent(fmt.Errorf("the %s messenger does not send files like %s", dv.item.Target.Platform, f.Name))
	}
	if data == nil {
		if data, err = d.makeFile(ctx, f, fs.MaxFileSize()); err != nil {
			return err
		}
	}
	if limit := fs.MaxFileSize(); limit > 0 && int64(len(data)) > limit {
		return Permanent(fmt.Errorf("%w (%d bytes, at most %d)", errFileTooLarge, len(data), limit))
	}
	dv.file = &OutFile{Name: f.Name, Data: data}
	return nil
}

// makeFile makes a file's bytes, at most limit of them (0: no limit), and
// keeps them with the file, so that retries upload the same file.
func (d *Dispatcher) makeFile(ctx context.Context, f File, limit int64) ([]byte, error) {
	if d.cfg.MakeFile == nil {
		return nil, Permanent(errors.New("no file maker"))
	}
	w := &cappedBuffer{limit: limit}
	start := time.Now()
	err := d.cfg.MakeFile(ctx, f, w)
	switch {
	case w.over:
		return nil, Permanent(fmt.Errorf("%w (more than %d bytes)", errFileTooLarge, limit))
	case err != nil && ErrorCode(err) != EINTERNAL && ErrorCode(err) != EUNAVAILABLE:
		return nil, Permanent(fmt.Errorf("make file %d: %w", f.ID, err))
	case err != nil:
		return nil, Temporary(fmt.Errorf("make file %d: %w", f.ID, err), 0)
	}
	data := w.buf.Bytes()
	if data == nil {
		data = []byte{}
	}
	err = d.cfg.Store.Update(context.WithoutCancel(ctx), func(tx Tx) error { return tx.PutFileData(f.ID, data) })
	if ErrorCode(err) == ENOTFOUND {
		return nil, Permanent(fmt.Errorf("file %d not found", f.ID))
	} else if err != nil {
		return nil, fmt.Errorf("outbox: keep file: %w", err)
	}
	d.log.Info("file made", "file_id", f.ID, "format", f.Format, "bytes", len(data),
		"took", time.Since(start).Round(time.Millisecond).String())
	return data, nil
}

// cappedBuffer is a buffer that refuses to grow past its limit (0: none).
type cappedBuffer struct {
	buf   bytes.Buffer
	limit int64
	over  bool
}

func (c *cappedBuffer) Write(p []byte) (int, error) {
	if c.limit > 0 && int64(c.buf.Len()+len(p)) > c.limit {
		c.over = true
		return 0, errFileTooLarge
	}
	return c.buf.Write(p)
}

// fallBack turns an item whose file cannot go out into its text alone (the
// file's download link), once, with a fresh count of tries; the store drops
// the file.
func (d *Dispatcher) fallBack(ctx context.Context, it OutboxItem, cause error) error {
	file := it.FileID
	it.FileID, it.Attempts, it.NextAt = 0, 0, time.Time{}
	err := d.cfg.Store.Update(context.WithoutCancel(ctx), func(tx Tx) error {
		return tx.PutOutboxItem(it)
	})
	if err != nil {
		d.holdBack(it)
		d.log.Error("save link instead of file", "outbox_id", it.ID, slog.Any("error", err))
		return fmt.Errorf("outbox: link instead of file: %w", err)
	}
	d.invalidate()
	d.log.Warn("file not sent, sending its link instead", "outbox_id", it.ID, "file_id", file,
		"platform", it.Target.Platform, slog.Any("error", cause))
	return nil
}
