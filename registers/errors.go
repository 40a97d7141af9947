package registers

import "errors"

// ErrValue is returned when a value cannot be stored in a register because it
// has no stable JSON form: it fails to encode (a NaN or infinite float, a
// channel, a function), or its JSON does not decode back to a value that
// encodes to the same bytes.
var ErrValue = errors.New("registers: value has no stable JSON form")

// ErrNoIdentity is wrapped by the error of a write to an [MV] register that
// has no [Identity] to stamp it with; that error also wraps
// itc.ErrAnonymous (ErrNoIdentity itself does not).
var ErrNoIdentity = errors.New("registers: MV register has no identity")
