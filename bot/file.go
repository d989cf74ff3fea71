package bot

import (
	"context"
	"fmt"
	"io"
	"time"
)

// File is an export to be sent in a chat as a file message (SPEC §3, /export
// on a platform whose messenger is a FileSender). The command that asks for
// it stores it (FileTx.PutFile) in the same transaction as the outbox item
// that carries its id (OutboxItem.FileID), so that nothing accepted is lost.
// Its bytes are made at the item's first delivery, from the store as it is
// then, and kept (FileTx.PutFileData), so that every retry uploads the same
// file; the record and its bytes go when the item leaves the outbox.
type File struct {
	ID uint64 `json:"id"`
	// Name is the file's name with its extension, as the chat shows it:
	// "loopbot-P1-2026-12-01.xlsx" (ExportName).
	Name string `json:"name"`
	// Format is the export's format: "xlsx", "csv" (a zip of CSV files) or
	// "md".
	Format string `json:"format"`
	// Project is the exported project's id; 0 exports every project.
	Project uint64 `json:"project,omitempty"`
	// From and To are the export's first and last day (zero: open).
	From Date `json:"from,omitzero"`
	To   Date `json:"to,omitzero"`
	// Lang is the language of the report's words ("zh" or "en").
	Lang string `json:"lang,omitempty"`
	// By is who asked for the file.
	By        PersonID  `json:"by,omitempty"`
	CreatedAt time.Time `json:"created_at"`
}

// FileTx keeps the files that outbox items send (File).
type FileTx interface {
	// PutFile stores a new file with the next file id (any ID in f is
	// ignored) and returns the id.
	PutFile(f File) (uint64, error)
	// File returns a file's record, or ENOTFOUND.
	File(id uint64) (File, error)
	// FileData returns a copy of a file's bytes, or nil while they have
	// not been made; ENOTFOUND for an unknown file.
	FileData(id uint64) ([]byte, error)
	// PutFileData keeps a file's bytes; ENOTFOUND for an unknown file.
	PutFileData(id uint64, data []byte) error
	// DeleteFile removes a file and its bytes; a missing file is no error.
	DeleteFile(id uint64) error
}

// FileSender is implemented by messengers that can send a file as a file
// message: they upload the bytes to the platform and send a message that
// shows the file. The outbox uses it for items that carry a file
// (OutboxItem.FileID), and sends the item's text (the download link)
// instead where a messenger is not a FileSender or the file cannot go out.
type FileSender interface {
	// MaxFileSize is the largest file, in bytes, the platform takes. A
	// larger export goes out as its link.
	MaxFileSize() int64
	// TakesFile reports whether the platform shows a file of this name
	// (by its type) as a file message; another goes out as its link.
	TakesFile(name string) bool
	// SendFile uploads file and sends it to msg.Target as a file message,
	// with msg.IdemKey as the message's idempotency key where the platform
	// has one; an upload repeated by a retry is harmless. It returns the
	// message id, and DeliveryErrors as Send does: a permanent one (file
	// refused, permission missing) makes the outbox send the link instead.
	SendFile(ctx context.Context, msg OutMessage, file OutFile) (ref string, err error)
}

// OutFile is the file of a file message.
type OutFile struct {
	// Name is the file name with its extension.
	Name string
	Data []byte
}

// FileMaker writes a File's bytes: the export it names (cmd/loopbot
// implements it with the export package). Its errors with a code
// (ENOTFOUND for a project that is gone) are permanent, but EUNAVAILABLE
// (another export is running) and errors without a code are retried.
type FileMaker func(ctx context.Context, f File, w io.Writer) error

// ExportName returns the file name of an export made on day: "loopbot-P1-
// 2026-12-01.xlsx", or "loopbot-all-…" for every project; ext is the name's
// extension without the dot ("xlsx", "zip", "md").
func ExportName(project uint64, day Date, ext string) string {
	who := "all"
	if project != 0 {
		who = ProjectCode(project)
	}
	return fmt.Sprintf("loopbot-%s-%s.%s", who, day, ext)
}
