// Package configs holds the sweep configs embedded in the ouroeval binary.
package configs

import _ "embed"

// Default is configs/default.yaml, the sweep `ouroeval` runs with no
// arguments.
//
//go:embed default.yaml
var Default []byte

// DefaultName is the file name Default is reported under in errors.
const DefaultName = "configs/default.yaml"
