// Verdict details: the error for a reject / abort, the synthetic response
// for a respond, and one-step helpers that set them and return the verdict.

extension Call {
    /// Describes the error for `.reject`, `.abort` or an `.error` verdict.
    /// The host renders it in the client's API dialect. Never put prompt
    /// text in the message. preCall and onChunk.
    @discardableResult
    public func setError(status: UInt16, type: String, code: String = "", message: String) -> HostStatus {
        guard let set = hostAPI.pointee.set_error else { return .internalError }
        return withTollgateStrs([type, code, message]) { strs in
            HostStatus(rawValue: set(handle, status, strs[0], strs[1], strs[2]))
        }
    }

    /// Sets the response sent with `.respond`. preCall only.
    @discardableResult
    public func setResponse(status: UInt16, contentType: String = "application/json", body: String) -> HostStatus {
        guard let set = hostAPI.pointee.set_response else { return .internalError }
        return withTollgateStrs([contentType, body]) { strs in
            HostStatus(rawValue: set(handle, status, strs[0], strs[1]))
        }
    }

    /// Sets the error and returns `.reject`:
    /// `return call.reject(status: 429, type: "rate_limit_error", message: "...")`.
    /// If the host refuses the error, returns `.error` so the fail policy
    /// decides rather than a bare 500.
    public func reject(status: UInt16, type: String, code: String = "", message: String) -> PreCallVerdict {
        setError(status: status, type: type, code: code, message: message).isOK ? .reject : .error
    }

    /// Sets the synthetic response and returns `.respond`.
    public func respond(status: UInt16, contentType: String = "application/json", body: String) -> PreCallVerdict {
        setResponse(status: status, contentType: contentType, body: body).isOK ? .respond : .error
    }

    /// Sets the error and returns `.abort` (ends the response now).
    public func abort(status: UInt16 = 500, type: String, code: String = "", message: String) -> ChunkVerdict {
        setError(status: status, type: type, code: code, message: message).isOK ? .abort : .error
    }
}
