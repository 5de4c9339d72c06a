//go:build unix && !linux

package engine

// mapNoReserve is 0 where MAP_NORESERVE is not portable; the mapping is
// still committed lazily, but may count against swap reservations.
const mapNoReserve = 0
