package store

import (
	"bytes"

	"github.com/loopbot/loopbot/bot"
)

// PutFile stores a new file (bot.File) with the next file id and, when
// CreatedAt is zero, the store's current time. It returns EINVALID for a file
// with no name.
func (t *tx) PutFile(f bot.File) (uint64, error) {
	if err := t.writable("put file"); err != nil {
		return 0, err
	}
	if f.Name == "" {
		return 0, bot.Errorf(bot.EINVALID, "a file needs a name")
	}
	id, err := t.nextID(bucketFiles, "put file")
	if err != nil {
		return 0, err
	}
	f.ID = id
	if f.CreatedAt.IsZero() {
		f.CreatedAt = t.now()
	}
	return id, t.put(bucketFiles, itob(id), f)
}

// File returns a file's record, or ENOTFOUND.
func (t *tx) File(id uint64) (bot.File, error) {
	var f bot.File
	ok, err := t.get(bucketFiles, itob(id), &f)
	if err != nil {
		return bot.File{}, err
	} else if !ok {
		return bot.File{}, bot.Errorf(bot.ENOTFOUND, "file %d not found", id)
	}
	return f, nil
}

// FileData returns a copy of a file's bytes, nil while none are kept, or
// ENOTFOUND for an unknown file.
func (t *tx) FileData(id uint64) ([]byte, error) {
	if _, err := t.File(id); err != nil {
		return nil, err
	}
	t.read()
	v := t.bucket(bucketFileData).Get(itob(id))
	if v == nil {
		return nil, nil
	}
	return bytes.Clone(v), nil
}

// PutFileData keeps a file's bytes, replacing any kept before; ENOTFOUND
// for an unknown file.
func (t *tx) PutFileData(id uint64, data []byte) error {
	if err := t.writable("put file data"); err != nil {
		return err
	}
	if _, err := t.File(id); err != nil {
		return err
	}
	if data == nil {
		data = []byte{}
	}
	return t.putRaw(bucketFileData, itob(id), data)
}

// DeleteFile removes a file and its bytes; a missing file is no error.
func (t *tx) DeleteFile(id uint64) error {
	if err := t.writable("delete file"); err != nil {
		return err
	}
	if err := t.del(bucketFileData, itob(id)); err != nil {
		return err
	}
	return t.del(bucketFiles, itob(id))
}
