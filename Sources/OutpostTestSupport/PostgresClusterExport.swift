// The throwaway PostgreSQL cluster lives in a target of its own so that outpost-bench can start one without
// linking the tests' support (which may import Testing); the tests keep reaching it through this module.
@_exported import OutpostPostgresCluster
