package itc

import "errors"

var (
	// ErrOverlappingID is returned when two ids that share part of the
	// interval are summed, for instance by joining a stamp with itself or
	// with an older copy of a stamp whose share it still holds.
	ErrOverlappingID = errors.New("itc: overlapping ids")

	// ErrAnonymous is returned by Event on a stamp whose id is 0 (such as
	// the result of Peek): it owns no part of the interval, so it cannot
	// record an event.
	ErrAnonymous = errors.New("itc: event on an anonymous stamp")

	// ErrCounterOverflow is returned when an operation would have to store
	// a counter greater than 2^64-1.
	ErrCounterOverflow = errors.New("itc: counter overflow")

	// ErrInvalid is wrapped by every decoding error.
	ErrInvalid = errors.New("itc: invalid encoding")
)
