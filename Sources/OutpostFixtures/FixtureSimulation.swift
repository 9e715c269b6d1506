import OutpostModel
/// The decisions of the fixture generator: what happens to each customer,
/// subscription, invoice and payment, as plain numbers and dates — no ids and
/// no text. `FixtureRendering` turns them into rows.
///
/// Each customer is simulated from its own random stream (derived from the
/// seed and the customer's index), so the simulation can run twice — once to
/// number orders and invoices in date order, once to write rows — and give
/// the same answers.

/// A reproducible stream of decisions over `RandomSource` (seeded SplitMix64).
struct FixtureRandom {
    let source: RandomSource

    init(_ seed: UInt64) {
        source = RandomSource(seed: seed)
    }

    func next() -> UInt64 { source.next() }

    /// `0..<bound`; `bound` must be positive.
    func below(_ bound: Int) -> Int { source.next(below: bound) }

    /// `lower...upper`, inclusive.
    func between(_ lower: Int, _ upper: Int) -> Int {
        upper <= lower ? lower : lower + below(upper - lower + 1)
    }

    /// `lower...upper`, inclusive.
    func between(_ lower: Int64, _ upper: Int64) -> Int64 {
        upper <= lower ? lower : lower + Int64(next() % UInt64(upper - lower + 1))
    }

    /// True with a probability of `perMille` / 1000.
    func chance(_ perMille: Int) -> Bool { below(1000) < perMille }

    func pick<T>(_ items: [T]) -> T { items[below(items.count)] }

    /// An index chosen with the given (non-negative, not all zero) weights.
    func weighted(_ weights: [Int]) -> Int {
        var roll = below(weights.reduce(0, +))
        for (index, weight) in weights.enumerated() {
            if roll < weight { return index }
            roll -= weight
        }
        return weights.count - 1
    }

    /// Derives an independent seed for one stream (SplitMix64's finalizer, applied twice).
    static func derive(_ seed: UInt64, _ a: UInt64, _ b: UInt64) -> UInt64 {
        func mix(_ value: UInt64) -> UInt64 {
            var z = value &+ 0x9E37_79B9_7F4A_7C15
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        return mix(mix(seed ^ (a &* 0xD1B5_4A32_D192_ED03)) ^ (b &* 0x8CB9_2BA7_2F3D_8DD7))
    }
}

/// How a line's description is written.
enum FixtureLineText {
    case sales, transfer, renewal
    case change(from: Int, to: Int)
    case proratedChange(delta: Int)
    case cancelNow, cancelAtPeriodEnd
}

struct SimOrder {
    var type: Order.OrderType
    var status: Order.Status
    var cancelMode: Order.CancelMode?
    var placedAt: Int64
    var plan: Int
    var quantity: Int
    var unitPrice: Int64
    var unitCost: Int64
    var amount: Int64
    var text: FixtureLineText
    var reason: String
    var periodStart: BusinessDate
    var periodEnd: BusinessDate
}

struct SimPayment {
    var amount: Int64
    var day: BusinessDate
    var recordedAt: Int64
    var status: Payment.Status
    var method: Payment.Method
}

struct SimInvoice {
    var issuedAt: Int64
    var text: FixtureLineText
    var quantity: Int
    var unitPrice: Int64
    /// The one line's amount, which is the subtotal.
    var amount: Int64
    var tax: Int64
    var periodStart: BusinessDate
    var periodEnd: BusinessDate
    /// The total of the credit note against this invoice, if any.
    var credited: Int64 = 0
    /// When the credit note was issued.
    var creditedAt: Int64?
    var payments: [SimPayment] = []

    var total: Int64 { amount + tax }
}

struct SimCredit {
    var issuedAt: Int64
    var subtotal: Int64
    var tax: Int64
    var from: BusinessDate
    var periodEnd: BusinessDate
    var customerClosed: Bool
    /// The index, in the subscription's events, of the event whose invoice is credited.
    var invoiceEvent: Int

    var total: Int64 { subtotal + tax }
}

struct SimEvent {
    var order: SimOrder
    var invoice: SimInvoice?
    var credit: SimCredit?
}

struct SimSubscription {
    var plan: Int
    var transfer: Bool
    var createdAt: Int64
    var status: Subscription.Status
    var quantity: Int
    var unitPrice: Int64
    var unitCost: Int64
    var periodStart: BusinessDate
    var periodEnd: BusinessDate
    var autoRenew: Bool
    var cancelAtPeriodEnd: Bool
    /// Ended by an immediate cancellation (SSL: revoked).
    var cancelledNow: Bool
    /// The sales (or transfer) order first, then renewals, changes and cancellation in time order.
    var events: [SimEvent]
}

struct SimCustomer {
    var createdAt: Int64
    var status: Customer.Status
    /// When it was suspended or closed; `Int64.max` while active.
    var statusAt: Int64
    var userCount: Int
    var subscriptions: [SimSubscription]
    /// Sales orders without a subscription: failed, or still in the provisioning queue.
    var extraOrders: [SimOrder]
}

/// Everything the simulation and the rendering share: the catalog, prices, dates, names.
struct FixtureWorld: Sendable {
    static let day: Int64 = 86_400
    static let hour: Int64 = 3_600

    let seed: UInt64
    let customerCount: Int
    let asOf: BusinessDate
    /// The data set's "now": `asOf` at 17:00 UTC. Nothing happens later.
    let now: Int64
    /// The first day of the data set: three years before `asOf`.
    let firstDay: BusinessDate
    let plans: [Plan]
    let names: NameLists
    let currency: String
    let taxRateBp: Int
    let paymentTermsDays = 30
    /// Per plan index: the markup in force and the sale price.
    let markups: [Int]
    let prices: [Int64]
    /// Per-plan price rules, in the order they are written.
    let priceRules: [(plan: Int, markup: Int)]
    /// Available and discontinued plan indices per kind (`Plan.Kind.allCases` order).
    let availableByKind: [[Int]]
    let discontinuedByKind: [[Int]]
    /// Per plan index: the annual variant of a monthly plan, if the catalog has one.
    let annualVariant: [Int?]
    let companyCountry: String

    init(seed: UInt64, customers: Int, asOf: BusinessDate, plans: [Plan], names: NameLists) throws {
        self.seed = seed
        self.customerCount = customers
        self.asOf = asOf
        self.now = Int64(asOf.daysSinceEpoch) * Self.day + 17 * Self.hour
        self.firstDay = asOf.adding(months: -36)
        self.plans = plans
        self.names = names
        guard let first = plans.first else { throw CatalogError("the catalog has no plans") }
        self.currency = first.currency
        if let other = plans.first(where: { $0.currency != first.currency }) {
            throw CatalogError("plan \(other.id) is priced in \(other.currency), the others in \(first.currency)")
        }
        companyCountry = names.cities.contains { $0.country == "DE" } ? "DE" : names.cities[0].country
        taxRateBp = companyCountry == "DE" ? 1_900 : 2_000
        var available = Array(repeating: [Int](), count: Plan.Kind.allCases.count)
        var discontinued = available
        for (index, plan) in plans.enumerated() {
            let kind = Plan.Kind.allCases.firstIndex(of: plan.kind)!
            if plan.available { available[kind].append(index) } else { discontinued[kind].append(index) }
        }
        guard available.contains(where: { !$0.isEmpty }) else { throw CatalogError("the catalog has no available plans") }
        availableByKind = available
        discontinuedByKind = discontinued
        // `pln_x-m` → `pln_x-a` when the catalog sells both terms.
        annualVariant = plans.indices.map { index in
            let id = plans[index].id
            guard plans[index].billingPeriod == .monthly, id.hasSuffix("-m") else { return nil }
            let annual = String(id.dropLast(2)) + "-a"
            return plans.firstIndex { $0.id == annual && $0.available && $0.billingPeriod == .annual }
        }

        // A few per-plan price rules over the 25 % default, chosen by the seed.
        let random = FixtureRandom(FixtureRandom.derive(seed, 0, 1))
        var candidates = plans.indices.filter { plans[$0].available }
        var rules: [(plan: Int, markup: Int)] = []
        let ruleMarkups = [1_500, 2_000, 3_000, 3_500, 4_000, 5_000]
        for _ in 0..<min(4, candidates.count) {
            let plan = candidates.remove(at: random.below(candidates.count))
            rules.append((plan, random.pick(ruleMarkups)))
        }
        rules.sort { plans[$0.plan].id < plans[$1.plan].id }
        priceRules = rules
        var markups = Array(repeating: Pricing.defaultMarkup, count: plans.count)
        for rule in rules { markups[rule.plan] = rule.markup }
        self.markups = markups
        prices = try plans.indices.map { try Pricing.salePrice(cost: plans[$0].cost, markup: markups[$0]) }
    }

    /// The instant `seconds` after midnight UTC of `day`.
    func at(_ day: BusinessDate, _ seconds: Int) -> Int64 {
        Int64(day.daysSinceEpoch) * Self.day + Int64(seconds)
    }

    /// The UTC date of an instant.
    func day(_ instant: Int64) -> BusinessDate {
        BusinessDate(daysSinceEpoch: Int(instant / Self.day))
    }

    func tax(_ subtotal: Int64) -> Int64 { Invoicing.tax(on: subtotal, rateBp: taxRateBp) }

    // MARK: Customers

    private enum Payer { case prompt, slow, late }

    /// The whole history of customer `index`.
    func simulateCustomer(_ index: Int) -> SimCustomer {
        let random = FixtureRandom(FixtureRandom.derive(seed, UInt64(index), 1))
        // Customers join in index order, spread evenly over the three years
        // (each in its own slot of time, mapped into office hours 08:00-18:00).
        let span = Int64(firstDay.days(until: asOf)) * Self.day
        let count = Int64(max(customerCount, 1))
        let slot = span / count
        let offset = Int64(index) * span / count + (slot > 1 ? random.between(0, slot - 1) : 0)
        let createdDay = firstDay.adding(days: Int(offset / Self.day))
        let createdAt = at(createdDay, 8 * 3_600 + Int(offset % Self.day * 10 / 24))
        let ageDays = createdDay.days(until: asOf)

        var status = Customer.Status.active
        var statusAt = Int64.max
        let roll = random.below(1_000)
        if roll < 60, ageDays >= 120 {
            status = .closed
            statusAt = random.between(createdAt + 90 * Self.day, now - Self.day)
        } else if roll < 130, ageDays >= 60 {
            status = .suspended
            statusAt = random.between(max(createdAt + 45 * Self.day, now - 60 * Self.day), now - 2 * Self.hour)
        }
        let payer: Payer = [Payer.prompt, .slow, .late][random.weighted([78, 16, 6])]
        let method: Payment.Method = [Payment.Method.bankTransfer, .directDebit, .card, .check, .other][random.weighted([45, 25, 25, 3, 2])]
        let userCount = random.weighted([30, 40, 20, 10])
        let subscriptionCount = 1 + random.weighted([35, 30, 20, 15])
        // Orders of a suspended or closed customer were placed at least a week before.
        let latest = status == .active ? now - 60 : statusAt - 7 * Self.day

        var customer = SimCustomer(createdAt: createdAt, status: status, statusAt: statusAt, userCount: userCount,
                                   subscriptions: [], extraOrders: [])
        for number in 0..<subscriptionCount {
            let placedAt = number == 0
                ? min(createdAt + 600 + Int64(random.below(14 * 86_400)), latest)
                : random.between(createdAt + 600, latest)
            let plan = choosePlan(random, placedAt: placedAt)
            let kind = plans[plan].kind
            let quantity = chooseQuantity(random, kind: kind)
            let transfer = kind == .domain && random.chance(120)
            let completedAt = placedAt + provisioningDelay(random, plan: plan, transfer: transfer)
            if completedAt > now {
                customer.extraOrders.append(openOrder(random, plan: plan, quantity: quantity, transfer: transfer, placedAt: placedAt))
                continue
            }
            customer.subscriptions.append(simulateSubscription(
                random, customer: customer, plan: plan, quantity: quantity, transfer: transfer,
                placedAt: placedAt, completedAt: completedAt))
        }
        if random.chance(25) {
            // An order the vendor refused.
            let placedAt = random.between(createdAt + 600, latest)
            let plan = choosePlan(random, placedAt: placedAt)
            var order = salesOrder(plan: plan, quantity: chooseQuantity(random, kind: plans[plan].kind), transfer: false, placedAt: placedAt)
            order.status = .failed
            order.reason = failureReason(plans[plan].kind)
            customer.extraOrders.append(order)
        }
        if status == .active, random.chance(35) {
            // A fresh order still in the provisioning queue.
            let placedAt = max(createdAt + 600, now - Int64(random.below(40 * 3_600)) - 60)
            let plan = choosePlan(random, placedAt: placedAt)
            let kind = plans[plan].kind
            customer.extraOrders.append(openOrder(random, plan: plan, quantity: chooseQuantity(random, kind: kind),
                                                  transfer: kind == .domain && random.chance(150), placedAt: placedAt))
        }
        // Payments last: an invoice's credit note (from a later cancellation) lowers what is payable.
        for s in customer.subscriptions.indices {
            for e in customer.subscriptions[s].events.indices {
                guard let invoice = customer.subscriptions[s].events[e].invoice else { continue }
                let payments = simulatePayments(random, invoice: invoice, customer: customer, payer: payer, method: method)
                customer.subscriptions[s].events[e].invoice?.payments = payments
            }
        }
        return customer
    }

    private func choosePlan(_ random: FixtureRandom, placedAt: Int64) -> Int {
        let weights = Plan.Kind.allCases.enumerated().map { index, kind -> Int in
            guard !availableByKind[index].isEmpty else { return 0 }
            switch kind {
            case .subscription: return 58
            case .domain: return 20
            case .ssl: return 10
            case .license: return 12
            }
        }
        let kind = random.weighted(weights)
        // Discontinued plans were still sold more than a year before.
        if !discontinuedByKind[kind].isEmpty, placedAt < now - 400 * Self.day, random.chance(60) {
            return random.pick(discontinuedByKind[kind])
        }
        let plan = random.pick(availableByKind[kind])
        // Monthly commitments are the newer business: most older orders took the annual term.
        if plans[plan].billingPeriod == .monthly, placedAt < now - 365 * Self.day, random.chance(700) {
            if let annual = annualVariant[plan] { return annual }
            let annuals = availableByKind[kind].filter { plans[$0].billingPeriod == .annual }
            if !annuals.isEmpty { return random.pick(annuals) }
        }
        return plan
    }

    private func chooseQuantity(_ random: FixtureRandom, kind: Plan.Kind) -> Int {
        switch kind {
        case .subscription: return [1, 2, 3, 5, 8, 10, 15, 25, 50][random.weighted([22, 14, 14, 16, 10, 10, 7, 5, 2])]
        case .license: return 1 + random.weighted([70, 20, 7, 3])
        case .domain, .ssl: return 1
        }
    }

    /// Seconds from placing an order to the vendor completing it.
    private func provisioningDelay(_ random: FixtureRandom, plan: Int, transfer: Bool) -> Int64 {
        let plan = plans[plan]
        switch plan.kind {
        case .subscription: return random.between(120, 1_800)
        case .license: return random.between(300, 7_200)
        case .domain: return transfer ? random.between(3 * Self.day, 6 * Self.day) : random.between(300, 3_600)
        case .ssl:
            switch plan.sslValidation ?? .dv {
            case .dv: return random.between(600, 4 * Self.hour)
            case .ov: return random.between(Self.day, 3 * Self.day)
            case .ev: return random.between(2 * Self.day, 6 * Self.day)
            }
        }
    }

    private func failureReason(_ kind: Plan.Kind) -> String {
        switch kind {
        case .subscription: return "Vendor rejected the order: the customer's tenant could not be created"
        case .domain: return "Registry refused the registration: the domain name is not available"
        case .ssl: return "Certificate authority rejected the request: domain control validation failed"
        case .license: return "Vendor API error: no licenses left in the distributor pool"
        }
    }

    private func salesOrder(plan: Int, quantity: Int, transfer: Bool, placedAt: Int64) -> SimOrder {
        let start = day(placedAt)
        let end = start.adding(months: plans[plan].billingPeriod.months)
        return SimOrder(type: transfer ? .transfer : .sales, status: .completed, cancelMode: nil, placedAt: placedAt, plan: plan,
                        quantity: quantity, unitPrice: prices[plan], unitCost: plans[plan].cost,
                        amount: prices[plan] * Int64(quantity), text: transfer ? .transfer : .sales, reason: "",
                        periodStart: start, periodEnd: end)
    }

    private func openOrder(_ random: FixtureRandom, plan: Int, quantity: Int, transfer: Bool, placedAt: Int64) -> SimOrder {
        var order = salesOrder(plan: plan, quantity: quantity, transfer: transfer, placedAt: placedAt)
        order.status = random.chance(450) ? .submitted : .provisioning
        if order.status == .provisioning {
            if transfer {
                order.reason = "Waiting for the current registrar to release the domain"
            } else if let validation = plans[plan].sslValidation, validation != .dv {
                order.reason = "Waiting for the certificate authority's organization validation"
            }
        }
        return order
    }

    // MARK: Subscriptions

    private func simulateSubscription(_ random: FixtureRandom, customer: SimCustomer, plan: Int, quantity: Int, transfer: Bool,
                                      placedAt: Int64, completedAt: Int64) -> SimSubscription {
        let kind = plans[plan].kind
        let months = plans[plan].billingPeriod.months
        let unitPrice = prices[plan]
        let unitCost = plans[plan].cost
        let seatBased = kind == .subscription || kind == .license
        let startDay = day(completedAt)

        let autoRenew: Bool
        switch kind {
        case .subscription: autoRenew = !random.chance(40)
        case .domain: autoRenew = !random.chance(100)
        case .ssl: autoRenew = !random.chance(200)
        case .license: autoRenew = !random.chance(120)
        }
        let lifetime = autoRenew ? Int.max : 1 + random.below(3)

        var cancelAt: Int64?
        var cancelMode = Order.CancelMode.periodEnd
        if customer.status == .closed {
            cancelAt = customer.statusAt - random.between(600, 3_600)
            cancelMode = .now
        } else if seatBased, random.chance(90) {
            let low = completedAt + Self.day
            let high = min(customer.statusAt, now) - Self.hour
            if low < high {
                cancelAt = random.between(low, high)
                cancelMode = random.chance(400) ? .now : .periodEnd
            }
        }
        let suspendAt = customer.status == .suspended ? customer.statusAt : Int64.max
        var changeAt: Int64?
        var delta = 0
        if seatBased, random.chance(120) {
            let low = completedAt + Self.day
            let high = min(cancelAt ?? Int64.max, suspendAt, now) - Self.hour
            if low < high {
                changeAt = random.between(low, high)
                delta = 1 + random.below(kind == .license ? 2 : 5)
            }
        }

        var quantity = quantity
        var periodStart = startDay
        var periodEnd = startDay.adding(months: months)
        var sales = salesOrder(plan: plan, quantity: quantity, transfer: transfer, placedAt: placedAt)
        sales.periodStart = periodStart
        sales.periodEnd = periodEnd
        var events = [SimEvent(order: sales, invoice: invoice(at: completedAt, text: sales.text, quantity: quantity, unitPrice: unitPrice,
                                                              start: periodStart, end: periodEnd))]
        var base = 0
        var renewals = 0
        enum End { case running, cancelledNow, cancelledAtPeriodEnd, suspended, expired }
        var end = End.running
        while true {
            let renewalAt = at(periodEnd, 2 * 3_600 + random.below(3_600))
            if let at = changeAt, at < renewalAt {
                changeAt = nil
                let completed = at + random.between(60, 900)
                let from = day(completed)
                if from.days(until: periodEnd) >= 2 {
                    var order = SimOrder(type: .change, status: .completed, cancelMode: nil, placedAt: at, plan: plan, quantity: delta,
                                         unitPrice: unitPrice, unitCost: unitCost, amount: unitPrice * Int64(delta),
                                         text: .change(from: quantity, to: quantity + delta), reason: "",
                                         periodStart: periodStart, periodEnd: periodEnd)
                    let prorated = Proration.amount(unitPrice * Int64(delta), from: from, periodStart: periodStart, periodEnd: periodEnd)
                    var charge: SimInvoice?
                    if prorated > 0 {
                        charge = SimInvoice(issuedAt: completed, text: .proratedChange(delta: delta), quantity: delta, unitPrice: unitPrice,
                                            amount: prorated, tax: tax(prorated), periodStart: from, periodEnd: periodEnd)
                    }
                    order.periodStart = from
                    events.append(SimEvent(order: order, invoice: charge, credit: nil))
                    quantity += delta
                }
            }
            if let at = cancelAt, cancelMode == .now, at < renewalAt { end = .cancelledNow; break }
            if renewalAt > now { end = .running; break }
            if let at = cancelAt, at < renewalAt { end = .cancelledAtPeriodEnd; break }
            if suspendAt < renewalAt { end = .suspended; break }
            if renewals + 1 >= lifetime { end = .expired; break }
            renewals += 1
            periodStart = periodEnd
            periodEnd = startDay.adding(months: months * (renewals + 1))
            let issuedAt = renewalAt + random.between(60, 900)
            let order = SimOrder(type: .renewal, status: .completed, cancelMode: nil, placedAt: renewalAt, plan: plan, quantity: quantity,
                                 unitPrice: unitPrice, unitCost: unitCost, amount: unitPrice * Int64(quantity), text: .renewal, reason: "",
                                 periodStart: periodStart, periodEnd: periodEnd)
            events.append(SimEvent(order: order, invoice: invoice(at: issuedAt, text: .renewal, quantity: quantity, unitPrice: unitPrice,
                                                                  start: periodStart, end: periodEnd)))
            base = events.count - 1
        }

        var status = Subscription.Status.active
        var cancelAtPeriodEnd = false
        var cancelledNow = false
        switch end {
        case .cancelledNow:
            let at = cancelAt!
            let from = day(at)
            let credit = Proration.amount(events[base].invoice!.amount, from: from, periodStart: periodStart, periodEnd: periodEnd)
            let order = SimOrder(type: .cancellation, status: .completed, cancelMode: .now, placedAt: at, plan: plan, quantity: -quantity,
                                 unitPrice: unitPrice, unitCost: unitCost, amount: -credit, text: .cancelNow, reason: "",
                                 periodStart: periodStart, periodEnd: periodEnd)
            var note: SimCredit?
            if credit > 0 {
                let issuedAt = at + random.between(300, 1_800)
                note = SimCredit(issuedAt: issuedAt, subtotal: credit, tax: tax(credit), from: from, periodEnd: periodEnd,
                                 customerClosed: customer.status == .closed, invoiceEvent: base)
                events[base].invoice!.credited = note!.total
                events[base].invoice!.creditedAt = issuedAt
            }
            events.append(SimEvent(order: order, invoice: nil, credit: note))
            status = .cancelled
            cancelledNow = true
        case .cancelledAtPeriodEnd, .running:
            if let at = cancelAt {
                let order = SimOrder(type: .cancellation, status: .completed, cancelMode: .periodEnd, placedAt: at, plan: plan,
                                     quantity: -quantity, unitPrice: unitPrice, unitCost: unitCost, amount: 0, text: .cancelAtPeriodEnd,
                                     reason: "", periodStart: periodStart, periodEnd: periodEnd)
                events.append(SimEvent(order: order, invoice: nil, credit: nil))
                cancelAtPeriodEnd = true
            }
            if end == .cancelledAtPeriodEnd {
                status = .cancelled
            } else if customer.status == .suspended {
                status = .suspended
            } else if seatBased, cancelAt == nil, random.chance(15) {
                // A seat change the vendor has not confirmed yet.
                let last = events.last!.order.placedAt
                let placedAt = max(last + Self.hour, now - Int64(random.below(48 * 3_600)) - 60)
                if placedAt < now {
                    let change = quantity > 1 && random.chance(400) ? -random.between(1, min(3, quantity - 1)) : random.between(1, 3)
                    var order = SimOrder(type: .change, status: random.chance(500) ? .submitted : .provisioning, cancelMode: nil,
                                         placedAt: placedAt, plan: plan, quantity: change, unitPrice: unitPrice, unitCost: unitCost,
                                         amount: unitPrice * Int64(change), text: .change(from: quantity, to: quantity + change),
                                         reason: "", periodStart: periodStart, periodEnd: periodEnd)
                    if order.status == .provisioning { order.reason = "Waiting for the vendor to confirm the seat change" }
                    events.append(SimEvent(order: order, invoice: nil, credit: nil))
                }
            }
        case .suspended:
            status = .suspended
        case .expired:
            status = .expired
        }
        return SimSubscription(plan: plan, transfer: transfer, createdAt: completedAt, status: status, quantity: quantity,
                               unitPrice: unitPrice, unitCost: unitCost, periodStart: periodStart, periodEnd: periodEnd,
                               autoRenew: autoRenew, cancelAtPeriodEnd: cancelAtPeriodEnd, cancelledNow: cancelledNow, events: events)
    }

    private func invoice(at issuedAt: Int64, text: FixtureLineText, quantity: Int, unitPrice: Int64,
                         start: BusinessDate, end: BusinessDate) -> SimInvoice {
        let amount = unitPrice * Int64(quantity)
        return SimInvoice(issuedAt: issuedAt, text: text, quantity: quantity, unitPrice: unitPrice, amount: amount, tax: tax(amount),
                          periodStart: start, periodEnd: end)
    }

    // MARK: Payments

    /// The payments received for one invoice by `asOf`; their completed sum never exceeds what is payable.
    private func simulatePayments(_ random: FixtureRandom, invoice: SimInvoice, customer: SimCustomer, payer: Payer,
                                  method: Payment.Method) -> [SimPayment] {
        let payable = invoice.total - invoice.credited
        guard payable > 0 else { return [] }
        // Money arrives after the invoice, and after its credit note (which lowered what is owed).
        let notBefore = max(invoice.issuedAt, invoice.creditedAt ?? invoice.issuedAt) + 300
        let earliest = day(notBefore)
        enum Outcome { case full, partial, unpaid }
        let outcome: Outcome
        if customer.status == .suspended, invoice.issuedAt > customer.statusAt - 75 * Self.day {
            outcome = .unpaid
        } else {
            switch payer {
            case .prompt: outcome = [Outcome.full, .partial, .unpaid][random.weighted([960, 20, 20])]
            case .slow: outcome = [Outcome.full, .partial, .unpaid][random.weighted([800, 80, 120])]
            case .late: outcome = [Outcome.full, .partial, .unpaid][random.weighted([450, 150, 400])]
            }
        }
        let delay: Int
        switch (method, payer) {
        case (.directDebit, _): delay = random.between(2, 6)
        case (.card, _): delay = random.between(0, 3)
        case (_, .prompt): delay = random.between(3, 25)
        case (_, .slow): delay = random.between(20, 60)
        case (_, .late): delay = random.between(30, 95)
        }
        let first = earliest.adding(days: delay)
        var payments: [SimPayment] = []
        func add(_ amount: Int64, on day: BusinessDate, status: Payment.Status = .completed) {
            guard amount > 0, day <= asOf else { return }
            let recordedAt = max(at(day, 9 * 3_600 + random.below(8 * 3_600)), notBefore, payments.last.map { $0.recordedAt + 60 } ?? 0)
            guard recordedAt <= now else { return }
            var status = status
            if status == .completed, method == .directDebit, day.days(until: asOf) < 3 { status = .pending }
            payments.append(SimPayment(amount: amount, day: self.day(recordedAt), recordedAt: recordedAt, status: status, method: method))
        }
        switch outcome {
        case .full:
            if (method == .card || method == .directDebit), random.chance(30) {
                add(payable, on: first, status: .failed)
                add(payable, on: first.adding(days: random.between(1, 7)))
            } else if payable >= 100, random.chance(60) {
                let part = payable * Int64(random.between(30, 70)) / 100
                add(part, on: first)
                if first <= asOf { add(payable - part, on: first.adding(days: random.between(7, 30))) }
            } else {
                add(payable, on: first)
            }
        case .partial:
            add(max(1, payable * Int64(random.between(20, 80)) / 100), on: first)
        case .unpaid:
            if method == .card || method == .directDebit, random.chance(250) { add(payable, on: earliest.adding(days: 3), status: .failed) }
        }
        return payments
    }
}
