package dirstore

import (
	"fmt"
	"strings"

	"github.com/crdtkit/crdtkit/store"
)

// MaxNameLen is the longest escaped key (file name without ".json") the
// directory store accepts, leaving room for the suffixes of the record, lock
// and temporary files within the usual 255-byte file name limit.
const MaxNameLen = 200

const hexDigits = "0123456789ABCDEF"

// plain reports whether c stands for itself in an escaped name.
func plain(c byte) bool {
	return 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '_' || c == '.'
}

// EscapeKey returns the file name stem of key. Lower-case ASCII letters,
// digits, '-', '_' and '.' (except a leading '.') stand for themselves; an
// upper-case letter X becomes "!x", so that names differ even on file systems
// that ignore case; every other byte (of the key's UTF-8) becomes "%XX" with
// two upper-case hex digits. Names never start with '.', contain no '/', and
// the mapping is reversed by [UnescapeKey].
func EscapeKey(key string) string {
	var sb strings.Builder
	sb.Grow(len(key))
	for i := 0; i < len(key); i++ {
		c := key[i]
		switch {
		case plain(c) && !(c == '.' && i == 0):
			sb.WriteByte(c)
		case 'A' <= c && c <= 'Z':
			sb.WriteByte('!')
			sb.WriteByte(c + ('a' - 'A'))
		default:
			sb.WriteByte('%')
			sb.WriteByte(hexDigits[c>>4])
			sb.WriteByte(hexDigits[c&15])
		}
	}
	return sb.String()
}

func unhex(c byte) (byte, bool) {
	switch {
	case '0' <= c && c <= '9':
		return c - '0', true
	case 'A' <= c && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}

// UnescapeKey returns the key whose [EscapeKey] is name. It accepts only the
// exact output of EscapeKey for a valid key (see [store.ValidateKey]), so
// every key has one name and every accepted name one key.
func UnescapeKey(name string) (string, error) {
	var sb strings.Builder
	sb.Grow(len(name))
	for i := 0; i < len(name); i++ {
		c := name[i]
		switch {
		case plain(c):
			sb.WriteByte(c)
		case c == '!':
			if i+1 >= len(name) || name[i+1] < 'a' || name[i+1] > 'z' {
				return "", fmt.Errorf("dirstore: name %q: '!' at byte %d not followed by a lower-case letter", name, i)
			}
			sb.WriteByte(name[i+1] - ('a' - 'A'))
			i++
		case c == '%':
			if i+2 >= len(name) {
				return "", fmt.Errorf("dirstore: name %q: truncated escape at byte %d", name, i)
			}
			hi, ok1 := unhex(name[i+1])
			lo, ok2 := unhex(name[i+2])
			if !ok1 || !ok2 {
				return "", fmt.Errorf("dirstore: name %q: bad escape at byte %d", name, i)
			}
			sb.WriteByte(hi<<4 | lo)
			i += 2
		default:
			return "", fmt.Errorf("dirstore: name %q: byte %q at %d is not allowed", name, c, i)
		}
	}
	key := sb.String()
	if err := store.ValidateKey(key); err != nil {
		return "", fmt.Errorf("dirstore: name %q: %w", name, err)
	}
	if EscapeKey(key) != name {
		return "", fmt.Errorf("dirstore: name %q is not in canonical form", name)
	}
	return key, nil
}
