/// Charges and credits for part of a billing period, by day.
public enum Proration {
    /// `amount × remainingDays / periodDays`, rounded half away from zero.
    ///
    /// Used for seat increases (charged for the rest of the period) and
    /// immediate cancellations (credited for the rest of the period).
    public static func amount(_ amount: Int64, from date: BusinessDate, periodStart: BusinessDate, periodEnd: BusinessDate) -> Int64 {
        let periodDays = periodStart.days(until: periodEnd)
        guard periodDays > 0 else { return 0 }
        let remaining = max(0, min(periodDays, date.days(until: periodEnd)))
        let product = amount.multipliedFullWidth(by: Int64(remaining))
        let (q, r) = Int64(periodDays).dividingFullWidth((high: product.high, low: product.low))
        if r.magnitude * 2 >= UInt64(periodDays) { return q + (amount < 0 ? -1 : 1) }
        return q
    }
}
