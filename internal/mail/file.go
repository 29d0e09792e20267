package mail

import (
	"bufio"
	"context"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
)

// FileSender writes each message as an RFC 5322 .eml file into a folder, for instances without an
// SMTP server: an administrator opens the file in any mail program, or copies the link out of it.
//
// File names sort by creation time and never collide: <UTC time to the nanosecond>-<64 random
// bits>.eml. Files are 0600 in a 0700 folder, and appear whole or not at all (written to a temporary
// name, synced, then renamed).
type FileSender struct {
	dir  string
	from string
	opts Options
	log  *slog.Logger
}

// NewFile returns a sender that writes into dir, creating it (0700) if needed.
func NewFile(dir, from string, opts Options) (*FileSender, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("create mail folder: %w", err)
	}
	opts = opts.withDefaults()
	return &FileSender{dir: dir, from: from, opts: opts, log: opts.Logger.With("component", "mail")}, nil
}

// Dir is the folder the files go to.
func (f *FileSender) Dir() string { return f.dir }

// Send writes m to a new file. The log line names the file and counts the recipients; it carries
// neither the addresses nor anything from the message.
func (f *FileSender) Send(ctx context.Context, m Message) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("write mail file: %w", err)
	}
	msg, err := compose(f.from, m, f.opts)
	if err != nil {
		return fmt.Errorf("compose mail: %w", err)
	}
	name, err := f.fileName()
	if err != nil {
		return err
	}
	path := filepath.Join(f.dir, name)
	if err := writeAtomic(path, msg); err != nil {
		return fmt.Errorf("write mail file: %w", err)
	}
	f.log.InfoContext(ctx, "mail written to file", "path", path, "recipients", len(m.To))
	return nil
}

func (f *FileSender) fileName() (string, error) {
	b := make([]byte, 8)
	if _, err := io.ReadFull(f.opts.Rand, b); err != nil {
		return "", fmt.Errorf("mail file name: %w", err)
	}
	stamp := f.opts.Clock.Now().UTC().Format("20060102T150405.000000000Z")
	return stamp + "-" + hex.EncodeToString(b) + ".eml", nil
}

// writeAtomic writes msg to a temporary file beside path (0600, from os.CreateTemp), syncs it and
// renames it into place, so a reader never sees half a message.
func writeAtomic(path string, msg io.WriterTo) (err error) {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".tmp-*.eml")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			_ = tmp.Close()
			_ = os.Remove(tmp.Name())
		}
	}()
	w := bufio.NewWriter(tmp)
	if _, err = msg.WriteTo(w); err != nil {
		return err
	}
	if err = w.Flush(); err != nil {
		return err
	}
	if err = tmp.Sync(); err != nil {
		return err
	}
	if err = tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}
