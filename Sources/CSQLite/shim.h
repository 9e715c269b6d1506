#include <sqlite3.h>

// SQLITE_TRANSIENT is a macro casting -1 to a function pointer, which Swift
// cannot import; bindings use this copy instead.
static inline sqlite3_destructor_type csqlite_transient(void) {
    return SQLITE_TRANSIENT;
}

// sqlite3_config is variadic, which Swift cannot call. Turns off SQLite's counting of the memory it allocates,
// which takes a global mutex on every allocation: SQLite's own advice for speed (SQLITE_DEFAULT_MEMSTATUS=0).
// Only has effect before SQLite initialises (the first sqlite3_open); SQLITE_MISUSE after.
static inline int csqlite_disable_memstatus(void) {
    return sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
}
