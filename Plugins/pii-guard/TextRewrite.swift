/// Copies `bytes[from..<end]` to `out` with each finding inside that range
/// replaced by `replacement(finding, value)` (nil keeps the original bytes).
/// Findings are in order and do not overlap.
func rewrite(_ bytes: UnsafeBufferPointer<UInt8>, from: Int = 0, to end: Int? = nil, findings: [Finding],
             into out: inout [UInt8], replacement: (Finding, UnsafeBufferPointer<UInt8>) -> String?) {
    let end = end ?? bytes.count
    var position = from
    for finding in findings where finding.start >= from && finding.end <= end {
        guard let replacement = replacement(finding, UnsafeBufferPointer(rebasing: bytes[finding.start..<finding.end])) else {
            continue
        }
        out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[position..<finding.start]))
        out.append(contentsOf: replacement.utf8)
        position = finding.end
    }
    if position < end { out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[position..<end])) }
}
