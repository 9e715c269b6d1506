/// Integer-only number text for charts: no `Double` description noise, the same bytes on every machine.
enum ChartNumber {
    /// `1234567` → `1,234,567`.
    static func grouped(_ value: Int64) -> String {
        let digits = String(value.magnitude)
        var out = ""
        for (index, character) in digits.enumerated() {
            if index > 0, (digits.count - index) % 3 == 0 { out.append(",") }
            out.append(character)
        }
        return (value < 0 ? "-" : "") + out
    }

    /// A coordinate kept in hundredths of a viewBox unit, written with exactly two decimals: `12345` → `123.45`.
    static func fixed(_ hundredths: Int64) -> String {
        let magnitude = hundredths.magnitude
        let fraction = magnitude % 100
        return (hundredths < 0 ? "-" : "") + String(magnitude / 100) + "." + (fraction < 10 ? "0" : "") + String(fraction)
    }

    /// `value × numerator / denominator` rounded half away from zero (denominator > 0), without intermediate overflow.
    static func scale(_ value: Int64, _ numerator: Int64, _ denominator: Int64) -> Int64 {
        let negative = (value < 0) != (numerator < 0)
        let product = value.magnitude.multipliedFullWidth(by: numerator.magnitude)
        let divisor = UInt64(max(1, denominator))
        // Callers keep |value| ≤ denominator, so the quotient fits; clamp defensively anyway.
        guard product.high < divisor else { return negative ? -Int64.max : Int64.max }
        var (quotient, remainder) = divisor.dividingFullWidth(product)
        if remainder * 2 >= divisor { quotient += 1 }
        let clamped = Int64(min(quotient, UInt64(Int64.max)))
        return negative ? -clamped : clamped
    }

    /// A "nice" tick step (1, 2 or 5 × 10ⁿ) so that `span` needs at most `ticks` steps.
    static func niceStep(span: Int64, ticks: Int64) -> Int64 {
        let raw = max(1, (span.magnitude + UInt64(ticks) - 1) / UInt64(ticks))
        var power: UInt64 = 1
        while true {
            for factor: UInt64 in [1, 2, 5] {
                let (step, overflow) = factor.multipliedReportingOverflow(by: power)
                if overflow { return Int64.max / 4 }
                if step >= raw { return Int64(min(step, UInt64(Int64.max / 4))) }
            }
            let (next, overflow) = power.multipliedReportingOverflow(by: 10)
            if overflow { return Int64.max / 4 }
            power = next
        }
    }

    /// `value` rounded down / up to a multiple of `step`.
    static func floor(_ value: Int64, to step: Int64) -> Int64 {
        let (q, r) = value.quotientAndRemainder(dividingBy: step)
        return (r < 0 ? q - 1 : q) * step
    }

    static func ceil(_ value: Int64, to step: Int64) -> Int64 {
        let (q, r) = value.quotientAndRemainder(dividingBy: step)
        return (r > 0 ? q + 1 : q) * step
    }
}
