extension String {
    /// Without the spaces and tabs at either end (by byte, not Character).
    package func trimmingSpaces() -> String {
        let utf8 = self.utf8
        var start = utf8.startIndex, end = utf8.endIndex
        while start != end, utf8[start] == 0x20 || utf8[start] == 0x09 { start = utf8.index(after: start) }
        while start != end {
            let last = utf8.index(before: end)
            guard utf8[last] == 0x20 || utf8[last] == 0x09 else { break }
            end = last
        }
        return start == utf8.startIndex && end == utf8.endIndex ? self : String(self[start..<end])
    }
}
