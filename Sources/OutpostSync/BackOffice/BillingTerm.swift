import OutpostModel

/// How long a subscription's billing periods last and where the next one ends.
enum BillingTerm {
    /// Months in one period: the plan's billing period; a domain is ordered (and renewed) by the year, `quantity` years at a time.
    static func months(plan: Plan, quantity: Int) -> Int {
        plan.kind == .domain ? 12 * max(1, quantity) : plan.billingPeriod.months
    }

    /// The end of the period that follows one ending on `periodEnd`.
    ///
    /// Periods are counted from the day the subscription started, so a
    /// subscription from January 31 renews on February 28 and then March 31,
    /// instead of drifting to the 28th for good.
    static func nextEnd(after periodEnd: BusinessDate, months: Int, anchor: BusinessDate) -> BusinessDate {
        let (ay, am, _) = anchor.parts
        let (ey, em, _) = periodEnd.parts
        let elapsed = (ey * 12 + em) - (ay * 12 + am)
        guard elapsed > 0, anchor.adding(months: elapsed) == periodEnd else { return periodEnd.adding(months: months) }
        return anchor.adding(months: elapsed + months)
    }
}
