extension FakeCall {
    /// Sets an attribute as an earlier plugin (tagging, say) would have,
    /// before the plugin under test runs: how a test drives rules that
    /// read attributes.
    public func presetAttribute(_ key: String, _ value: String) {
        if let index = attributes.firstIndex(where: { $0.key == key }) {
            attributes[index].value = value
        } else {
            attributes.append((key, value))
        }
    }
}
