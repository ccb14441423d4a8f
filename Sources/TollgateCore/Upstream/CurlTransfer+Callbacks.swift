import CCurl
import NIOCore

// libcurl's callbacks, on the curl thread. `userdata` is the CurlTransfer.

let curlHeaderCallback: @convention(c) (UnsafeMutablePointer<CChar>?, Int, Int, UnsafeMutableRawPointer?) -> Int = {
    data, size, count, userdata in
    let length = size * count
    guard let data, let userdata else { return length }
    let transfer = Unmanaged<CurlTransfer>.fromOpaque(userdata).takeUnretainedValue()
    transfer.receiveHeaderLine(UnsafeRawBufferPointer(start: data, count: length))
    return length
}

let curlWriteCallback: @convention(c) (UnsafeMutablePointer<CChar>?, Int, Int, UnsafeMutableRawPointer?) -> Int = {
    data, size, count, userdata in
    let length = size * count
    guard let data, let userdata else { return length }
    let transfer = Unmanaged<CurlTransfer>.fromOpaque(userdata).takeUnretainedValue()
    transfer.receiveBody(UnsafeRawBufferPointer(start: data, count: length))
    return length
}

extension CurlTransfer {
    /// One header line, CRLF included. A status line starts a header block;
    /// the blank line ends it. 1xx blocks are skipped: the delegate gets the
    /// final block. Lines after that (trailers) are ignored.
    func receiveHeaderLine(_ line: UnsafeRawBufferPointer) {
        guard !headDelivered else { return }
        receivedFirstByte = true
        lastActivityMs = CurlClock.nowMs()
        var end = line.count
        while end > 0, line[end - 1] == 0x0A || line[end - 1] == 0x0D { end -= 1 }
        if end == 0 {
            if status >= 100 && status < 200 {
                status = 0
                headers.removeAll()
                return
            }
            deliverHeadIfMissing()
            return
        }
        let text = String(decoding: UnsafeRawBufferPointer(rebasing: line[0..<end]), as: UTF8.self)
        if text.hasPrefix("HTTP/") {
            headers.removeAll()
            let parts = text.split(separator: " ", maxSplits: 2)
            status = parts.count > 1 ? Int(parts[1]) ?? 0 : 0
            return
        }
        guard let colon = text.firstIndex(of: ":") else { return }
        let name = String(text[..<colon])
        let value = text[text.index(after: colon)...].trimmingSpaces()
        headers.append((name, value))
    }

    func receiveBody(_ bytes: UnsafeRawBufferPointer) {
        receivedFirstByte = true
        lastActivityMs = CurlClock.nowMs()
        if !headDelivered { deliverHeadIfMissing() }
        if pendingBody == nil {
            pendingBody = allocator.buffer(capacity: bytes.count)
            transport.bodiesToFlush.append(self)
        }
        pendingBody!.writeBytes(bytes)
    }
}

extension Substring {
    fileprivate func trimmingSpaces() -> String {
        var slice = self[...]
        while let first = slice.first, first == " " || first == "\t" { slice = slice.dropFirst() }
        while let last = slice.last, last == " " || last == "\t" { slice = slice.dropLast() }
        return String(slice)
    }
}
