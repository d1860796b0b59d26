"""bench: the crdt-bench CLI, suites, runner, statistics and reports."""
