/// RFC 4180 CSV split into records, each knowing the line it starts on, so
/// an error can name the line and column. Quoted fields may hold commas,
/// doubled quotes and line breaks; CRLF and LF both end a record; a UTF-8
/// byte-order mark is skipped; blank lines are skipped.
package struct CSVRecords {
    package struct Record: Equatable {
        /// 1-based line the record starts on.
        package var line: Int
        package var fields: [String]
    }

    package struct Malformed: Error, Equatable {
        package var line: Int
        package var column: Int
        package var message: String
    }

    package static func parse(_ text: String) throws -> [Record] {
        var bytes = Array(text.utf8)[...]
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { bytes = bytes.dropFirst(3) }
        var records: [Record] = []
        var fields: [String] = []
        var field: [UInt8] = []
        var line = 1
        var recordLine = 1
        var quoted = false
        var wasQuoted = false
        var quoteLine = 1
        var i = bytes.startIndex
        func endField() {
            fields.append(String(decoding: field, as: UTF8.self))
            field.removeAll(keepingCapacity: true)
            wasQuoted = false
        }
        func endRecord() {
            endField()
            if !(fields.count == 1 && fields[0].isEmpty) { records.append(Record(line: recordLine, fields: fields)) }
            fields.removeAll()
        }
        while i < bytes.endIndex {
            let c = bytes[i]
            i += 1
            if quoted {
                if c == UInt8(ascii: "\"") {
                    if i < bytes.endIndex, bytes[i] == UInt8(ascii: "\"") {
                        field.append(c)
                        i += 1
                    } else {
                        quoted = false
                        wasQuoted = true
                    }
                } else {
                    if c == UInt8(ascii: "\n") { line += 1 }
                    field.append(c)
                }
                continue
            }
            switch c {
            case UInt8(ascii: ","):
                endField()
            case UInt8(ascii: "\r") where i < bytes.endIndex && bytes[i] == UInt8(ascii: "\n"):
                continue
            case UInt8(ascii: "\n"), UInt8(ascii: "\r"):
                endRecord()
                line += 1
                recordLine = line
            case UInt8(ascii: "\""):
                guard field.isEmpty, !wasQuoted else {
                    throw Malformed(line: line, column: fields.count + 1,
                                    message: "a quote inside an unquoted field (quote the whole field and double the quote)")
                }
                quoted = true
                quoteLine = line
            default:
                guard !wasQuoted else {
                    throw Malformed(line: line, column: fields.count + 1, message: "text after a closing quote")
                }
                field.append(c)
            }
        }
        if quoted {
            throw Malformed(line: quoteLine, column: fields.count + 1, message: "a quoted field is never closed")
        }
        if !field.isEmpty || !fields.isEmpty || wasQuoted { endRecord() }
        return records
    }
}
