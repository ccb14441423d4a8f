import TollgateUnits

/// The query string of a report request: `name=value` pairs, percent-decoded;
/// `group_by[]=x` and `group_by=x` are the same parameter.
struct MockReportQuery {
    var pairs: [(String, String)]

    init(uri: String) {
        guard let mark = uri.firstIndex(of: "?") else {
            pairs = []
            return
        }
        pairs = uri[uri.index(after: mark)...].split(separator: "&").compactMap { part in
            let kv = part.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard let rawName = kv.first, !rawName.isEmpty else { return nil }
            var name = Self.decode(rawName)
            if name.hasSuffix("[]") { name.removeLast(2) }
            return (name, kv.count > 1 ? Self.decode(kv[1]) : "")
        }
    }

    func first(_ name: String) -> String? { pairs.first { $0.0 == name }?.1 }
    func all(_ name: String) -> [String] {
        pairs.filter { $0.0 == name }.flatMap { $0.1.split(separator: ",").map(String.init) }
    }

    /// Percent-decoding; a malformed escape is kept as it is.
    static func decode(_ text: Substring) -> String {
        var bytes: [UInt8] = []
        let utf8 = Array(text.utf8)
        var i = 0
        func hex(_ b: UInt8) -> UInt8? {
            switch b {
            case 0x30...0x39: return b - 0x30
            case 0x41...0x46: return b - 0x41 + 10
            case 0x61...0x66: return b - 0x61 + 10
            default: return nil
            }
        }
        while i < utf8.count {
            if utf8[i] == UInt8(ascii: "%"), i + 2 < utf8.count, let h = hex(utf8[i + 1]), let l = hex(utf8[i + 2]) {
                bytes.append(h << 4 | l)
                i += 3
            } else {
                bytes.append(utf8[i])
                i += 1
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Unix seconds of `2026-11-01`, `2026-11-01T00:00:00Z` or with an
    /// offset (`+02:00`) and fractional seconds (ignored).
    static func rfc3339Seconds(_ text: String) -> Int64? {
        let b = Array(text.utf8)
        func number(_ range: Range<Int>) -> Int64? {
            guard range.upperBound <= b.count else { return nil }
            var v: Int64 = 0
            for i in range {
                guard b[i] >= 0x30, b[i] <= 0x39 else { return nil }
                v = v * 10 + Int64(b[i] - 0x30)
            }
            return v
        }
        guard b.count >= 10, b[4] == UInt8(ascii: "-"), b[7] == UInt8(ascii: "-"), let year = number(0..<4),
              let month = number(5..<7), let day = number(8..<10), (1...12).contains(month), (1...31).contains(day)
        else { return nil }
        let midnight = UTCCalendar.days(year: year, month: month, day: day) * 86_400
        if b.count == 10 { return midnight }
        guard b.count >= 20, b[10] == UInt8(ascii: "T") || b[10] == UInt8(ascii: "t"), b[13] == UInt8(ascii: ":"),
              b[16] == UInt8(ascii: ":"), let h = number(11..<13), let m = number(14..<16), let s = number(17..<19)
        else { return nil }
        var i = 19
        if b[i] == UInt8(ascii: ".") {
            i += 1
            while i < b.count, b[i] >= 0x30, b[i] <= 0x39 { i += 1 }
        }
        var offset: Int64 = 0
        if i < b.count, b[i] == UInt8(ascii: "Z") || b[i] == UInt8(ascii: "z") {
            i += 1
        } else if i + 6 == b.count, b[i] == UInt8(ascii: "+") || b[i] == UInt8(ascii: "-"), b[i + 3] == UInt8(ascii: ":"),
                  let oh = number(i + 1..<i + 3), let om = number(i + 4..<i + 6) {
            offset = (oh * 3600 + om * 60) * (b[i] == UInt8(ascii: "-") ? -1 : 1)
            i += 6
        } else {
            return nil
        }
        guard i == b.count else { return nil }
        return midnight + h * 3600 + m * 60 + s - offset
    }
}

/// The daily buckets one page of a report covers, and the page after it.
/// A page token is the first day of the page (`page_<Unix seconds>`).
struct MockReportPage: Equatable {
    /// Days since 1970 (UTC) of the buckets on this page.
    var days: Range<Int64>
    var nextPage: String?

    struct Refusal: Error, Equatable {
        var message: String
    }

    /// Buckets from the day of `start` to the day `end` falls in (a bucket
    /// that `end` cuts is included), at most `limit` from `page`.
    static func make(start: Int64, end: Int64, limitText: String?, defaultLimit: Int64, maxLimit: Int64,
                     page: String?) throws -> MockReportPage {
        let firstDay = UTCCalendar.floorDiv(start, 86_400)
        let endDay = UTCCalendar.floorDiv(end + 86_399, 86_400)
        var limit = defaultLimit
        if let limitText {
            guard let n = Int64(limitText), (1...maxLimit).contains(n) else {
                throw Refusal(message: "limit must be an integer from 1 to \(maxLimit), got '\(limitText)'.")
            }
            limit = n
        }
        var from = firstDay
        if let page {
            guard page.hasPrefix("page_"), let second = Int64(page.dropFirst(5)), second % 86_400 == 0,
                  second / 86_400 >= firstDay, second / 86_400 <= endDay else {
                throw Refusal(message: "page '\(page)' is not a page token of this report.")
            }
            from = second / 86_400
        }
        let to = min(endDay, from + limit)
        return MockReportPage(days: from..<max(from, to), nextPage: to < endDay ? "page_\(to * 86_400)" : nil)
    }
}
