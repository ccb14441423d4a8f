import TollgateSupport

/// An alert as it was delivered: when, and to which sinks it was handed
/// (whether a webhook then got it through is in the delivery metrics).
package struct DeliveredAlert: Sendable, Equatable {
    /// 1 for the first alert the process delivered, then counting up: a
    /// reader that polls can ask for what is newer than what it has.
    package var sequence: Int64
    /// Unix microseconds.
    package var atMicros: Int64
    package var alert: Alert
    /// The sinks' names ("log", "webhook:HOST[:PORT]"); empty with `alerts: []`.
    package var sinks: [String]
}

/// The last `capacity` delivered alerts, in memory (GET /admin/alerts): a
/// ring, so the cost is bounded whatever a plugin raises. Not persisted: a
/// restart starts it empty (the sinks hold the history). Not thread-safe
/// by itself; AlertRouter keeps it under its lock.
package struct RecentAlerts: Sendable {
    package let capacity: Int
    private var ring: [DeliveredAlert] = []
    /// Where the next alert goes once the ring is full.
    private var next = 0
    /// How many were ever recorded (the last sequence number).
    package private(set) var recorded: Int64 = 0

    package init(capacity: Int = 500) {
        self.capacity = max(1, capacity)
        ring.reserveCapacity(self.capacity)
    }

    package mutating func record(_ alert: Alert, at micros: Int64, sinks: [String]) {
        recorded += 1
        let entry = DeliveredAlert(sequence: recorded, atMicros: micros, alert: alert, sinks: sinks)
        if ring.count < capacity {
            ring.append(entry)
        } else {
            ring[next] = entry
            next = (next + 1) % capacity
        }
    }

    /// Newest first.
    package var newestFirst: [DeliveredAlert] {
        guard ring.count == capacity, next != 0 else { return ring.reversed() }
        return (Array(ring[next...]) + ring[..<next]).reversed()
    }
}
