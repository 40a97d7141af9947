// Package cli implements the crdtkit command as functions of their
// arguments, input and outputs, so that every subcommand can be run and
// tested in-process. The command's main only calls [Run].
//
// Importing the package registers every payload type of the toolbox
// (counters, sets, registers, compound) with payload.Default, plus a few
// common map instantiations and the examples' friendship.Friendship type.
package cli
