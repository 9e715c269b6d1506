import OutpostModel

/// The demo distributor: completes every order at once, issuing license keys
/// that look like a vendor's (five groups of five) and derived from the order
/// id, so the same order always gets the same key.
public struct BuiltInProvisioner: Provisioner {
    public init() {}

    public func provision(_ request: ProvisioningRequest) -> ProvisioningAnswer {
        var details = ProvisioningDetails()
        if request.plan.kind == .license, request.order.type == .sales {
            details.licenseKey = Self.licenseKey(for: request.order.id)
        }
        return .completed(details)
    }

    /// `XXXXX-XXXXX-XXXXX-XXXXX-XXXXX` in Crockford base 32, from a hash of `seed`.
    static func licenseKey(for seed: String) -> String {
        let alphabet = Array("0123456789ABCDEFGHJKMNPQRSTVWXYZ")
        var hasher = SHA256()
        hasher.update("outpost license key " + seed)
        let digest = hasher.finalize()
        var groups: [String] = []
        for group in 0..<5 {
            groups.append(String((0..<5).map { alphabet[Int(digest[group * 5 + $0] & 31)] }))
        }
        return groups.joined(separator: "-")
    }
}
