import Foundation
import OutpostModel
import OutpostStore
import Testing

/// Migration v12 adds the replica's kept acknowledged mutations (sync/PROTOCOL.md 6.6). A replica that
/// upgrades with acknowledged mutations still queued (their effect not pulled yet) keeps them from then on,
/// so a node restored from an older backup still gets them again.
@Suite("Kept acknowledged mutations across the v12 migration")
struct KeptAcknowledgedMigrationTests {
    @Test func acknowledgedQueuedMutationsAreKeptByTheStep() throws {
        try withDatabase(before: "v12: kept acknowledged mutations") { db in
            // Acknowledged (version 7), sent without an answer yet, not sent at all.
            for (seq, pushSeq, ackedVersion) in [(1, Int64?(1), Int64?(7)), (2, 2, nil), (3, nil, nil)] as [(Int64, Int64?, Int64?)] {
                try db.execute("""
                    INSERT INTO queue (seq, mutation, mutation_version, args, created_at, changes, push_seq, acked_version)
                    VALUES (?, 'customer.create', 1, '{"id":"cus_A","name":"Contoso"}', '2026-03-02T09:00:00Z', '[]', ?, ?)
                    """, [seq, pushSeq, ackedVersion])
            }

            try Schema.migrate(db)

            let kept = try db.rows("SELECT push_seq, seq, status, acked_version, created_at FROM acknowledged_mutation")
            #expect(kept.count == 1, "only the acknowledged one is kept")
            #expect(try kept.first?.int64("push_seq") == 1)
            #expect(try kept.first?.string("status") == "applied")
            #expect(try kept.first?.optionalInt64("acked_version") == 7)
            #expect(try kept.first?.string("created_at") == "2026-03-02T09:00:00Z", "with its original instant")
            #expect(try db.scalar("SELECT count(*) FROM queue")?.int64 == 3, "the queue is untouched")
        }
    }
}
