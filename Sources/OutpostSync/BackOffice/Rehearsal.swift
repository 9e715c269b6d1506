import OutpostStore

/// Thrown to roll a rehearsal back once its body has run.
private struct RehearsalRollback: Error {}

extension Tenant {
    /// Runs `body` — the real back-office code, writes and all — in a transaction that is always rolled back,
    /// and returns what it answered: what a real run would do, with nothing written.
    ///
    /// Inside, `Tenant.record` and every other transaction become savepoints of this one
    /// (`Database.transaction` nests), so nothing the body does reaches the disk or the change log.
    func rehearse<T>(_ body: () throws -> T) throws -> T {
        var result: T?
        do {
            try db.transaction {
                result = try body()
                throw RehearsalRollback()
            }
        } catch is RehearsalRollback {}
        guard let result else { preconditionFailure("a rehearsal ended without an answer or an error") }
        return result
    }
}
