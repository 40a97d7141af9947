package itc

import "encoding"

// The API of issue 3, as written there; this file fails to compile if a
// name or signature drifts.
var (
	_ func() Stamp                      = NewStamp
	_ func(ID, Event) Stamp             = NewStampFrom
	_ func(Stamp) (Stamp, Stamp)        = Stamp.Fork
	_ func(Stamp) (Stamp, error)        = Stamp.Event
	_ func(Stamp, Stamp) (Stamp, error) = Stamp.Join
	_ func(Stamp) Stamp                 = Stamp.Peek
	_ func(Stamp, Stamp) Ordering       = Stamp.Compare
	_ func(Stamp, Stamp) bool           = Stamp.Leq
	_ func(Stamp) ID                    = Stamp.IDComponent
	_ func(Stamp) Event                 = Stamp.EventComponent
	_ func(Stamp) string                = Stamp.String
	_ func(string) (Stamp, error)       = ParseStamp
	_ func(Stamp) ([]byte, error)       = Stamp.MarshalBinary
	_ func(*Stamp, []byte) error        = (*Stamp).UnmarshalBinary
	_ func(Stamp) ([]byte, error)       = Stamp.MarshalCompact
	_ func(*Stamp, []byte) error        = (*Stamp).UnmarshalCompact
	_ func(Stamp) ([]byte, error)       = Stamp.MarshalJSON
	_ func(*Stamp, []byte) error        = (*Stamp).UnmarshalJSON
	_ func() ID                         = SeedID
	_ func() ID                         = NullID
	_ func(ID) (ID, ID)                 = ID.Split
	_ func(ID, ID) (ID, error)          = ID.Sum
	_ func(string) (ID, error)          = ParseID
	_ func(string) (Event, error)       = ParseEvent
	_ func(Event, Event) (Event, error) = Event.Join
	_ func(Event, Event) bool           = Event.Leq
	_ func(Event, Event) Ordering       = Event.Compare
	_ []error                           = []error{ErrOverlappingID, ErrAnonymous, ErrCounterOverflow, ErrInvalid}
	_ []Ordering                        = []Ordering{Less, Equal, Greater, Concurrent}

	_ encoding.BinaryMarshaler    = ID{}
	_ encoding.BinaryUnmarshaler  = (*ID)(nil)
	_ encoding.BinaryMarshaler    = Event{}
	_ encoding.BinaryUnmarshaler  = (*Event)(nil)
	_ encoding.BinaryMarshaler    = Stamp{}
	_ encoding.BinaryUnmarshaler  = (*Stamp)(nil)
	_ func(ID) string             = ID.String
	_ func(Event) string          = Event.String
	_ func(ID) ([]byte, error)    = ID.MarshalJSON
	_ func(*ID, []byte) error     = (*ID).UnmarshalJSON
	_ func(Event) ([]byte, error) = Event.MarshalJSON
	_ func(*Event, []byte) error  = (*Event).UnmarshalJSON
)
