import OutpostModel

/// A notice's key as text: the outbox file name and the Message-ID's left part.
struct NoticeKey {
    let resellerId: String
    let notice: DueNotice

    /// The entity id as it is when it is a plain id (it always is); else a hash of it, so names stay safe.
    private var entityPart: String {
        let id = notice.entityId
        let plain = (1...120).contains(id.utf8.count) && id.utf8.allSatisfy { ($0 >= 48 && $0 <= 57) || ($0 >= 65 && $0 <= 90) || ($0 >= 97 && $0 <= 122) || $0 == 45 || $0 == 95 }
        return plain ? id : "x" + String(SHA256.hex(id).prefix(32))
    }

    /// `acme.invoice_due.inv_01….2026-03-03.7.eml`: unique per reseller and notice.
    var fileName: String {
        "\(resellerId).\(notice.kind.rawValue).\(entityPart).\(notice.referenceDate).\(notice.thresholdDays).eml"
    }

    /// The Message-ID's left part: the same for the same notice (a repeat after a crash is recognizably the
    /// same message), a hash so the header stays short; `X-Outpost-Notice` carries the readable key.
    var messageIdLeft: String {
        String(SHA256.hex("\(resellerId).\(notice.kind.rawValue).\(notice.entityId).\(notice.referenceDate).\(notice.thresholdDays)").prefix(32))
    }

    /// What an outbox file name says of its notice, for finding its record: reseller, kind, reference date, threshold.
    static func parse(_ fileName: String) -> (resellerId: String, kind: NoticeKind, referenceDate: String, threshold: Int)? {
        let parts = fileName.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        guard parts.count == 6, parts[5] == "eml", let kind = NoticeKind(rawValue: parts[1]), BusinessDate(parts[3]) != nil,
              let threshold = Int(parts[4]) else { return nil }
        return (parts[0], kind, parts[3], threshold)
    }
}
