package dirstore

import "os"

// Frame returns the log frame of payload, for tests that damage logs.
func Frame(payload []byte) []byte { return appendFrame(nil, payload) }

// AppendRaw appends a well-framed entry to key's existing log without any
// check, for tests that plant bad entries.
func AppendRaw(b *Backend, key string, entry []byte) error {
	f, err := os.OpenFile(b.LogPath(key), os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		return err
	}
	defer f.Close()
	_, err = f.Write(Frame(entry))
	return err
}
