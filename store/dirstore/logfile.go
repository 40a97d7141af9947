package dirstore

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
)

// A log file is a header followed by frames:
//
//	file   = magic header-frame entry-frame*
//	magic  = "CRDTKLOG" 0x01                       (9 bytes)
//	frame  = len:u32 crc:u32 payload[len] len:u32  (big-endian)
//	crc    = CRC-32C of the 4 bytes of len followed by the payload
//	header-frame payload = snapshot-size:u64 type-name
//
// snapshot-size is the size of the snapshot file the log was started beside
// (all ones: none). The trailing copy of len lets an appender check the
// last frame without reading the log from the start.
const (
	logMagic    = "CRDTKLOG\x01"
	frameHeader = 8
	frameExtra  = 12 // header and trailer
	noSnapshot  = ^uint64(0)
	// maxFrame bounds the payload length a reader believes.
	maxFrame = 1 << 30
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// errBadFrame marks a frame whose lengths or checksum do not hold.
var errBadFrame = errors.New("dirstore: bad log frame")

// appendFrame appends the frame of payload to dst.
func appendFrame(dst, payload []byte) []byte {
	var n [4]byte
	binary.BigEndian.PutUint32(n[:], uint32(len(payload)))
	crc := crc32.Update(crc32.Checksum(n[:], castagnoli), castagnoli, payload)
	dst = append(dst, n[:]...)
	dst = binary.BigEndian.AppendUint32(dst, crc)
	dst = append(dst, payload...)
	return append(dst, n[:]...)
}

// readFrame decodes the frame at the start of b. It returns the payload (a
// sub-slice of b) and the frame's size. torn reports a frame that runs past
// the end of b: what a crash during its write leaves.
func readFrame(b []byte) (payload []byte, size int, torn bool, err error) {
	if len(b) < frameExtra {
		return nil, 0, true, fmt.Errorf("%w: %d bytes left, a frame needs at least %d", errBadFrame, len(b), frameExtra)
	}
	n := binary.BigEndian.Uint32(b)
	if n > maxFrame {
		return nil, 0, false, fmt.Errorf("%w: length %d", errBadFrame, n)
	}
	size = int(n) + frameExtra
	if size > len(b) {
		return nil, 0, true, fmt.Errorf("%w: length %d, %d bytes left", errBadFrame, n, len(b)-frameExtra)
	}
	payload = b[frameHeader : frameHeader+int(n)]
	crc := crc32.Update(crc32.Checksum(b[:4], castagnoli), castagnoli, payload)
	if crc != binary.BigEndian.Uint32(b[4:]) {
		return nil, 0, false, fmt.Errorf("%w: checksum mismatch", errBadFrame)
	}
	if binary.BigEndian.Uint32(b[size-4:]) != n {
		return nil, 0, false, fmt.Errorf("%w: trailer disagrees with length %d", errBadFrame, n)
	}
	return payload, size, false, nil
}

// logHeader is the decoded header of a log file.
type logHeader struct {
	snapshot uint64 // size of the snapshot the log belongs to, or noSnapshot
	typ      string
}

func encodeLogHeader(h logHeader) []byte {
	p := binary.BigEndian.AppendUint64(nil, h.snapshot)
	p = append(p, h.typ...)
	return appendFrame([]byte(logMagic), p)
}

// parsedLog is a log file cut into frames.
type parsedLog struct {
	header  logHeader
	start   int      // offset of the first entry frame
	entries [][]byte // sub-slices of the file
	end     int      // offset after the last good frame
	dropped int      // bad frames at the end that were cut off (0 or 1)
}

// parseLog decodes a whole log file. A bad final frame, or a bad frame that
// runs to or past the end of the file, is dropped (counted in dropped): a
// crash during an append leaves nothing else behind, and such a frame was
// never acknowledged. A bad frame followed by more bytes is an error: it may
// be an acknowledged entry, and cutting it off would lose the ones after it.
func parseLog(data []byte) (*parsedLog, error) {
	if len(data) < len(logMagic) || string(data[:len(logMagic)]) != logMagic {
		return nil, fmt.Errorf("%w: not a log file (bad magic)", errBadFrame)
	}
	hp, hsize, _, err := readFrame(data[len(logMagic):])
	if err != nil {
		return nil, fmt.Errorf("log header: %w", err)
	}
	if len(hp) <= 8 {
		return nil, fmt.Errorf("%w: log header of %d bytes", errBadFrame, len(hp))
	}
	l := &parsedLog{header: logHeader{snapshot: binary.BigEndian.Uint64(hp), typ: string(hp[8:])}}
	l.start = len(logMagic) + hsize
	off := l.start
	for off < len(data) {
		p, size, torn, err := readFrame(data[off:])
		if err != nil {
			// A frame that reaches the end is the torn last append,
			// unless the file still ends with a good frame after it:
			// then its length was damaged, and what follows are
			// acknowledged entries.
			if (torn || frameReaches(data[off:])) && !endsWithFrameAfter(data, off) {
				l.dropped = 1
				break
			}
			return nil, fmt.Errorf("log entry at offset %d of %d: %w", off, len(data), err)
		}
		l.entries = append(l.entries, p)
		off += size
	}
	l.end = off
	return l, nil
}

// endsWithFrameAfter reports whether data ends with a good frame that
// starts after off, found through the trailer.
func endsWithFrameAfter(data []byte, off int) bool {
	if len(data)-off < 2*frameExtra {
		return false
	}
	n := int64(binary.BigEndian.Uint32(data[len(data)-4:]))
	start := int64(len(data)) - n - frameExtra
	if start <= int64(off) {
		return false
	}
	_, size, _, err := readFrame(data[start:])
	return err == nil && start+int64(size) == int64(len(data))
}

// frameReaches reports whether the frame that starts b claims to end at or
// past the end of b, so that nothing follows it.
func frameReaches(b []byte) bool {
	if len(b) < 4 {
		return true
	}
	return int64(binary.BigEndian.Uint32(b))+frameExtra >= int64(len(b))
}
