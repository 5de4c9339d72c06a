package procedural

// builtins lists the built-in generators; each generator file adds its
// constructor here.
func builtins() []Generator {
	return []Generator{
		NewCapo(),
		NewKHop(),
		NewMano(),
		NewMultihop(),
	}
}
