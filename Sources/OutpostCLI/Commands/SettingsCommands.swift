import Foundation
import OutpostModel

/// `settings show|set`: company details, billing defaults, notification schedules.
enum SettingsCommands {
    static let all: [CommandSpec] = [show, set]

    static let show = CommandSpec(
        ["settings", "show"], "show company settings and notification schedules",
        printsJSON: true,
        run: { invocation, session in
            let replica = try session.openReplica(invocation)
            let s = try ResellerSettings.load(from: replica.db)
            if invocation.json { return try JSONOutput.print(s, to: session) }
            func days(_ list: [Int]) -> String { list.isEmpty ? "off" : list.map { "\($0)" }.joined(separator: ", ") + " day(s)" }
            session.print("Company:        \(s.companyName.isEmpty ? "(not set)" : s.companyName)")
            if !s.address.isEmpty { session.print("Address:        \(s.address)") }
            if !s.email.isEmpty { session.print("E-mail:         \(s.email)") }
            if !s.phone.isEmpty { session.print("Phone:          \(s.phone)") }
            if !s.taxId.isEmpty { session.print("Tax id:         \(s.taxId)") }
            session.print("Currency:       \(s.currency)")
            session.print("Tax rate:       \(Format.percent(s.taxRateBp))")
            session.print("Payment terms:  \(s.paymentTermsDays) day(s)")
            session.print("Default markup: \(Format.percent(s.defaultMarkupBp)) on cost (\(Format.percent(Pricing.margin(forMarkup: s.defaultMarkupBp))) margin on price)")
            session.print("Bill ahead:     at most \(s.advanceBillingDays) day(s) past today (node bill --through)")
            let own = try OwnPurchases.load(from: replica.db)
            session.print("Own purchases:  \(own.activeSubscriptions) active subscription(s) at cost, \(Format.money(own.costPerMonth, own.currency)) per month (outpost own list)")
            session.print("")
            session.print("Notifications:")
            session.print("  invoice due in:            \(days(s.notifyInvoiceDue))")
            session.print("  invoice overdue by:        \(days(s.notifyInvoiceOverdue))")
            session.print("  subscription expiring in:  \(days(s.notifySubscriptionExpiring))")
            session.print("  domain expiring in:        \(days(s.notifyDomainExpiring))")
            session.print("  SSL certificate expiring:  \(days(s.notifySslExpiring))")
        })

    static let set = CommandSpec(
        ["settings", "set"], "change company settings, tax, payment terms, the advance-billing window or notification schedules",
        options: [
            .init("company-name", value: "NAME", "company name"),
            .init("address", value: "TEXT", "company address"),
            .init("email", value: "EMAIL", "company e-mail"),
            .init("phone", value: "PHONE", "company phone"),
            .init("tax-id", value: "ID", "company VAT or tax number"),
            .init("currency", value: "CODE", "ISO 4217 currency (only before the first order)"),
            .init("tax-rate", value: "PERCENT", "tax added to invoices, like 19 or 20"),
            .init("payment-terms", value: "DAYS", "days from invoice to due date"),
            .init("advance-billing-days", value: "DAYS", "how far past today the node's billing run may reach, 0 to 366 (default 14)"),
            .init("notify-invoice-due", value: "DAYS", "notify N days before an invoice is due, like 7,1 (or none)"),
            .init("notify-invoice-overdue", value: "DAYS", "notify N days after the due date, like 1,7,30"),
            .init("notify-subscription-expiring", value: "DAYS", "notify N days before a subscription ends"),
            .init("notify-domain-expiring", value: "DAYS", "notify N days before a domain expires"),
            .init("notify-ssl-expiring", value: "DAYS", "notify N days before an SSL certificate expires"),
        ],
        printsJSON: true,
        run: { invocation, session in
            let replica = try session.openReplica(invocation)
            let current = try ResellerSettings.load(from: replica.db)
            var mutation = UpdateSettings(baseVersion: current.version)
            mutation.companyName = invocation.value("company-name")
            mutation.address = invocation.value("address")
            mutation.email = invocation.value("email")
            mutation.phone = invocation.value("phone")
            mutation.taxId = invocation.value("tax-id")
            mutation.currency = invocation.value("currency")
            mutation.taxRateBp = try invocation.value("tax-rate").map { try OptionValue.percent($0, option: "tax-rate") }
            mutation.paymentTermsDays = try invocation.value("payment-terms").map { try OptionValue.integer($0, option: "payment-terms") }
            mutation.advanceBillingDays = try invocation.value("advance-billing-days").map {
                try OptionValue.integer($0, option: "advance-billing-days")
            }
            mutation.notifyInvoiceDue = invocation.value("notify-invoice-due")
            mutation.notifyInvoiceOverdue = invocation.value("notify-invoice-overdue")
            mutation.notifySubscriptionExpiring = invocation.value("notify-subscription-expiring")
            mutation.notifyDomainExpiring = invocation.value("notify-domain-expiring")
            mutation.notifySslExpiring = invocation.value("notify-ssl-expiring")
            guard !invocation.values.keys.filter({ $0 != "replica" }).isEmpty else {
                throw UsageError(message: "nothing to change: give at least one setting, like --company-name NAME", command: invocation.command.name)
            }
            try replica.submitAndReport(mutation, id: "settings", session: session, json: invocation.json, summary: "Settings updated")
        })
}
