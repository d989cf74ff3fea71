package export_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"sync"
	"testing"
	"time"

	"github.com/loopbot/loopbot/bot"
	"github.com/loopbot/loopbot/export"
)

// gateWriter holds its first write until release is closed.
type gateWriter struct {
	entered, release chan struct{}
	once             sync.Once
	buf              bytes.Buffer
}

func newGate() *gateWriter {
	return &gateWriter{entered: make(chan struct{}), release: make(chan struct{})}
}

func (g *gateWriter) Write(p []byte) (int, error) {
	g.once.Do(func() { close(g.entered); <-g.release })
	return g.buf.Write(p)
}

// TestExportsOneAtATime: while an XLSX or CSV export runs, another waits
// for it (QueueWait, or as long as its context lasts) and then fails with
// EUNAVAILABLE; the Markdown report does not wait; once the first is done
// the next runs.
func TestExportsOneAtATime(t *testing.T) {
	e := scenario(t)
	e.QueueWait = time.Millisecond
	ctx := context.Background()
	gate := newGate()
	first := make(chan error, 1)
	go func() { first <- e.Write(ctx, gate, export.Request{Project: 1}, export.CSV) }()
	<-gate.entered
	for _, f := range []export.Format{export.XLSX, export.CSV} {
		if err := e.Write(ctx, io.Discard, export.Request{Project: 1}, f); codeOf(err) != bot.EUNAVAILABLE {
			t.Errorf("%s export while another runs: %v, want EUNAVAILABLE", f, err)
		} else if msg := bot.ErrorMessage(err); msg == "" {
			t.Error("EUNAVAILABLE without a message")
		}
	}
	if err := e.Write(ctx, io.Discard, export.Request{Project: 1}, export.Markdown); err != nil {
		t.Errorf("the Markdown report waited for the running export: %v", err)
	}
	e.QueueWait = 0
	cctx, cancel := context.WithCancel(ctx)
	waiting := make(chan error, 1)
	go func() { waiting <- e.Write(cctx, io.Discard, export.Request{Project: 1}, export.XLSX) }()
	cancel()
	if err := <-waiting; !errors.Is(err, context.Canceled) {
		t.Errorf("a waiting export whose context ended: %v, want context.Canceled", err)
	}
	close(gate.release)
	if err := <-first; err != nil {
		t.Fatalf("the first export: %v", err)
	}
	if _, files := readCSVZip(t, gate.buf.Bytes()); len(files["checkins.csv"]) < 2 {
		t.Errorf("the first export has no check-ins: %v", files["checkins.csv"])
	}
	if err := e.Write(ctx, io.Discard, export.Request{Project: 1}, export.XLSX); err != nil {
		t.Errorf("an export after the first finished: %v", err)
	}
}

// TestPacedExportSameFile: an export paced to half a core (CPUShare) writes
// the same file as one that is not.
func TestPacedExportSameFile(t *testing.T) {
	e := scenario(t)
	var plain, paced bytes.Buffer
	must(t, e.Write(context.Background(), &plain, export.Request{}, export.CSV))
	e.CPUShare = 0.5
	must(t, e.Write(context.Background(), &paced, export.Request{}, export.CSV))
	if !bytes.Equal(plain.Bytes(), paced.Bytes()) {
		t.Error("the paced export differs from the unpaced one")
	}
}
