import OutpostModel
import OutpostStore
import Testing

@Suite("settings.update")
struct SettingsMutationTests {
    func update(_ change: (inout UpdateSettings) -> Void) -> UpdateSettings {
        var mutation = UpdateSettings(baseVersion: 0)
        change(&mutation)
        return mutation
    }

    @Test func aNewReplicaHasTheDefaults() throws {
        try withTestReplica { replica in
            let settings = try ResellerSettings.load(from: replica.db)
            #expect(settings.companyName == "")
            #expect(settings.currency == "EUR")
            #expect(settings.currencyValue == Currency(code: "EUR"))
            #expect(settings.taxRateBp == 0)
            #expect(settings.paymentTermsDays == 30)
            #expect(settings.notifyInvoiceDue == [7, 1])
            #expect(settings.notifyInvoiceOverdue == [30, 7, 1])
            #expect(settings.notifySubscriptionExpiring == [30, 7])
            #expect(settings.notifyDomainExpiring == [60, 30, 7])
            #expect(settings.notifySslExpiring == [30, 14, 7])
            #expect(settings.defaultMarkupBp == 2_500)
            #expect(settings.version == 0)
        }
    }

    @Test func updateEveryField() throws {
        try withTestReplica { replica in
            let mutation = update {
                $0.companyName = "  Northwind Reselling GmbH "
                $0.address = "Marktplatz 1\n10115 Berlin"
                $0.email = "billing@northwind.example"
                $0.phone = "+49 30 1234567"
                $0.taxId = "DE987654321"
                $0.currency = "usd"
                $0.taxRateBp = 1_900
                $0.paymentTermsDays = 14
                $0.notifyInvoiceDue = "1, 7 ,3"
                $0.notifyInvoiceOverdue = "none"
                $0.notifySubscriptionExpiring = ""
                $0.notifyDomainExpiring = "7,7,90"
                $0.notifySslExpiring = "0,365"
            }
            let entry = try submitAccepted(replica, mutation)
            let settings = try ResellerSettings.load(from: replica.db)
            #expect(settings.companyName == "Northwind Reselling GmbH")
            #expect(settings.address == "Marktplatz 1\n10115 Berlin")
            #expect(settings.email == "billing@northwind.example")
            #expect(settings.phone == "+49 30 1234567")
            #expect(settings.taxId == "DE987654321")
            #expect(settings.currency == "USD")
            #expect(settings.taxRateBp == 1_900)
            #expect(settings.paymentTermsDays == 14)
            #expect(settings.notifyInvoiceDue == [7, 3, 1])
            #expect(settings.notifyInvoiceOverdue == [])
            #expect(settings.notifySubscriptionExpiring == [])
            #expect(settings.notifyDomainExpiring == [90, 7])
            #expect(settings.notifySslExpiring == [365, 0])
            // Stored canonically.
            let stored = try #require(try row(replica, "settings", "settings"))
            #expect(stored["notify_invoice_due"] == .text("7,3,1"))
            #expect(stored["notify_invoice_overdue"] == .text(""))
            #expect(stored["notify_domain_expiring"] == .text("90,7"))
            #expect(entry.changes.count == 1)
            #expect(entry.args.contains(#""base_version":0"#))
            #expect(entry.args.contains(#""currency":"usd""#))
        }
    }

    @Test func onlyTheGivenFieldsChange() throws {
        try withTestReplica { replica in
            let entry = try submitAccepted(replica, update { $0.taxRateBp = 2_000 })
            #expect(entry.args == #"{"base_version":0,"tax_rate_bp":2000}"#)
            #expect(entry.changes.first?.changedColumns == ["tax_rate_bp"])
            let settings = try ResellerSettings.load(from: replica.db)
            #expect(settings.taxRateBp == 2_000)
            #expect(settings.paymentTermsDays == 30)
            #expect(settings.currency == "EUR")
        }
    }

    @Test("awkward company names are kept exactly", arguments: awkwardTexts)
    func companyNameStoredExactly(text: String) throws {
        try withTestReplica { replica in
            try submitAccepted(replica, update { $0.companyName = text; $0.address = text })
            let settings = try ResellerSettings.load(from: replica.db)
            #expect(settings.companyName == text)
            #expect(settings.address == text)
        }
    }

    // MARK: currency

    @Test func currencyCanChangeBeforeAnyOrder() throws {
        try withTestReplica { replica in
            try submitAccepted(replica, update { $0.currency = "JPY" })
            #expect(try ResellerSettings.load(from: replica.db).currencyValue.minorDigits == 0)
        }
    }

    @Test func currencyCannotChangeOnceAnOrderExists() throws {
        try withTestReplica { replica in
            try seedCatalog(replica)
            try seedCustomer(replica)
            try submitAccepted(replica, place(TestPlan.seats))
            let refusal = try assertRefusalWritesNothing(replica, update { $0.currency = "USD" }, code: .notAllowed, field: "currency")
            #expect(refusal?.message.contains("EUR") == true)
            // Restating the current currency is not a change.
            try submitAccepted(replica, update { $0.currency = "eur" })
            #expect(try ResellerSettings.load(from: replica.db).currency == "EUR")
        }
    }

    @Test func currencyCannotChangeOnceAnInvoiceExists() throws {
        try withTestReplica { replica in
            try seedCustomer(replica)
            try seedInvoice(replica)
            try assertRefusalWritesNothing(replica, update { $0.currency = "GBP" }, code: .notAllowed, field: "currency")
        }
    }

    @Test("unknown currencies are refused", arguments: ["EUX", "EURO", "", "€", "XXX"])
    func unknownCurrency(code: String) throws {
        try withTestReplica { replica in
            try assertRefusalWritesNothing(replica, update { $0.currency = code }, code: .invalid, field: "currency")
        }
    }

    // MARK: schedules

    @Test("malformed notification schedules are refused", arguments: ["7,x", "7,,1", "-1", "366", "1.5", "7;1", ",", "1000", "seven"])
    func badSchedule(text: String) throws {
        try withTestReplica { replica in
            let refusal = try assertRefusalWritesNothing(replica, update { $0.notifyInvoiceDue = text }, code: .invalid,
                                                         field: "notify_invoice_due")
            #expect(refusal?.message.contains(text) == true)
        }
    }

    @Test func eachScheduleNamesItsOwnField() throws {
        try withTestReplica { replica in
            try assertRefusalWritesNothing(replica, update { $0.notifyInvoiceOverdue = "7,x" }, code: .invalid, field: "notify_invoice_overdue")
            try assertRefusalWritesNothing(replica, update { $0.notifySubscriptionExpiring = "7,x" }, code: .invalid,
                                           field: "notify_subscription_expiring")
            try assertRefusalWritesNothing(replica, update { $0.notifyDomainExpiring = "7,x" }, code: .invalid, field: "notify_domain_expiring")
            try assertRefusalWritesNothing(replica, update { $0.notifySslExpiring = "7,x" }, code: .invalid, field: "notify_ssl_expiring")
        }
    }

    @Test func notificationDaysParseAndFormat() {
        #expect(NotificationDays.parse("30, 7,1") == [30, 7, 1])
        #expect(NotificationDays.parse("1,7,30") == [30, 7, 1])
        #expect(NotificationDays.parse(" 7 , 7 ") == [7])
        #expect(NotificationDays.parse("") == [])
        #expect(NotificationDays.parse("none") == [])
        #expect(NotificationDays.parse("0,365") == [365, 0])
        #expect(NotificationDays.parse("7,x") == nil)
        #expect(NotificationDays.parse("366") == nil)
        #expect(NotificationDays.parse("٧") == nil)
        #expect(NotificationDays.format([30, 7, 1]) == "30,7,1")
        #expect(NotificationDays.format([]) == "")
    }

    // MARK: other refusals

    @Test func otherRefusals() throws {
        try withTestReplica { replica in
            let nothing = try assertRefusalWritesNothing(replica, UpdateSettings(baseVersion: 0), code: .invalid, field: "settings")
            #expect(nothing?.message.contains("nothing to change") == true)
            try assertRefusalWritesNothing(replica, update { $0.companyName = " " }, code: .invalid, field: "company_name")
            try assertRefusalWritesNothing(replica, update { $0.companyName = String(repeating: "c", count: 10_240) },
                                           code: .invalid, field: "company_name")
            try assertRefusalWritesNothing(replica, update { $0.companyName = "North\nwind" }, code: .invalid, field: "company_name")
            try assertRefusalWritesNothing(replica, update { $0.address = "Markt\u{0}platz" }, code: .invalid, field: "address")
            try assertRefusalWritesNothing(replica, update { $0.email = "billing" }, code: .invalid, field: "email")
            try assertRefusalWritesNothing(replica, update { $0.phone = "ask for Bob" }, code: .invalid, field: "phone")
            try assertRefusalWritesNothing(replica, update { $0.taxId = String(repeating: "9", count: 41) }, code: .invalid, field: "tax_id")
            try assertRefusalWritesNothing(replica, update { $0.taxRateBp = 10_001 }, code: .invalid, field: "tax_rate")
            try assertRefusalWritesNothing(replica, update { $0.taxRateBp = -1 }, code: .invalid, field: "tax_rate")
            try assertRefusalWritesNothing(replica, update { $0.paymentTermsDays = 366 }, code: .invalid, field: "payment_terms")
            try assertRefusalWritesNothing(replica, update { $0.paymentTermsDays = -1 }, code: .invalid, field: "payment_terms")
            // One bad field spoils the whole update.
            try assertRefusalWritesNothing(replica, update { $0.companyName = "Fine"; $0.notifyInvoiceDue = "7,x" }, code: .invalid,
                                           field: "notify_invoice_due")
        }
    }

    @Test func theBoundsAreAccepted() throws {
        try withTestReplica { replica in
            try submitAccepted(replica, update { $0.taxRateBp = 10_000; $0.paymentTermsDays = 365 })
            try submitAccepted(replica, update { $0.taxRateBp = 0; $0.paymentTermsDays = 0 })
            let settings = try ResellerSettings.load(from: replica.db)
            #expect(settings.taxRateBp == 0)
            #expect(settings.paymentTermsDays == 0)
            // An empty e-mail clears it.
            try submitAccepted(replica, update { $0.email = "" })
        }
    }
}
